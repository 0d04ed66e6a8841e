/**
 * The errors thrown by `@kognic/auth`.
 *
 * Every error is a {@linkcode KognicAuthError} with a stable {@linkcode KognicAuthError.code}
 * that programs can branch on, and a message that names the source of the problem (a file path,
 * an environment variable, a URL, an HTTP status). No message, stack, `cause` or property ever
 * holds a client secret or an access token.
 *
 * @module
 */

/**
 * The stable codes of {@linkcode KognicAuthError}, one per kind of problem.
 *
 * | code | meaning |
 * | --- | --- |
 * | `CREDENTIALS_NOT_FOUND` | no source of credentials held any; the message lists every source tried |
 * | `CREDENTIALS_FILE_NOT_FOUND` | a credentials file path does not exist |
 * | `CREDENTIALS_FILE_UNREADABLE` | a credentials path is a directory or cannot be read |
 * | `CREDENTIALS_PATH_NOT_JSON` | a credentials path does not end in `.json` |
 * | `CREDENTIALS_INVALID_JSON` | a credentials file is not valid JSON |
 * | `CREDENTIALS_NOT_OBJECT` | a credentials document is not a JSON object |
 * | `CREDENTIALS_MISSING_KEY` | a required key is absent |
 * | `CREDENTIALS_INVALID_TYPE` | a key has the wrong type or is empty |
 * | `CREDENTIALS_EXPIRED` | the credentials' `expires` lies in the past |
 * | `CREDENTIALS_REFUSED` | the token endpoint refused the credentials, and their source (file, keyring profile), read again, still holds them; the `cause` is the refusal |
 * | `CREDENTIALS_INVALID_PAIR` | `auth` is an array that is not exactly two non-empty strings |
 * | `CREDENTIALS_ENV_INCOMPLETE` | only one of `KOGNIC_CLIENT_ID` and `KOGNIC_CLIENT_SECRET` is set, and no keyring profile `default` |
 * | `KEYRING_UNAVAILABLE` | a `keyring://` profile was asked for where no keyring is available |
 * | `KEYRING_PROFILE_NOT_FOUND` | the keyring holds no credentials for the profile |
 * | `TOKEN_STORE_FAILED` | a token store could not write or lock (a client reports it in a `store_error` event and goes on without the store) |
 * | `KEYRING_FAILED` | the keyring's tool (`secret-tool`, `security`) could not read, write or delete; the message names the tool and what it said |
 * | `ENVIRONMENTS_INVALID` | an `environments.json` that is not valid JSON or has the wrong shape |
 * | `ENVIRONMENT_NOT_FOUND` | an environment name that `environments.json` does not define |
 * | `JWT_INVALID` | `get-access-token --decode` got a token that is not a JWT |
 * | `CLI_USAGE` | `kognic-auth` or `kog` refuses the command line (an unknown command or option, a missing or invalid argument); the command prints its usage and exits with 2 |
 * | `INVALID_OPTIONS` | options that contradict each other or have the wrong shape |
 * | `INSECURE_URL` | a plain `http://` URL for a host that is not loopback |
 * | `TOKEN_REQUEST_FAILED` | the token endpoint could not be reached, for a reason the runtime does not name |
 * | `API_UNREACHABLE` | an API could not be reached, for a reason the runtime does not name; the message names method and URL |
 * | `CONNECTION_REFUSED` | the host (token endpoint or API) refused the connection: nothing listens there |
 * | `DNS_FAILED` | the host name of the token endpoint or an API could not be resolved |
 * | `TLS_CERTIFICATE` | the server's TLS certificate is not trusted (unknown CA, expired, wrong name); never retried; the message says how to trust a CA |
 * | `TOKEN_HTTP_ERROR` | the token endpoint answered an HTTP error without an OAuth error body |
 * | `TOKEN_OAUTH_ERROR` | the token endpoint answered an OAuth error such as `invalid_client` |
 * | `TOKEN_RATE_LIMITED` | the token endpoint kept answering 429 |
 * | `TOKEN_RESPONSE_INVALID` | a 2xx token response that is not a valid bearer token response |
 * | `TOO_MANY_REDIRECTS` | an API redirected more than 20 times in a row |
 * | `HTTP_ERROR` | an API answered a non-2xx status |
 * | `ABORTED` | the caller's `AbortSignal` fired |
 * | `TIMEOUT` | the token endpoint or an API gave no answer within the `timeout` (after any retries), or the connection timed out |
 * | `RESPONSE_INVALID_JSON` | a JSON helper got a 2xx answer whose body is not JSON |
 * | `RESPONSE_NO_DATA` | a JSON helper got a body without the `data` envelope; the message names the keys found |
 * | `PROXY_INVALID` | a proxy URL (the `proxy` option, `HTTPS_PROXY`, `HTTP_PROXY`) does not parse or is not `http://`/`https://` |
 * | `PROXY_UNREACHABLE` | no connection could be made to the proxy; the message names its host and port |
 * | `PROXY_FAILED` | the proxy was reached but the request through it failed; a tunnel it refused (a 403, or any refusal on Deno, which names no status) is never retried, a 502, 503 or 504 is |
 * | `PROXY_AUTH_REQUIRED` | the proxy answered 407 (or 401, as tinyproxy does): it wants (other) credentials; never retried; the message names the proxy's host and port |
 * | `PROXY_UNAVAILABLE` | a proxy is configured on Node.js but the optional `undici` package is not installed |
 */
export type KognicAuthErrorCode =
  | "CREDENTIALS_NOT_FOUND"
  | "CREDENTIALS_FILE_NOT_FOUND"
  | "CREDENTIALS_FILE_UNREADABLE"
  | "CREDENTIALS_PATH_NOT_JSON"
  | "CREDENTIALS_INVALID_JSON"
  | "CREDENTIALS_NOT_OBJECT"
  | "CREDENTIALS_MISSING_KEY"
  | "CREDENTIALS_INVALID_TYPE"
  | "CREDENTIALS_EXPIRED"
  | "CREDENTIALS_REFUSED"
  | "CREDENTIALS_INVALID_PAIR"
  | "CREDENTIALS_ENV_INCOMPLETE"
  | "KEYRING_UNAVAILABLE"
  | "KEYRING_PROFILE_NOT_FOUND"
  | "KEYRING_FAILED"
  | "TOKEN_STORE_FAILED"
  | "ENVIRONMENTS_INVALID"
  | "ENVIRONMENT_NOT_FOUND"
  | "JWT_INVALID"
  | "CLI_USAGE"
  | "INVALID_OPTIONS"
  | "INSECURE_URL"
  | "TOKEN_REQUEST_FAILED"
  | "API_UNREACHABLE"
  | "CONNECTION_REFUSED"
  | "DNS_FAILED"
  | "TLS_CERTIFICATE"
  | "TOKEN_HTTP_ERROR"
  | "TOKEN_OAUTH_ERROR"
  | "TOKEN_RATE_LIMITED"
  | "TOKEN_RESPONSE_INVALID"
  | "TOO_MANY_REDIRECTS"
  | "HTTP_ERROR"
  | "ABORTED"
  | "TIMEOUT"
  | "RESPONSE_INVALID_JSON"
  | "RESPONSE_NO_DATA"
  | "PROXY_INVALID"
  | "PROXY_UNREACHABLE"
  | "PROXY_FAILED"
  | "PROXY_AUTH_REQUIRED"
  | "PROXY_UNAVAILABLE";

/** Options of {@linkcode KognicAuthError}. */
export interface KognicAuthErrorOptions {
  /** Where the problem was found: a file path, an environment variable, a URL. */
  source?: string;
  /** The underlying error, if it is safe to keep (it never holds a secret). */
  cause?: unknown;
}

/**
 * The base class of every error this library throws.
 *
 * @example Branch on the code
 * ```ts
 * import { KognicAuthError } from "@kognic/auth";
 *
 * const error = new KognicAuthError("CREDENTIALS_NOT_FOUND", "No Kognic credentials found");
 * if (error instanceof KognicAuthError && error.code === "CREDENTIALS_NOT_FOUND") {
 *   // ask the user to run `kognic-auth credentials put`
 * }
 * ```
 */
export class KognicAuthError extends Error {
  /** The stable code of the problem. */
  declare readonly code: KognicAuthErrorCode;
  /** Where the problem was found (file path, environment variable, URL), when known. */
  declare readonly source?: string;

  /**
   * Creates an error.
   *
   * @param code The stable code of the problem.
   * @param message What went wrong, naming the source and never a secret.
   * @param options The source and a cause.
   */
  constructor(code: KognicAuthErrorCode, message: string, options?: KognicAuthErrorOptions) {
    // Error takes only `cause` from its options, and installs it only when present.
    super(message, options?.cause === undefined ? undefined : options);
    // Declared fields, assigned here in the order they were always defined (name last).
    this.code = code;
    this.source = options?.source;
    this.name = "KognicAuthError";
  }
}

/** Options of {@linkcode HttpError}. */
export interface HttpErrorOptions {
  /** The HTTP method of the request. */
  method: string;
  /** The URL of the request, without its query string. */
  url: string;
  /** The response, with its body already read. */
  response: Response;
  /** The `message` field of the JSON body, or the body text, truncated. */
  detail?: string;
}

/**
 * An API answered with a status outside 200–299.
 *
 * @example Inspect a failed call
 * ```ts
 * import { HttpError } from "@kognic/auth";
 *
 * const error = new HttpError({
 *   method: "GET",
 *   url: "https://app.kognic.com/v1/projects",
 *   response: new Response("", { status: 404 }),
 *   detail: "Not found",
 * });
 * console.assert(error.status === 404 && error.code === "HTTP_ERROR");
 * ```
 */
export class HttpError extends KognicAuthError {
  /** The HTTP status code. */
  readonly status: number;
  /** The HTTP method of the request. */
  readonly method: string;
  /** The URL of the request, without its query string. */
  readonly url: string;
  /** The body's `message` field, or its text, truncated. */
  readonly detail?: string;
  /** The response, with its body already read. */
  readonly response: Response;

  /**
   * Creates an error for a non-2xx response.
   *
   * @param options The request and the response.
   */
  constructor(options: HttpErrorOptions) {
    super(
      "HTTP_ERROR",
      `${options.method} "${options.url}" answered ${options.response.status}` +
        (options.detail ? `: ${options.detail}` : ""),
      { source: options.url },
    );
    this.name = "HttpError";
    this.status = options.response.status;
    this.method = options.method;
    this.url = options.url;
    if (options.detail !== undefined) this.detail = options.detail;
    this.response = options.response;
    // A Response prints its headers; keep it out of inspect output and JSON.
    Object.defineProperty(this, "response", { enumerable: false });
  }
}

/** Options of {@linkcode TokenError}. */
export interface TokenErrorOptions extends KognicAuthErrorOptions {
  /** The HTTP status the token endpoint answered, if it answered. */
  status?: number;
  /** The OAuth `error` field, such as `"invalid_client"`. */
  oauthError?: string;
  /** How long the server asked to wait, in milliseconds, for `TOKEN_RATE_LIMITED`. */
  retryAfter?: number;
}

/**
 * The token endpoint could not be reached, refused the request, or answered something that is
 * not a valid token response.
 *
 * @example Tell wrong credentials from an outage
 * ```ts
 * import { TokenError } from "@kognic/auth";
 *
 * const error = new TokenError("TOKEN_OAUTH_ERROR", "Token endpoint refused the request", {
 *   status: 401,
 *   oauthError: "invalid_client",
 * });
 * console.assert(error.oauthError === "invalid_client");
 * ```
 */
export class TokenError extends KognicAuthError {
  /** The HTTP status the token endpoint answered, if it answered. */
  declare readonly status?: number;
  /** The OAuth `error` field, such as `"invalid_client"`. */
  declare readonly oauthError?: string;
  /** How long the server asked to wait, in milliseconds. */
  declare readonly retryAfter?: number;

  /**
   * Creates a token error.
   *
   * @param code One of the `TOKEN_*` codes.
   * @param message What went wrong, naming the token URL.
   * @param options The status, the OAuth error and the source.
   */
  constructor(code: KognicAuthErrorCode, message: string, options?: TokenErrorOptions) {
    super(code, message, options);
    this.name = "TokenError";
    // The fields are own properties (undefined when not known) as class fields either way.
    this.status = options?.status;
    this.oauthError = options?.oauthError;
    this.retryAfter = options?.retryAfter;
  }
}

/**
 * The `KEYRING_UNAVAILABLE` error: what could not be done, and what a keyring takes.
 *
 * @internal
 */
export function keyringUnavailable(
  doing: string,
  source?: string,
  reason?: string,
): KognicAuthError {
  return new KognicAuthError(
    "KEYRING_UNAVAILABLE",
    `${doing}: no system keyring is available` +
      (reason ? ` (${reason})` : " (on Linux: a D-Bus session with a Secret Service " +
        "and secret-tool; on macOS: security)"),
    source === undefined ? undefined : { source },
  );
}

// Over 400 lines as one concern: one token request as an exchange — the form it sends, its
// retries and their budget, and the strict reading of the answer — which share the request's
// details and redaction list; split, each part would take them as arguments.
/**
 * The OAuth 2.0 token endpoint over `fetch`: the client-credentials grant
 * ([RFC 6749 §4.4](https://www.rfc-editor.org/rfc/rfc6749#section-4.4)) and the refresh-token
 * grant ([§6](https://www.rfc-editor.org/rfc/rfc6749#section-6)), with strict validation of the
 * response ([§5.1](https://www.rfc-editor.org/rfc/rfc6749#section-5.1),
 * [§5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)).
 *
 * @module
 */
import type { Credentials } from "../credentials/credentials.ts";
import { KognicAuthError, type KognicAuthErrorCode, TokenError } from "../errors.ts";
import {
  assertSecureUrl,
  describeError,
  eitherSignal,
  isObject,
  isTransient,
  parseRetryAfter,
  quote,
  readText,
  redact,
  sleep,
  withSignal,
} from "../_util.ts";
import { networkOf } from "../_transport.ts";
import { backoff } from "../_backoff.ts";

export { DEFAULT_AUTH_HOST } from "../credentials/credentials.ts";
/** The default path of the token endpoint on the auth host. */
export const DEFAULT_TOKEN_PATH = "/v1/auth/oauth/token";

/**
 * How the client authenticates at the token endpoint: `client_secret_post` (the default, what
 * the Python library sends) puts id and secret in the form body; `client_secret_basic` sends
 * them in an `Authorization: Basic` header.
 */
export type AuthMethod = "client_secret_post" | "client_secret_basic";

/** A validated token response. `expires_in` is always a number when present. */
export interface TokenResponse {
  /** The access token. */
  access_token: string;
  /** The token type, `"Bearer"` in any letter case. */
  token_type: string;
  /** The lifetime in seconds, if the server said. */
  expires_in?: number;
  /** A refresh token, if the server issued one. */
  refresh_token?: string;
  /** The granted scopes, space-separated, if the server said. */
  scope?: string;
  /** Any other fields the server returned. */
  [field: string]: unknown;
}

/** Options of {@linkcode requestToken}. */
export interface TokenRequestOptions {
  /** The token endpoint URL. */
  tokenUrl: string | URL;
  /** The scopes to ask for; sent space-joined as `scope`, omitted when empty. */
  scopes?: readonly string[];
  /** A refresh token: when given, the refresh-token grant is used instead of client credentials. */
  refreshToken?: string;
  /** How the client authenticates; default `"client_secret_post"`. */
  authMethod?: AuthMethod;
  /**
   * The `fetch` to use; default the runtime's: on Deno, Bun and Node it applies `HTTPS_PROXY`,
   * `HTTP_PROXY` and `NO_PROXY` as they are when this function is called; elsewhere it is the
   * global one.
   */
  fetch?: typeof fetch;
  /** Extra request headers, such as `User-Agent`. */
  headers?: Record<string, string>;
  /** Aborts the request and any wait for a retry. */
  signal?: AbortSignal;
  /**
   * How long one attempt may take, answer body included, in milliseconds; default 30 000.
   * A slower answer fails with `TIMEOUT`. `0` disables the limit.
   */
  timeout?: number;
  /** Allow plain `http://` to hosts that are not loopback. Default `false`. */
  allowInsecureHttp?: boolean;
  /**
   * How often to retry a transient failure — a 429 (after its `Retry-After`), a 500, 502, 503
   * or 504 (after its `Retry-After`, or else a random wait of up to 0.25 s, 0.5 s, 1 s, … and
   * never more than 2 s), or a failed connection; default 2. Timeouts and refusals are not
   * retried.
   */
  retries?: number;
  /** A number in [0, 1) for the random part of the waits; default `Math.random`. */
  random?: () => number;
  /** The longest `Retry-After` to wait, in milliseconds; default 30 000. */
  maxRetryAfter?: number;
  /**
   * The retries left to the call this request is made for, shared with its other requests:
   * each retry here takes one. Given, it takes the place of `retries`.
   *
   * @internal
   */
  budget?: { retries: number };
  /**
   * Where the request counts its attempts and keeps the last HTTP status (for a provider's
   * events), across the requests it is given to.
   *
   * @internal
   */
  details?: {
    attempts: number;
    status?: number;
    grant?: "client_credentials" | "refresh_token";
  };
  /** Waits between retries; default a timer. Tests pass a fake clock's sleep. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The current time in milliseconds, for `Retry-After` dates; default `Date.now`. */
  now?: () => number;
}

/** What an access token may hold: printable ASCII, as a `Bearer` header carries it. */
export const HEADER_SAFE: RegExp = /^[\x20-\x7E]+$/;

/** The most bytes read from a token endpoint response. */
const MAX_BODY = 64 * 1024;

/**
 * Encodes like Python's `urllib.parse.quote_plus`, which the Python library's form bodies use:
 * only `A-Z a-z 0-9 _ . - ~` stay as they are, spaces become `+`.
 */
function formEncode(value: string): string {
  return formBody({ "": value }).slice(1);
}

/**
 * The form body of the fields given (each encoded as {@linkcode formEncode} says): the form
 * serializer of `URLSearchParams` keeps `*` and encodes `~`, where Python does the opposite.
 */
function formBody(fields: Record<string, string | undefined>): string {
  // JSON leaves out the fields that are undefined.
  return new URLSearchParams(JSON.parse(JSON.stringify(fields))).toString().replace(/\*/g, "%2A")
    .replace(/%7E/g, "~");
}

/**
 * Asks the token endpoint for an access token, with the client-credentials grant or, when
 * `refreshToken` is given, the refresh-token grant. The request is byte for byte what the Python
 * library sends: `POST`, `Content-Type: application/x-www-form-urlencoded;charset=UTF-8`, body
 * `grant_type=client_credentials[&scope=…]&client_id=…&client_secret=…`. A 429 answer is
 * retried after its `Retry-After`; redirects are not followed (they would carry the secret).
 *
 * @example Fetch a token
 * ```ts ignore
 * import { Credentials } from "@kognic/auth";
 * import { requestToken } from "@kognic/auth/core";
 *
 * const credentials = new Credentials({ clientId: "id", clientSecret: "secret" });
 * const token = await requestToken(credentials, {
 *   tokenUrl: "https://auth.app.kognic.com/v1/auth/oauth/token",
 * });
 * console.log(token.expires_in);
 * ```
 *
 * @param credentials The client id and secret.
 * @param options The token URL, scopes, grant and transport.
 * @returns The validated token response.
 */
export async function requestToken(
  credentials: Credentials,
  options: TokenRequestOptions,
): Promise<TokenResponse> {
  const caller = options.signal;
  // Aborted already: no request at all.
  if (caller?.aborted) throw caller.reason;
  const tokenUrl = new URL(options.tokenUrl);
  assertSecureUrl(tokenUrl, "the token endpoint", options.allowInsecureHttp);
  const fetcher = options.fetch ?? networkOf(options).fetch();
  const wait = options.sleep ?? sleep;
  const request = {
    ...options,
    tokenUrl,
    fetch: fetcher,
    sleep: wait,
    now: options.now ?? Date.now,
    details: options.details ?? { attempts: 0 },
  };
  if (!caller) return await postToken(credentials, request);
  // The caller's signal ends the wait at once, and reaches each attempt's request through the
  // one signal combinator and each wait for a retry through the sleep.
  return withSignal(
    postToken(credentials, {
      ...request,
      // An attempt without a timeout (`timeout: 0`) has no signal of its own.
      fetch: (input, init) =>
        fetcher(input, {
          ...init,
          signal: init!.signal ? eitherSignal(caller, init!.signal) : caller,
        }),
      sleep: (ms) => wait(ms, caller),
    }),
    caller,
  );
}

/**
 * What {@linkcode postToken} is given: the options of {@linkcode requestToken} without the
 * caller's signal, with the token URL checked and the transport and clock chosen.
 */
type PostOptions = Omit<TokenRequestOptions, "signal" | "tokenUrl"> & {
  tokenUrl: URL;
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  details: NonNullable<TokenRequestOptions["details"]>;
};

/**
 * The token endpoint's answers worth another attempt: rate limited (429), and those a later
 * attempt may not get (500, 502, 503, 504).
 */
const RETRIED = /^(429|50[0234])$/;

type Fail = (
  code: KognicAuthErrorCode,
  detail: string,
  extra?: { status?: number; retryAfter?: number; oauthError?: string },
) => TokenError;

async function parseTokenResponse(
  response: Response,
  fail: Fail,
  secrets: (string | undefined)[],
): Promise<TokenResponse> {
  const status = response.status;
  const type = response.headers.get("content-type") ?? "no content type";
  const invalid = (detail: string): never => {
    throw fail("TOKEN_RESPONSE_INVALID", `answered ${detail}`, { status });
  };
  if (response.type === "opaqueredirect" || (status >= 300 && status < 400)) {
    await response.body?.cancel().catch(() => {});
    throw fail("TOKEN_HTTP_ERROR", `answered a redirect (${status}), which is not followed`, {
      status,
    });
  }
  let text: string;
  try {
    ({ text } = await readText(response, MAX_BODY));
  } catch (error) {
    throw fail(
      "TOKEN_REQUEST_FAILED",
      `answered ${status} but its body could not be read: ${redact(describeError(error), secrets)}`,
      { status },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: json stays undefined.
  }
  const token = isObject(json) ? json : undefined;

  if (status < 200 || status > 299) {
    if (typeof token?.error === "string") {
      const description = typeof token.error_description === "string"
        ? `: ${token.error_description}`
        : "";
      throw fail(
        "TOKEN_OAUTH_ERROR",
        redact(`refused the request (${status}): ${token.error}${description}`, secrets),
        { status, oauthError: redact(token.error, secrets) },
      );
    }
    throw fail(
      "TOKEN_HTTP_ERROR",
      `answered ${status} with ${
        json === undefined ? `a ${type} body` : "JSON that is not an OAuth error"
      }`,
      { status },
    );
  }
  if (!token) {
    return invalid(
      `${status} with ${
        json === undefined ? `a ${type} body that is not JSON` : "JSON that is not an object"
      }`,
    );
  }
  if (typeof token.access_token !== "string" || token.access_token === "") {
    invalid(`without an "access_token" string`);
  }
  // A token an HTTP header cannot carry would fail every request, with the runtime's message
  // quoting it.
  if (!HEADER_SAFE.test(token.access_token as string)) {
    invalid(`an "access_token" with characters an HTTP header cannot carry`);
  }
  if (typeof token.token_type !== "string" || token.token_type.toLowerCase() !== "bearer") {
    invalid(`a "token_type" that is not "Bearer"`);
  }
  let expiresIn = token.expires_in;
  if (typeof expiresIn === "string" && /^\s*\d+(\.\d+)?\s*$/.test(expiresIn)) {
    expiresIn = Number(expiresIn);
  }
  if (
    expiresIn != null &&
    !(Number.isFinite(expiresIn) && (expiresIn as number) >= 0)
  ) {
    invalid(`an "expires_in" that is not a number of seconds`);
  }
  const result = { ...token, expires_in: expiresIn } as TokenResponse;
  for (const field of ["expires_in", "refresh_token", "scope"]) {
    if (result[field] == null) delete result[field];
    else if (field !== "expires_in" && typeof result[field] !== "string") {
      invalid(`a "${field}" that is not a string`);
    }
  }
  return result;
}
/**
 * {@linkcode requestToken} without the caller's signal (a provider's token request is shared by
 * its callers, each of whom stops waiting on its own): what a provider sends, its token URL
 * checked when the provider was made.
 */
export async function postToken(
  credentials: Credentials,
  options: PostOptions,
): Promise<TokenResponse> {
  const url = options.tokenUrl;
  const basic = options.authMethod === "client_secret_basic";
  const { refreshToken, details } = options;
  const body = formBody({
    grant_type: details.grant = refreshToken === undefined ? "client_credentials" : "refresh_token",
    refresh_token: refreshToken,
    scope: options.scopes?.length ? options.scopes.join(" ") : undefined,
    client_id: basic ? undefined : credentials.clientId,
    client_secret: basic ? undefined : credentials.clientSecret,
  });
  const headers: Record<string, string> = {
    ...options.headers,
    "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
    Accept: "application/json",
  };
  // The secret as sent, in every encoding a message could echo it in. The form sends a lone
  // surrogate as U+FFFD (the server then refuses the client), as toWellFormed() reads it;
  // encodeURIComponent would throw on it.
  const secret = credentials.clientSecret.toWellFormed();
  const secrets = [
    secret,
    formEncode(secret),
    encodeURIComponent(secret),
    refreshToken,
    refreshToken && formEncode(refreshToken),
  ];
  if (basic) {
    const pair = btoa(`${formEncode(credentials.clientId)}:${secrets[1]}`);
    headers.Authorization = `Basic ${pair}`;
    secrets.push(pair);
  }
  const network = networkOf(options);
  const { fetch: fetcher, now } = options;
  const limit = options.timeout ?? 30_000;
  const budget = options.budget ?? { retries: options.retries ?? 2 };
  const subject = `Token endpoint ${quote(url.href)}`;
  /** An error that names the token endpoint; the caller redacts what the server said. */
  const fail: Fail = (code, detail, extra) =>
    new TokenError(code, `${subject} ${detail}`, {
      source: url.href,
      ...extra,
    });

  for (let attempt = 1;; attempt++) {
    // The whole attempt, answer body included: the signal stays with the response's body.
    const signal = limit > 0 ? AbortSignal.timeout(limit) : undefined;
    let failure: KognicAuthError;
    let retryAfter: number | undefined;
    let final = false;
    details.attempts++;
    try {
      const response = await fetcher(url, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal,
      });
      const status = details.status = response.status;
      if (!RETRIED.test(String(status))) {
        return await parseTokenResponse(response, fail, secrets);
      }
      retryAfter = parseRetryAfter(response.headers.get("retry-after"), now());
      await response.body?.cancel().catch(() => {});
      const after = attempt > 1 ? ` after ${attempt} attempts` : "";
      failure = status === 429
        ? fail(
          "TOKEN_RATE_LIMITED",
          `is rate limiting this client (429)${after}` +
            (retryAfter === undefined ? "" : `; retry after ${Math.ceil(retryAfter / 1000)} s`),
          { status, retryAfter },
        )
        : fail("TOKEN_HTTP_ERROR", `answered ${status}${after}`, { status });
    } catch (error) {
      if (signal?.aborted) throw fail("TIMEOUT", `did not answer within ${limit} ms`);
      // Refusals are final (a 407 from a proxy, an untrusted certificate, the library's own);
      // proxy failures the runtime's fetch explains itself (PROXY_*) and network failures (a
      // body cut off mid-way too) are retried like a 503.
      if (error instanceof KognicAuthError) {
        if (!isTransient(error)) throw error;
        failure = error;
      } else {
        let made;
        ({ error: made, final } = await network.failure(error, {
          subject,
          url,
          fallback: "TOKEN_REQUEST_FAILED",
          attempts: attempt,
          secrets,
        }));
        failure = new TokenError(made.code, made.message, { source: url.href, cause: made.cause });
      }
    }
    const delay = retryAfter ?? backoff(attempt, 250, 2_000, options.random);
    if (final || delay > (options.maxRetryAfter ?? 30_000) || --budget.retries < 0) {
      throw failure;
    }
    await options.sleep(delay);
  }
}

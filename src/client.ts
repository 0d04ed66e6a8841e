/**
 * Authenticated requests (SPEC §6): a `fetch`-compatible function that adds the bearer token,
 * retries transient failures, times out, and reports sunset headers; and a client object with
 * error and JSON conveniences on top of it.
 *
 * @module
 */
import { HttpError, KognicAuthError } from "./errors.ts";
import type { ResolveOptions } from "./resolve.ts";
import type { AuthMethod } from "./token_endpoint.ts";
import {
  type Clock,
  SUBSCRIBE_WEAKLY,
  type TokenEvent,
  type TokenProvider,
  type TokenSource,
  type TokenStore,
} from "./token_provider.ts";
import {
  bare,
  bearerFetch,
  DEFAULT_BASE_URL,
  type FetchInput,
  methodOf,
  replayable,
  SENT_TOKENS,
} from "./auth_fetch.ts";
import type { Connection } from "./_shared_provider.ts";
import { failure as fetchFailure } from "./_transport.ts";
import { type Deadline, type Deadlines, deadlinesOf } from "./_deadline.ts";
import {
  abortReason,
  assertSecureUrl,
  describeError,
  eitherSignal,
  isObject,
  isTransient,
  parseIsoDate,
  parseRetryAfter,
  readText,
  redact,
  sleep,
} from "./_util.ts";

const LISTENER = Symbol("kognic-auth.listener");
/**
 * Which loggers already wrote each token event: clients that share a provider (and a logger)
 * write one line per event, not one per client.
 */
const logged = new WeakMap<TokenEvent, Set<Logger>>();
/** The last narrower grant each provider was warned of (its scopes, space-joined). */
const narrowed = new WeakMap<TokenProvider, string>();

/** Whether `logger` has yet to write `event`; marks it written. */
function firstFor(event: TokenEvent, logger: Logger): boolean {
  let loggers = logged.get(event);
  if (!loggers) logged.set(event, loggers = new Set());
  if (loggers.has(logger)) return false;
  loggers.add(logger);
  return true;
}
const DAY = 86_400_000;

/**
 * When and how requests are retried. Every field has a default; a retry happens only when the
 * method is listed, the body can be sent again, attempts remain and the deadline allows the wait.
 */
export interface RetryOptions {
  /** The most attempts per call, the first one included; default 4 (three retries). */
  attempts?: number;
  /** The statuses that are retried; default `[502, 503, 504]`. */
  statuses?: readonly number[];
  /**
   * The methods that are retried, after a retryable status or a connection error; default the
   * idempotent `GET`, `HEAD`, `OPTIONS`, `PUT` and `DELETE`. Add `POST` to opt in.
   */
  methods?: readonly string[];
  /**
   * The backoff factor in milliseconds; default 500. Retry `n` waits a random time between 0
   * and `min(maxDelay, baseDelay * 2 ** (n - 1))` ("full jitter").
   */
  baseDelay?: number;
  /** The longest backoff in milliseconds; default 30 000. */
  maxDelay?: number;
  /**
   * The longest `Retry-After` (seconds or HTTP date) that is waited for, in milliseconds;
   * default 60 000. A server that asks for a longer wait gets its answer returned instead.
   */
  maxRetryAfter?: number;
  /**
   * Milliseconds from the start of a call after which no further attempt starts; default
   * 120 000. A wait that would end after it is not begun.
   */
  deadline?: number;
}

/** The URL a call went to (without query), its method, and a sunset date. */
export interface SunsetInfo {
  /** When the endpoint goes away. */
  readonly date: Date;
  /** The HTTP method of the request. */
  readonly method: string;
  /** The request URL without its query string. */
  readonly url: string;
}

/**
 * What a client reports through `onEvent`: token events of its provider, scopes granted short
 * of those asked for, retries and sunset headers. No event holds a secret or a token.
 */
export type ClientEvent =
  | TokenEvent
  | {
    /** A call is about to be retried. */
    readonly type: "retry";
    /** The HTTP method. */
    readonly method: string;
    /** The request URL without its query string. */
    readonly url: string;
    /** The attempt about to start, 2 for the first retry. */
    readonly attempt: number;
    /** How long the client waits first, in milliseconds. */
    readonly delayMs: number;
    /** The status that caused the retry, if the server answered. */
    readonly status?: number;
    /** What went wrong, if the server did not answer. */
    readonly error?: string;
  }
  | {
    /**
     * The token endpoint granted fewer scopes than asked for (OAuth 2.0 allows it). Reported
     * with every such token; the log has one warning per provider and grant.
     */
    readonly type: "scopes";
    /** The token endpoint URL. */
    readonly tokenUrl: string;
    /** The scopes granted. */
    readonly granted: readonly string[];
    /** The scopes asked for and not granted. */
    readonly missing: readonly string[];
  }
  | ({
    /** A response carried a `sunset-date` header. */
    readonly type: "sunset";
  } & SunsetInfo);

/**
 * A logger: `console` fits, and so do most logging libraries. The default writes warnings and
 * errors to the console and drops debug and info messages.
 */
export interface Logger {
  /**
   * Logs a debug message (token refreshes).
   *
   * @param message The message; it never holds a secret or a token.
   */
  debug(message: string): void;
  /**
   * Logs an informational message (each retry; a call that still fails after its retries is a
   * warning).
   *
   * @param message The message; it never holds a secret or a token.
   */
  info(message: string): void;
  /**
   * Logs a warning (sunset dates, failed background refreshes, a failing token store).
   *
   * @param message The message; it never holds a secret or a token.
   */
  warn(message: string): void;
  /**
   * Logs an error (sunset dates less than 14 days away).
   *
   * @param message The message; it never holds a secret or a token.
   */
  error(message: string): void;
}

const defaultLogger: Logger = {
  debug() {},
  info() {},
  // deno-lint-ignore no-console
  warn: (message) => console.warn(message),
  // deno-lint-ignore no-console
  error: (message) => console.error(message),
};

/**
 * The logger that the `DEBUG` variable asks for, the convention of the `debug` package: a
 * comma- or space-separated list of namespaces, `*` a wildcard, a leading `-` excluding. When
 * it enables `kognic-auth` (`DEBUG=kognic-auth`, `DEBUG=kognic*`, `DEBUG=*`), every message
 * goes to standard error (never standard output, where a command prints its results), debug
 * and info lines prefixed with `kognic-auth`. Otherwise `undefined`: the default logger.
 *
 * @internal
 */
export function debugLogger(env: (name: string) => string | undefined): Logger | undefined {
  let enabled = false;
  for (const pattern of (env("DEBUG") ?? "").split(/[\s,]+/)) {
    const exclude = pattern.startsWith("-");
    const glob = exclude ? pattern.slice(1) : pattern;
    if (!glob) continue;
    const expression = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*");
    if (new RegExp(`^${expression}$`).test("kognic-auth")) {
      if (exclude) return undefined;
      enabled = true;
    }
  }
  return enabled ? stderrLogger : undefined;
}

// One object, so that clients sharing a provider write each token event once.
// deno-lint-ignore no-console
const write = (message: string) => console.error(`kognic-auth ${message}`);
const stderrLogger: Logger = { debug: write, info: write, warn: write, error: write };

/** Options of {@linkcode createAuthFetch}. */
export interface AuthFetchOptions {
  /** The URL relative request URLs are resolved against. */
  baseUrl?: string | URL;
  /** Headers added to every request unless the request sets them. */
  headers?: HeadersInit;
  /** The `fetch` that sends the requests; default the runtime's, which applies `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` on Deno, Bun and Node. */
  fetch?: typeof fetch;
  /** Allow sending the token over plain `http://` to hosts that are not loopback. */
  allowInsecureHttp?: boolean;
  /**
   * Origins besides the base URL's that get the bearer token, such as
   * `["https://eu.app.kognic.com"]` (URLs are fine: only their scheme, host and port count).
   * Requests to every other origin — signed upload and download URLs, `next` links to other
   * hosts — are sent without `Authorization` (a caller's own header goes along), without a
   * token request and without a renewal after a 401; a redirect hands the token on only to a
   * token origin. Entries must be http or https URLs, plain http only for loopback hosts
   * unless `allowInsecureHttp` is set; anything else is an `INVALID_OPTIONS` error.
   *
   * @example Two Kognic origins, and a signed URL that must not get the token
   * ```ts ignore
   * import { createClient } from "@kognic/auth";
   *
   * const kognic = await createClient({ tokenOrigins: ["https://eu.app.kognic.com"] });
   * await kognic.fetch("https://eu.app.kognic.com/v1/projects"); // with the token
   * const { url } = await kognic.get<{ url: string }>("/v1/uploads/7");
   * await kognic.fetch(url, { method: "PUT", body: "…" }); // without it
   * ```
   */
  tokenOrigins?: readonly (string | URL)[];
  /**
   * When to retry; `false` never retries. Default: up to 4 attempts on 502, 503, 504 and
   * connection errors for idempotent methods. A request can override it with a `retry` field
   * in its init ({@linkcode KognicRequestInit}).
   */
  retry?: RetryOptions | false;
  /**
   * Milliseconds an attempt may take until the answer's headers arrive (the token wait and
   * redirects included) before it is aborted and, if allowed, retried; default 120 000; `0`
   * disables it. Reading the body is not covered: pass a `signal` for that. A request can
   * override it with a `timeout` field in its init.
   */
  timeout?: number;
  /** The clock for backoff waits and `Retry-After` dates; default `Date.now` and timers. */
  clock?: Clock;
  /** Random numbers in [0, 1) for the backoff jitter; default `Math.random`. */
  random?: () => number;
  /**
   * Called when a response carries a `sunset-date` header; `false` ignores the header. The
   * default logs a warning, or an error when fewer than 14 days remain.
   */
  onSunset?: ((info: SunsetInfo) => void) | false;
  /** Called with every retry, sunset and (for a client) token event. */
  onEvent?: (event: ClientEvent) => void;
  /**
   * Where messages go. Default: warnings and errors to the console; for `createClient` and
   * `edgeClient`, every message to standard error when the `DEBUG` variable (binding) enables
   * `kognic-auth` (`DEBUG=kognic-auth`, `DEBUG=kognic*`).
   */
  logger?: Logger;
}

/** A `RequestInit` with the per-request overrides {@linkcode createAuthFetch} understands. */
export interface KognicRequestInit extends RequestInit {
  /** Overrides the client's retry options for this request; `false` never retries. */
  retry?: RetryOptions | false;
  /** Overrides the client's timeout for this request, in milliseconds; `0` disables it. */
  timeout?: number;
}

interface Policy {
  attempts: number;
  statuses: ReadonlySet<number>;
  methods: ReadonlySet<string>;
  baseDelay: number;
  maxDelay: number;
  maxRetryAfter: number;
  deadline: number;
}

function policyOf(retry: RetryOptions | false | undefined): Policy | undefined {
  if (retry === false) return undefined;
  const attempts = retry?.attempts ?? 4;
  if (!(attempts >= 1)) {
    throw new KognicAuthError(
      "INVALID_OPTIONS",
      `Retry attempts must be at least 1, got ${JSON.stringify(attempts)}`,
    );
  }
  return {
    attempts,
    statuses: new Set(retry?.statuses ?? [502, 503, 504]),
    methods: new Set(
      (retry?.methods ?? ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]).map((m) => m.toUpperCase()),
    ),
    baseDelay: retry?.baseDelay ?? 500,
    maxDelay: retry?.maxDelay ?? 30_000,
    maxRetryAfter: retry?.maxRetryAfter ?? 60_000,
    deadline: retry?.deadline ?? 120_000,
  };
}

/**
 * Wraps `fetch` so that every request carries `Authorization: Bearer <token>` from `tokens`.
 *
 * - When the API answers 401, the token is invalidated (only if it is still current), a new
 *   one is fetched and the request is sent once more — if its body can be sent again (no body,
 *   a string, bytes, a `Blob`, `URLSearchParams` or `FormData`; not a stream). A second 401 is
 *   returned as it came.
 * - Transient failures are retried ({@linkcode RetryOptions}): by default 502, 503, 504 and
 *   connection errors, for idempotent methods, up to 4 attempts, with exponential backoff and
 *   full jitter, or as long as `Retry-After` asks (up to a cap). Bodies that cannot be sent
 *   again are never retried. The answer of the last attempt is returned as it came.
 * - Each attempt times out when no answer's headers arrived within `timeout` milliseconds (an
 *   error with code `TIMEOUT` if it is not retried); the caller's `AbortSignal` ends the call at
 *   once, in a token wait or a backoff too.
 * - A `sunset-date` response header calls `onSunset` (default: a warning in the log).
 * - The token goes only to the base URL's origin (default `https://app.kognic.com`) and the
 *   `tokenOrigins`: a request to any other origin (a signed storage URL, say) is sent without
 *   it and makes no token request. Scheme, host and port all count.
 * - Redirects are followed by hand: the token goes along only to a token origin, never to
 *   another one, whatever the runtime's `fetch` would do.
 * - Requests to plain `http://` URLs of hosts that are not loopback are refused, so the token
 *   never travels in clear text, unless `allowInsecureHttp` is set.
 *
 * @example Authenticated fetch
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 * import { createAuthFetch } from "@kognic/auth/core";
 *
 * const { provider } = await createClient();
 * const authFetch = createAuthFetch(provider, {
 *   baseUrl: "https://app.kognic.com",
 *   retry: { statuses: [429, 502, 503, 504] },
 * });
 * const response = await authFetch("/v1/projects");
 * ```
 *
 * @param tokens Where tokens come from, usually a {@linkcode TokenProvider}.
 * @param options The base URL, default headers, retries, timeouts, hooks and the `fetch`.
 * @returns A function with the signature of `fetch`; its init may carry `retry` and `timeout`
 * ({@linkcode KognicRequestInit}).
 */
export function createAuthFetch(tokens: TokenSource, options: AuthFetchOptions = {}): typeof fetch {
  const { send, urlOf } = bearerFetch(tokens, {
    ...options,
    baseUrl: options.baseUrl === undefined ? undefined : new URL(options.baseUrl),
  });
  const policy = policyOf(options.retry);
  const defaultTimeout = options.timeout ?? 120_000;
  const clock = options.clock;
  const now = () => clock ? clock.now() : Date.now();
  const wait = (ms: number, signal?: AbortSignal) =>
    clock?.sleep ? clock.sleep(ms, signal) : sleep(ms, signal);
  const random = options.random ?? Math.random;
  const logger = options.logger ?? defaultLogger;
  const onEvent = options.onEvent;
  const onSunset = options.onSunset ?? ((info: SunsetInfo) => {
    const left = info.date.getTime() - now();
    const message = `${info.method} ${JSON.stringify(info.url)} is deprecated and will be ` +
      `removed on ${info.date.toISOString()}`;
    if (left < 14 * DAY) logger.error(message);
    else logger.warn(message);
  });

  function emit(event: ClientEvent): void {
    if (!onEvent) return;
    try {
      onEvent(event);
    } catch {
      // A hook's failure is not the request's.
    }
  }

  function sunset(response: Response, input: FetchInput, init?: RequestInit): void {
    const header = response.headers.get("sunset-date");
    if (header === null || (onSunset === false && !onEvent)) return;
    const method = methodOf(input, init);
    const url = bare(urlOf(input));
    const date = parseIsoDate(header);
    if (!date) {
      logger.debug(`Ignoring an unparseable sunset-date ${JSON.stringify(header)} from ${url}`);
      return;
    }
    emit({ type: "sunset", date, method, url });
    if (onSunset) onSunset({ date, method, url });
  }

  return async function authFetch(input: FetchInput, init?: KognicRequestInit): Promise<Response> {
    const caller = init?.signal ?? (input instanceof Request ? input.signal : undefined) ??
      undefined;
    const timeout = init?.timeout ?? defaultTimeout;
    const retry = init?.retry === undefined
      ? policy
      : init.retry === false
      ? undefined
      : policyOf({ ...options.retry, ...init.retry });
    const started = retry ? now() : 0;
    let deadlines: Deadlines | undefined;
    for (let attempts = 1;; attempts++) {
      // Not AbortSignal.timeout: the deadline ends as soon as the answer's headers are in, so
      // a long body download is left to the caller's own signal; and all requests share one
      // timer (src/_deadline.ts), which is far cheaper than a timer each.
      let deadline: Deadline | undefined;
      let signal = caller;
      if (timeout > 0) {
        deadline = (deadlines ??= deadlinesOf(timeout)).start();
        const own = deadline.controller.signal;
        signal = caller ? eitherSignal(caller, own) : own;
      }
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await send(input, init, signal);
      } catch (error) {
        if (caller?.aborted) throw abortReason(caller);
        // Refusals of this library (an insecure URL, a token error, a 407 from a proxy) and an
        // untrusted certificate are not transient; a proxy that could not be reached is, like
        // any failed connection.
        if (error instanceof KognicAuthError && !isTransient(error)) throw error;
        const failed = unreachable(error, input, init, attempts);
        if (failed.final) throw failed.error;
        failure = signal?.aborted
          ? new KognicAuthError(
            "TIMEOUT",
            `${methodOf(input, init)} ${JSON.stringify(bare(urlOf(input)))} did not ` +
              `answer within ${timeout} ms`,
            { source: bare(urlOf(input)), cause: error },
          )
          : error;
      } finally {
        if (deadline) deadlines!.end(deadline);
      }
      if (response && !retry?.statuses.has(response.status)) {
        sunset(response, input, init);
        return response;
      }
      const delay = retry ? delayFor(retry, attempts, started, input, init, response) : undefined;
      if (delay === undefined || !retry) {
        // The error a failed connection ends in: it names the URL without its query.
        const failed = response ? undefined : unreachable(failure, input, init, attempts).error;
        if (attempts > 1) {
          // The retries were logged at info level: the failure they ended in is a warning.
          logger.warn(
            failed instanceof KognicAuthError
              ? failed.message
              : `${methodOf(input, init)} ${JSON.stringify(bare(urlOf(input)))} failed after ` +
                `${attempts} attempts: ${
                  response ? `status ${response.status}` : failureOf(failure)
                }`,
          );
        }
        if (response) {
          sunset(response, input, init);
          return response;
        }
        throw failed;
      }
      await response?.body?.cancel().catch(() => {});
      const method = methodOf(input, init);
      const url = bare(urlOf(input));
      const why = response ? `status ${response.status}` : failureOf(failure);
      logger.info(
        `Retrying ${method} ${JSON.stringify(url)} in ${Math.round(delay)} ms after ${why} ` +
          `(attempt ${attempts + 1} of ${retry.attempts})`,
      );
      emit({
        type: "retry",
        method,
        url,
        attempt: attempts + 1,
        delayMs: delay,
        ...(response ? { status: response.status } : { error: why }),
      });
      await wait(delay, caller);
    }
  } as typeof fetch;

  /** A failed connection as a KognicAuthError naming method, URL (no query) and attempts. */
  function unreachable(
    error: unknown,
    input: FetchInput,
    init: RequestInit | undefined,
    attempts: number,
  ): { error: unknown; final: boolean } {
    if (error instanceof KognicAuthError) return { error, final: false };
    const url = new URL(bare(urlOf(input)));
    return fetchFailure(error, {
      subject: `${methodOf(input, init)} ${JSON.stringify(url.href)}`,
      url,
      fallback: "API_UNREACHABLE",
      attempts,
    });
  }

  /** How long to wait before the next attempt, or `undefined` when there is none. */
  function delayFor(
    retry: Policy,
    attempts: number,
    started: number,
    input: FetchInput,
    init: RequestInit | undefined,
    response: Response | undefined,
  ): number | undefined {
    if (attempts >= retry.attempts) return undefined;
    if (!retry.methods.has(methodOf(input, init)) || !replayable(input, init)) return undefined;
    const time = now();
    let delay: number;
    const asked = response && parseRetryAfter(response.headers.get("retry-after"), time);
    if (asked !== undefined) {
      if (asked > retry.maxRetryAfter) return undefined;
      delay = asked;
    } else {
      delay = random() * Math.min(retry.maxDelay, retry.baseDelay * 2 ** (attempts - 1));
    }
    return time + delay - started > retry.deadline ? undefined : delay;
  }
}

/**
 * What went wrong, for a log line or an event: every URL in it without its query and fragment
 * (Deno's fetch names the whole URL when a connection fails, a signed URL's signature with it).
 */
function failureOf(error: unknown): string {
  return describeError(error).replace(/(https?:\/\/[^\s?#]*)[?#]\S*?(\)?:?(?:\s|$))/g, "$1$2");
}

/** Options of {@linkcode createClient}. */
export interface ClientOptions extends ResolveOptions, AuthFetchOptions {
  /**
   * A named environment of `environments.json`, the file the `kognic-auth` and `kog` commands
   * read (`--env`): it gives the API host (`baseUrl` becomes `https://<host>`), the auth server
   * (`authHost`), the scopes and the credentials (a file or `keyring://PROFILE`), each unless
   * the options set it. An unknown name is an `ENVIRONMENT_NOT_FOUND` error that lists the
   * environments the file defines. Default: none, so nothing is read from the file.
   */
  environment?: string;
  /**
   * The `environments.json` to read the `environment` from; `~` is expanded. Default
   * `$XDG_CONFIG_HOME/kognic/environments.json`, or `~/.config/kognic/environments.json`.
   */
  environmentsPath?: string;
  /**
   * The API base URL that relative paths resolve against; default the `environment`'s host,
   * or `https://app.kognic.com`.
   */
  baseUrl?: string | URL;
  /**
   * The auth server: the origin (scheme, host and an optional port) whose `tokenPath` is the
   * token endpoint, such as `https://auth.demo.kognic.com`. Default the `environment`'s
   * `auth_server`, or `https://auth.app.kognic.com`. Plain `http://` only for loopback hosts,
   * unless `allowInsecureHttp` is set.
   */
  authHost?: string;
  /** The token endpoint's path on the auth server; default `/v1/auth/oauth/token`. */
  tokenPath?: string;
  /**
   * The scopes to ask for, sent space-joined as the `scope` field; default the `environment`'s
   * scopes, or the credentials' `scopes`, or none.
   */
  scopes?: readonly string[];
  /** How the client authenticates at the token endpoint; default `"client_secret_post"`. */
  authMethod?: AuthMethod;
  /** Headers added to every API request (a workspace header, for example). */
  headers?: HeadersInit;
  /** Sent as `X-Organization-Id` on every API request. */
  organizationId?: string | number;
  /** A name for your program, appended to the `User-Agent`. */
  clientName?: string;
  /** The `fetch` for the token endpoint and the API; default the runtime's. */
  fetch?: typeof fetch;
  /**
   * A proxy for the token endpoint and the API, such as `http://user:password@proxy.corp:3128`,
   * used for every request instead of `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`. Without it
   * the runtime's `fetch` follows those variables. Ignored on runtimes without proxy support
   * (edge functions); not allowed together with `fetch`.
   */
  proxy?: string;
  /**
   * A CA certificate (PEM text) to trust besides the runtime's own, for the token endpoint and
   * the API, such as the one a corporate proxy signs TLS with; works with and without `proxy`.
   * On Node.js it needs the `undici` package. Not allowed together with `fetch`.
   */
  ca?: string;
  /** The clock for token lifetimes and backoff waits; default `Date.now` and timers. */
  clock?: Clock;
  /** Where to persist tokens between processes; default none. */
  store?: TokenStore;
  /** Allow plain `http://` to hosts that are not loopback. Default `false`. */
  allowInsecureHttp?: boolean;
}

/** Options of {@linkcode KognicClient.request} and {@linkcode KognicClient.json}. */
export interface RequestOptions extends Omit<KognicRequestInit, "method" | "body"> {
  /**
   * A JSON body: a plain object, array, number, boolean or `null` (a top-level string or bytes
   * is refused, as in the Python client). Sets `Content-Type: application/json`.
   */
  json?: unknown;
  /** A raw body, when `json` is not given. */
  body?: BodyInit | null;
}

/** Options of {@linkcode KognicClient.json}. */
export interface JsonRequestOptions extends RequestOptions {
  /**
   * Unwrap the `{"data": …}` envelope of Kognic responses; default `true`. A body without a
   * `data` key is then an error with code `RESPONSE_NO_DATA` that names the keys found.
   */
  unwrap?: boolean;
}

/**
 * An authenticated Kognic API client: {@linkcode KognicClient.fetch} is `fetch` with the bearer
 * token, a base URL, default headers, retries, a timeout and sunset warnings;
 * {@linkcode KognicClient.request} also throws {@linkcode HttpError} for answers outside 2xx;
 * {@linkcode KognicClient.json} and {@linkcode KognicClient.get} also parse the JSON and unwrap
 * its `data`.
 *
 * @example Call the Kognic API
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 *
 * const kognic = await createClient(); // credentials from the environment
 * const projects = await kognic.get("/v1/projects");
 * ```
 */
export class KognicClient {
  /** The token provider behind this client, shared with clients of the same credentials. */
  readonly provider: TokenProvider;
  /** The URL relative paths resolve against. */
  readonly baseUrl: URL;
  /** `fetch` with the bearer token, the base URL, the default headers, retries and a timeout. */
  readonly fetch: typeof fetch;

  /**
   * Creates a client over a provider. Most programs use {@linkcode createClient} instead.
   *
   * @param provider The token provider.
   * @param options The base URL, default headers, retries, hooks and `fetch`.
   */
  constructor(provider: TokenProvider, options: AuthFetchOptions = {}) {
    this.provider = provider;
    this.baseUrl = new URL(options.baseUrl ?? DEFAULT_BASE_URL);
    assertSecureUrl(this.baseUrl, "the API", options.allowInsecureHttp);
    this.fetch = createAuthFetch(provider, { ...options, baseUrl: this.baseUrl });
    // The default logger too: failed background refreshes and a failing store are warnings.
    const { onEvent, logger = defaultLogger } = options;
    const listener = (event: TokenEvent) => {
      if (!firstFor(event, logger)) {
        // Another client of this provider already wrote it to this logger.
      } else if (event.type === "token") {
        logger.debug(
          `Obtained an access token from ${JSON.stringify(event.tokenUrl)} by ${event.grant}` +
            (event.expiresIn === undefined ? "" : `, valid for ${event.expiresIn} s`),
        );
      } else if (event.type === "renewal_refused") {
        logger.debug(
          `Not renewing the token of ${JSON.stringify(event.tokenUrl)} after a 401: the last ` +
            `renewal after a 401 was too recent (next allowed in ${event.retryInMs} ms)`,
        );
      } else if (event.type === "store_error") {
        logger.warn(
          `The token store failed to ${event.operation} a token for ` +
            `${JSON.stringify(event.tokenUrl)}: ${event.message}`,
        );
      } else {
        (event.background ? logger.warn : logger.debug)(
          `Token request to ${JSON.stringify(event.tokenUrl)} failed: ${event.message}`,
        );
      }
      onEvent?.(event);
      if (event.type !== "token") return;
      const missing = provider.scopes.filter((scope) => !event.scopes.includes(scope));
      if (!missing.length) return;
      const granted = event.scopes.join(" ");
      onEvent?.({ type: "scopes", tokenUrl: event.tokenUrl, granted: event.scopes, missing });
      // Once per provider and grant: clients that share it, and every later token, say nothing.
      if (narrowed.get(provider) === granted) return;
      narrowed.set(provider, granted);
      logger.warn(
        `The token endpoint ${JSON.stringify(event.tokenUrl)} granted fewer scopes than asked ` +
          `for: not ${JSON.stringify(missing.join(" "))}, only ${JSON.stringify(granted)}`,
      );
    };
    provider[SUBSCRIBE_WEAKLY](listener);
    // The provider holds this listener weakly, so that it never keeps a dropped client alive:
    // the client's fetch holds it, so that it is called as long as the client or its fetch is
    // in use (`const { fetch } = …` too).
    Object.defineProperty(this.fetch, LISTENER, { value: listener });
  }

  /**
   * Sends a request and throws {@linkcode HttpError} when the answer is not 2xx: its status,
   * method, URL without query, the body's `message` field or text (truncated to 500
   * characters), and the `Response`.
   *
   * @example Post JSON
   * ```ts ignore
   * import { createClient } from "@kognic/auth";
   *
   * const kognic = await createClient();
   * await kognic.request("POST", "/v1/things", { json: { name: "a" } });
   * ```
   *
   * @param method The HTTP method.
   * @param path A path relative to the base URL, or an absolute URL.
   * @param options A JSON or raw body, headers, a signal, retry and timeout overrides.
   * @returns The response, its body unread.
   */
  async request(
    method: string,
    path: string | URL,
    options: RequestOptions = {},
  ): Promise<Response> {
    const { json, ...init } = options;
    const url = new URL(path, this.baseUrl);
    let body = init.body;
    let headers = init.headers;
    if (json !== undefined) {
      if (
        typeof json === "string" || json instanceof ArrayBuffer || ArrayBuffer.isView(json) ||
        json instanceof Blob
      ) {
        throw new KognicAuthError(
          "INVALID_OPTIONS",
          "A JSON body must be an object, an array, a number, a boolean or null, not a string or bytes",
        );
      }
      if (body !== undefined) {
        throw new KognicAuthError("INVALID_OPTIONS", "Give either json or body, not both");
      }
      const withType = new Headers(headers);
      if (!withType.has("content-type")) withType.set("Content-Type", "application/json");
      headers = withType;
      body = JSON.stringify(json);
    }
    // The tokens the request went with, so that an error never quotes one the API echoed.
    const sent: string[] = [];
    const response = await this.fetch(url, {
      ...init,
      method,
      headers,
      body,
      [SENT_TOKENS]: sent,
    } as RequestInit);
    if (response.ok) return response;
    throw await httpError(response, method.toUpperCase(), url, sent);
  }

  /**
   * Sends a request, throws {@linkcode HttpError} for answers outside 2xx, parses the JSON
   * answer and returns its `data` (Kognic wraps payloads in `{"data": …}`). An empty answer
   * (such as 204) gives `undefined`.
   *
   * @example Create a thing
   * ```ts ignore
   * import { createClient } from "@kognic/auth";
   *
   * const kognic = await createClient();
   * const created = await kognic.json<{ id: string }>("POST", "/v1/things", {
   *   json: { name: "a" },
   * });
   * ```
   *
   * @typeParam T The type of the payload (not checked).
   * @param method The HTTP method.
   * @param path A path relative to the base URL, or an absolute URL.
   * @param options A JSON or raw body, headers, a signal, `unwrap: false` for the whole body.
   * @returns The payload.
   */
  async json<T = unknown>(
    method: string,
    path: string | URL,
    options: JsonRequestOptions = {},
  ): Promise<T> {
    const { unwrap = true, ...rest } = options;
    const response = await this.request(method, path, rest);
    const text = await response.text();
    if (text.trim() === "") return undefined as T;
    // Built only for an error: the URL without query, and what the call was.
    const fail = (code: "RESPONSE_INVALID_JSON" | "RESPONSE_NO_DATA", detail: string): never => {
      const url = bare(new URL(path, this.baseUrl));
      throw new KognicAuthError(
        code,
        `${method.toUpperCase()} ${JSON.stringify(url)} answered ${detail}`,
        { source: url },
      );
    };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      const type = response.headers.get("content-type") ?? "no content type";
      return fail(
        "RESPONSE_INVALID_JSON",
        `${response.status} with a body that is not JSON (${type})`,
      );
    }
    if (!unwrap) return parsed as T;
    if (isObject(parsed) && "data" in parsed) return parsed.data as T;
    const keys = isObject(parsed) ? Object.keys(parsed) : [];
    const found = !isObject(parsed)
      ? Array.isArray(parsed) ? "an array" : parsed === null ? "null" : `a ${typeof parsed}`
      : keys.length === 0
      ? "an empty object"
      : `keys ${keys.slice(0, 10).map((key) => JSON.stringify(key)).join(", ")}` +
        (keys.length > 10 ? ` and ${keys.length - 10} more` : "");
    return fail("RESPONSE_NO_DATA", `JSON without a "data" key: found ${found}`);
  }

  /**
   * `GET` a path and return the `data` of its JSON answer; see {@linkcode KognicClient.json}.
   *
   * @example List projects
   * ```ts ignore
   * import { createClient } from "@kognic/auth";
   *
   * const kognic = await createClient();
   * const projects = await kognic.get<{ project: string }[]>("/v1/projects");
   * ```
   *
   * @typeParam T The type of the payload (not checked).
   * @param path A path relative to the base URL, or an absolute URL.
   * @param options Headers, a signal, `unwrap: false` for the whole body.
   * @returns The payload.
   */
  get<T = unknown>(path: string | URL, options: JsonRequestOptions = {}): Promise<T> {
    return this.json<T>("GET", path, options);
  }
}

/** Builds the error for a non-2xx response, reading at most 4 KiB of its body. */
async function httpError(
  response: Response,
  method: string,
  url: URL,
  tokens: string[],
): Promise<HttpError> {
  const { text, truncated } = await readText(response, 4096);
  let detail = text;
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed?.message === "string") detail = parsed.message;
  } catch {
    // Not JSON: keep the text.
  }
  detail = redact(detail, tokens);
  if (detail.length > 500) detail = `${detail.slice(0, 500)}…`;
  else if (truncated) detail += "…";
  return new HttpError({ method, url: bare(url), response, detail });
}

/**
 * Builds a client over a connection (see `connect`) with the options' retries, timeout and
 * hooks.
 *
 * @internal
 */
export function buildClient(connection: Connection, options: ClientOptions): KognicClient {
  return new KognicClient(connection.provider, {
    baseUrl: connection.baseUrl,
    headers: connection.headers,
    fetch: connection.fetch,
    allowInsecureHttp: options.allowInsecureHttp,
    tokenOrigins: options.tokenOrigins,
    retry: options.retry,
    timeout: options.timeout,
    clock: options.clock,
    random: options.random,
    onSunset: options.onSunset,
    onEvent: options.onEvent,
    logger: options.logger,
  });
}

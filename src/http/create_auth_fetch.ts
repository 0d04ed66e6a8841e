/**
 * {@linkcode createAuthFetch}: a `fetch` that adds the bearer token, retries transient failures
 * (see {@linkcode RetryOptions}), times each attempt out, and reports sunset headers. The
 * `KognicClient` of `@kognic/auth` is built on it.
 *
 * @module
 */
import { KognicAuthError } from "../errors.ts";
import { type Clock, TokenProvider, type TokenSource } from "../token/provider.ts";
import type { Held } from "../token/expiry.ts";
import { STATE } from "../token/keys.ts";
import { bare, bearerFetch, type FetchInput, methodOf, SENT_TOKENS } from "./auth_fetch.ts";
import { type ClientEvent, defaultLogger, type Logger } from "./logging.ts";
import { delayFor, policyOf, type RetryOptions } from "./retry.ts";
import { type SunsetInfo, sunsetReporter } from "./sunset.ts";
import { networkOf } from "../_transport.ts";
import { explainRefusal } from "../credentials/refused.ts";
import { type Deadline, type Deadlines, deadlinesOf } from "./_deadline.ts";
import { abortReason, describeError, eitherSignal, isTransient, sleep } from "../_util.ts";

/** Options of {@linkcode createAuthFetch}. */
export interface AuthFetchOptions {
  /** The URL relative request URLs are resolved against. */
  baseUrl?: string | URL;
  /** Headers added to every request unless the request sets them. */
  headers?: HeadersInit;
  /** The `fetch` that sends the requests; default the runtime's, which applies `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` on Deno, Bun and Node, as they are when the `fetch` is created. */
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
   * redirects included) before it is aborted (within 4 ms after, never before) and, if allowed,
   * retried; default 120 000; `0` disables it. Reading the body is not covered: pass a `signal`
   * for that. A request can override it with a `timeout` field in its init.
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

/**
 * A private key of a request's init, looked at only when the init carries `SENT_TOKENS` too: a
 * function called with each retry event of that one request (for `@kognic/auth/otel`, which
 * counts a call's retries).
 *
 * @internal
 */
export const ON_RETRY: unique symbol = Symbol("kognic-auth.onRetry");

/** A `RequestInit` with the per-request overrides {@linkcode createAuthFetch} understands. */
export interface KognicRequestInit extends RequestInit {
  /** Overrides the client's retry options for this request; `false` never retries. */
  retry?: RetryOptions | false;
  /** Overrides the client's timeout for this request, in milliseconds; `0` disables it. */
  timeout?: number;
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
  // The core's transport, taken here too for the fast lane below.
  const transport = options.fetch ?? networkOf(options).fetch();
  const { send, urlOf } = bearerFetch(tokens, {
    ...options,
    baseUrl: options.baseUrl === undefined ? undefined : new URL(options.baseUrl),
    fetch: transport,
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

  function emit(event: ClientEvent): void {
    if (!onEvent) return;
    try {
      onEvent(event);
    } catch {
      // A hook's failure is not the request's.
    }
  }
  const sunset = sunsetReporter(options, emit, logger, now, urlOf);

  // The fast lane of the hot path: a request without init to the URL string of the last request
  // that went with the token (so its scheme was checked and its origin is a token origin), while
  // a TokenProvider holds a fresh token (its own getToken, not a subclass's, which may do more),
  // sends its first hop from here as the core would: the token read without a promise, the core's
  // async step and its await of `getToken` skipped. An answer other than a success goes on through
  // the core's `send`, which takes up from it (a redirect, a 401).
  let lane: string | undefined;
  /** The lane's token and record: the defaults, the token over them, frozen. */
  let record: [string, Record<string, string>] | undefined;
  const defaults = Object.fromEntries(new Headers(options.headers));

  /** The provider's token if its `getToken` would give it at once. */
  function fresh(): string | false | undefined {
    if (tokens.getToken !== TokenProvider.prototype.getToken) return;
    // Indexed, not destructured: no iterator per request.
    const state = (tokens as TokenProvider)[STATE]() as [Held | undefined, { clock?: Clock }];
    const held = state[0];
    // The clock of the provider's options, as its getToken reads it.
    return held && (state[1].clock ?? Date).now() < held.refreshAt && held.accessToken;
  }

  return async function authFetch(input: FetchInput, init?: KognicRequestInit): Promise<Response> {
    type Private = { [SENT_TOKENS]?: string[]; [ON_RETRY]?: (event: ClientEvent) => void };
    const sent = (init as Private | undefined)?.[SENT_TOKENS];
    let onRetry: Private[typeof ON_RETRY];
    if (sent) {
      onRetry = (init as Private)[ON_RETRY];
      // Not for the transport: the keys stay with this library.
      init = { ...init };
      delete (init as Private)[SENT_TOKENS];
      delete (init as Private)[ON_RETRY];
    }
    // A Request's own signal is never null: only an init's can be.
    const caller = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const timeout = init?.timeout ?? defaultTimeout;
    const retry = init?.retry === undefined
      ? policy
      : init.retry === false
      ? undefined
      : policyOf({ ...options.retry, ...init.retry });
    const started = now();
    // The call's one retry budget: its API retries and those of a token request it starts
    // (src/token_endpoint.ts) take from it, so what a token request gave up on, having spent
    // it, is not retried here.
    const budget = { retries: retry ? retry.attempts - 1 : 0 };
    let deadlines: Deadlines | undefined;
    for (let attempts = 1;; attempts++) {
      // Not AbortSignal.timeout: the deadline ends as soon as the answer's headers are in, so
      // a long body download is left to the caller's own signal; and all requests share one
      // timer (src/_deadline.ts), which is far cheaper than a timer each.
      let deadline: Deadline | undefined;
      let controller: AbortController | undefined;
      let signal = caller;
      if (timeout > 0) {
        deadline = (deadlines ??= deadlinesOf(timeout)).start(controller = new AbortController());
        signal = caller ? eitherSignal(caller, controller.signal) : controller.signal;
      }
      let response: Response | undefined;
      let failure: unknown;
      try {
        const token = !init && lane === input && fresh();
        if (token) {
          if (record?.[0] !== token) {
            record = [token, Object.freeze({ ...defaults, authorization: `Bearer ${token}` })];
          }
          response = await transport(urlOf(input).href, {
            headers: record[1],
            redirect: "manual",
            signal,
          });
          if (response.status > 299) {
            response = await send(input, init, signal, sent, budget, [response, token]);
          }
        } else {
          // Whether the URL got the token: then the next request to it may take the lane.
          const went = sent ?? [];
          response = await send(input, init, signal, went, budget);
          if (went[0] && typeof input === "string") lane = input;
        }
      } catch (error) {
        if (caller?.aborted) throw abortReason(caller);
        // Refusals of this library (an insecure URL, a token error, a proxy's refusal), an
        // untrusted certificate and what a token request gave up on are not transient; a proxy
        // that could not be reached is, like any failed connection.
        // A refused client says what to check (a hint that createClient gave its provider).
        if (error instanceof KognicAuthError && !isTransient(error)) {
          throw await explainRefusal(error, tokens);
        }
        const failed = await unreachable(error, input, init, attempts);
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
        if (deadline) deadlines!.end(deadline, controller!);
      }
      if (response && !retry?.statuses.has(response.status)) {
        sunset(response, input, init);
        return response;
      }
      const delay = retry && budget.retries > 0
        ? delayFor(retry, attempts, started, input, init, response, now, random)
        : undefined;
      if (delay === undefined || !retry) {
        // The error a failed connection ends in: it names the URL without its query.
        const failed = response
          ? undefined
          : (await unreachable(failure, input, init, attempts)).error;
        if (!response) throw failed; // The error says it; a warning would say it twice.
        if (attempts > 1) {
          // The retries were logged at info level: the answer they ended in is a warning.
          logger.warn(
            `${methodOf(input, init)} ${JSON.stringify(bare(urlOf(input)))} failed after ` +
              `${attempts} attempts: status ${response.status}`,
          );
        }
        sunset(response, input, init);
        return response;
      }
      budget.retries--;
      await response?.body?.cancel().catch(() => {});
      const method = methodOf(input, init);
      const url = bare(urlOf(input));
      const why = response ? `status ${response.status}` : failureOf(failure);
      logger.info(
        `Retrying ${method} ${JSON.stringify(url)} in ${Math.round(delay)} ms after ${why} ` +
          `(attempt ${attempts + 1} of ${attempts + 1 + budget.retries})`,
      );
      const event: ClientEvent = {
        type: "retry",
        method,
        url,
        attempt: attempts + 1,
        delayMs: delay,
        ...(response ? { status: response.status } : { error: why }),
      };
      emit(event);
      try {
        onRetry?.(event);
      } catch {
        // As a hook's: not the request's failure.
      }
      await wait(delay, caller);
    }
  } as typeof fetch;

  /**
   * A failed connection as a KognicAuthError naming method, URL (no query) and attempts; the
   * runtime's classifier of failures may load on the first.
   */
  function unreachable(
    error: unknown,
    input: FetchInput,
    init: RequestInit | undefined,
    attempts: number,
  ): Unreachable | Promise<Unreachable> {
    if (error instanceof KognicAuthError) return { error, final: false };
    const url = new URL(bare(urlOf(input)));
    return networkOf(options).failure(error, {
      subject: `${methodOf(input, init)} ${JSON.stringify(url.href)}`,
      url,
      fallback: "API_UNREACHABLE",
      attempts,
    });
  }
}

/** A failed connection as the error to throw, and whether another attempt cannot help. */
type Unreachable = { error: unknown; final: boolean };

/**
 * What went wrong, for a log line or an event: every URL in it without its query and fragment
 * (Deno's fetch names the whole URL when a connection fails, a signed URL's signature with it).
 */
function failureOf(error: unknown): string {
  return describeError(error).replace(/(https?:\/\/[^\s?#]*)[?#]\S*?(\)?:?(?:\s|$))/g, "$1$2");
}

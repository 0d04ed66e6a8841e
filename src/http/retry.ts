/**
 * When requests are retried: {@linkcode RetryOptions}, the policy they give, and how long to wait
 * before the next attempt (exponential backoff with full jitter, or the server's
 * `Retry-After`). The retry loop itself is in `createAuthFetch`.
 *
 * @module
 */
import { KognicAuthError } from "../errors.ts";
import { type FetchInput, methodOf, replayable } from "./auth_fetch.ts";
import { parseRetryAfter } from "../_util.ts";
import { backoff } from "../_backoff.ts";

/**
 * When and how requests are retried. Every field has a default; a retry happens only when the
 * method is listed, the body can be sent again, attempts remain and the deadline allows the wait.
 */
export interface RetryOptions {
  /**
   * The most attempts per call, the first one included; default 4 (three retries). The retries
   * are the call's, whatever they are for: those of the token request it waits for come out of
   * them too.
   */
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

/**
 * {@linkcode RetryOptions} with their defaults applied.
 *
 * @internal
 */
export interface Policy {
  attempts: number;
  statuses: ReadonlySet<number>;
  methods: ReadonlySet<string>;
  baseDelay: number;
  maxDelay: number;
  maxRetryAfter: number;
  deadline: number;
}

/**
 * The policy of `retry`; `undefined` when it is `false`. Throws `INVALID_OPTIONS` for fewer
 * than one attempt.
 *
 * @internal
 */
export function policyOf(retry: RetryOptions | false | undefined): Policy | undefined {
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
 * How long to wait before attempt `attempts + 1`, or `undefined` when there is none; the call's
 * retry budget (createAuthFetch) says whether one is left.
 *
 * @internal
 */
export function delayFor(
  retry: Policy,
  attempts: number,
  started: number,
  input: FetchInput,
  init: RequestInit | undefined,
  response: Response | undefined,
  now: () => number,
  random: () => number,
): number | undefined {
  if (!retry.methods.has(methodOf(input, init)) || !replayable(input, init)) return undefined;
  const time = now();
  let delay: number;
  const asked = response && parseRetryAfter(response.headers.get("retry-after"), time);
  if (asked !== undefined) {
    if (asked > retry.maxRetryAfter) return undefined;
    delay = asked;
  } else {
    delay = backoff(attempts, retry.baseDelay, retry.maxDelay, random);
  }
  return time + delay - started > retry.deadline ? undefined : delay;
}

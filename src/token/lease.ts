// Coordination over a shared token store: the key tokens are stored under, the bound on store
// calls, and the lease. Of the providers that share a store with a lease,
// only the leaseholder asks the token endpoint; the others look for its token in the store. Every
// store call is bounded in time: a store that fails or hangs never fails a token request, the
// provider goes on without it. Private to the token layer.
import type { Clock, TokenProviderOptions } from "./types.ts";
import { DEFAULT_AUTH_HOST } from "../credentials/credentials.ts";
import { backoff } from "../_backoff.ts";
import { hex, sleep } from "../_util.ts";

/** A store that failed or did not answer in time. */
export const FAILED: unique symbol = Symbol();

/** How long a store may take to answer before the provider goes on without it. */
export const STORE_TIMEOUT = 2_000;

/**
 * The longest lease on the token request: a leaseholder that dies blocks nobody longer. A lease
 * lasts as long as a token request may (the provider's `timeout`), at most this long; those who
 * wait for the leaseholder's token wait at most twice that long, then ask for one themselves.
 */
export const LEASE_TTL = 10_000;

/**
 * Takes the lease, or waits for the leaseholder's token: tries `lease` and, while another holds
 * it, `look`s in the store after a backoff pause (by `clock`), for at most twice `ttl` (for the
 * lease to end, and for the next holder's request). The last leaseholder may have saved its
 * token since the last look: one found is taken at once.
 *
 * @returns The token `look` found, if any; whether this provider holds the lease (`true`),
 * another did at the end (`false`) or the store failed ({@linkcode FAILED}); and whether another
 * held it at some point (its refresh token may be spent by now).
 */
export async function awaitLease<T>(
  lease: () => Promise<boolean | typeof FAILED>,
  look: () => Promise<T | undefined>,
  ttl: number,
  clock: Clock,
  random?: () => number,
): Promise<[found: T | undefined, leased: boolean | typeof FAILED, contested: boolean]> {
  const deadline = clock.now() + 2 * ttl;
  let contested = false;
  for (let attempt = 1;; attempt++) {
    const leased = await lease();
    contested ||= leased !== true;
    if (leased === FAILED) return [undefined, leased, contested];
    const found = await look();
    if (found || leased || clock.now() >= deadline) return [found, leased, contested];
    const pause = backoff(attempt, 20, 250, random);
    await (clock.sleep ? clock.sleep(pause) : sleep(pause));
  }
}

/**
 * The key under which tokens are persisted, the same as the Python library's:
 * `<auth host as given>:<client id>`, plus
 * `:s-<first 12 hex digits of sha256(space-joined scopes)>` when scopes are given explicitly
 * (the credentials' own scopes are asked for but leave the key alone, as in Python).
 */
export async function storeKey(
  { authHost, credentials, scopes }: TokenProviderOptions,
): Promise<string> {
  const base = `${authHost ?? DEFAULT_AUTH_HOST}:${credentials.clientId}`;
  if (!scopes?.length) return base;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(scopes.join(" ")));
  return `${base}:s-${hex(new Uint8Array(digest)).slice(0, 12)}`;
}

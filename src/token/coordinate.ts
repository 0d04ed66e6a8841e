// The lease on the token request: of the providers that share a store with a lease, only the
// leaseholder asks the token endpoint; the others look for its token in the store. It reaches a
// provider through its options (createClient loads it when a store first leases, the core's
// provider carries it) or with a store that leases, so that an edge function whose store does
// not lease carries none of it. Private to the token layer.
// It imports no code, and takes the backoff rule and the clock's wait from the provider: a
// program that loads it on first use shares no module with it.
import type { Leasing } from "./types.ts";

/**
 * The longest lease on the token request: a leaseholder that dies blocks nobody longer. A lease
 * lasts as long as a token request may (the provider's `timeout`), at most this long; those who
 * wait for the leaseholder's token wait at most twice that long, then ask for one themselves.
 */
const LEASE_TTL = 10_000;

/**
 * The lease coordination of a provider whose store leases (a `Coordinate`): tries
 * the lease and, while another holds it, looks in the store after a backoff pause (by the
 * provider's clock), for at most twice the lease's time to live (for the lease to end, and for
 * the next holder's request). The last leaseholder may have saved its token since the last look:
 * one found is taken at once. When another held the lease at some point (its refresh token may
 * be spent by now) or nobody could tell, the provider's listeners hear how the wait ended.
 */
export async function coordinate<T>(
  leasing: Leasing<T>,
  key: string,
  details: { leased?: boolean; background: boolean },
): Promise<[found: T | undefined, release?: () => unknown]> {
  const { store, clock, options, call, emit } = leasing;
  const owner = leasing.owner ??= crypto.randomUUID();
  const ttl = Math.min(options.timeout || LEASE_TTL, LEASE_TTL);
  const started = clock.now();
  let contested = false;
  let found;
  let leased;
  for (let attempt = 1;; attempt++) {
    leased = await call("lease", () => store.lease!(key, owner, ttl));
    contested ||= leased !== true;
    // The store failed (a symbol): nobody can tell who holds the lease.
    if (typeof leased == "symbol") break;
    found = await leasing.look(key);
    if (found || leased || clock.now() >= started + 2 * ttl) break;
    await leasing.sleep(leasing.backoff(attempt, 20, 250, options.random));
  }
  details.leased = leased === true;
  if (contested) {
    // Another held the lease, or nobody can tell: the refresh token may be spent.
    leasing.spent = leasing.current();
    emit({
      type: "lease_wait",
      durationMs: clock.now() - started,
      outcome: typeof leased == "symbol"
        ? "store_error"
        : found
        ? "token"
        : leased
        ? "lease"
        : "timeout",
    });
  }
  // The store failed, the current token is still good: a background refresh tries again later.
  if (typeof leased == "symbol" && details.background && (found = leasing.current())) {
    leasing.retryLater(found);
  }
  return [
    found,
    leased === true && store.release
      ? () => call("lease", () => store.release!(key, owner))
      : undefined,
  ];
}

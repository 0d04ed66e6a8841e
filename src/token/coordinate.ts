// The lease on the token request: of the providers that share a store with a lease, only the
// leaseholder asks the token endpoint; the others look for its token in the store. It reaches a
// provider through its options (createClient loads it when a store first leases, the core's
// provider carries it) or with a store that leases, so that an edge function whose store does
// not lease carries none of it. Private to the token layer.
// It imports no code, and takes the backoff rule and the clock's wait from the provider: a
// program that loads it on first use shares no module with it.
import type {
  Clock,
  StoreOperation,
  TokenEvent,
  TokenProviderOptions,
  TokenStore,
} from "./types.ts";

/**
 * The longest lease on the token request: a leaseholder that dies blocks nobody longer. A lease
 * lasts as long as a token request may (the provider's `timeout`), at most this long; those who
 * wait for the leaseholder's token wait at most twice that long, then ask for one themselves.
 */
const LEASE_TTL = 10_000;

/**
 * The lease coordination of a provider whose store leases: tries the lease on `key` and, while
 * another holds it, looks in the store after a backoff pause (by the provider's clock), for at
 * most twice the lease's time to live (for the lease to end, and for the next holder's request).
 * The last leaseholder may have saved its token since the last look: one found is taken at once.
 * When another held the lease at some point (its refresh token may be spent by now) or nobody
 * could tell, `spent` is called and the provider's listeners hear how the wait ended. The
 * provider lends its options, clock, wait, the backoff rule, its bounded store call, its look in
 * the store and its events; `failed`, called when the store failed, gives the token to keep
 * instead of a request, if any. Notes in `details` whether the provider held the lease.
 *
 * @returns The token found, if any, and what releases the lease when the provider holds it.
 */
export async function coordinate<T>(
  store: TokenStore,
  key: string,
  details: { leased?: boolean },
  options: TokenProviderOptions,
  clock: Clock,
  sleep: (ms: number) => Promise<void>,
  backoff: (attempt: number, base: number, cap: number, random?: () => number) => number,
  call: <R>(operation: StoreOperation, call: () => Promise<R>) => Promise<R | symbol>,
  look: () => Promise<T | undefined>,
  emit: (event: Omit<Extract<TokenEvent, { type: "lease_wait" }>, "tokenUrl">) => void,
  spent: () => unknown,
  failed: () => T | undefined,
): Promise<[found: T | undefined, release?: () => unknown]> {
  // One id per provider as a leaseholder: the provider's options object is its own.
  let owner = owners.get(options);
  if (!owner) owners.set(options, owner = crypto.randomUUID());
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
    found = await look();
    if (found || leased || clock.now() >= started + 2 * ttl) break;
    await sleep(backoff(attempt, 20, 250, options.random));
  }
  details.leased = leased === true;
  if (contested) {
    spent();
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
  return [
    typeof leased == "symbol" ? failed() : found,
    leased === true && store.release
      ? () => call("lease", () => store.release!(key, owner))
      : undefined,
  ];
}

/** Each provider's id as a leaseholder, by the provider's options. */
const owners = new WeakMap<object, string>();

// The module-private symbols under which this package reaches into its own providers, options
// and stores (see ./types.ts). Apart from the types so that code on the way of every request
// imports a few symbols, not the types file. Not part of the public API.

/** The key of a store's wait: see `InternalStore` (./types.ts). */
export const WAIT: unique symbol = Symbol();
/** The key of a provider's shared renewal limit: see `InternalOptions` (./types.ts). */
export const RENEWALS: unique symbol = Symbol();
/**
 * The key of the lease coordination (./lease.ts) in a provider's options or on a store that
 * leases: a provider without it lets every process ask, so that code which never meets a
 * leasing store (an edge function over Workers KV) does not carry it.
 */
export const COORDINATE: unique symbol = Symbol();
/**
 * The key of a provider's method that tells what it holds, without a request: its current token
 * (if any) and its options (for the credentials' expiry). For `@kognic/auth/otel`'s gauges, and
 * for createAuthFetch's fast lane, which takes a fresh token without `getToken`'s promise.
 */
export const STATE: unique symbol = Symbol();

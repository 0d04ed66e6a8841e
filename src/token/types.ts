/**
 * The token layer's public types: the {@linkcode TokenStore} contract, the {@linkcode Clock},
 * the {@linkcode TokenEvent}s a provider reports, and the options of a provider; and, under
 * module-private symbols, the two extension points only this package uses (a store's wait, a
 * shared renewal limit).
 *
 * @module
 */
import type { AuthMethod, TokenResponse } from "./endpoint.ts";
import type { Credentials } from "../credentials/credentials.ts";
import type { CredentialsEvent } from "../credentials/expiry.ts";
import { COORDINATE, RENEWALS, STATE, WAIT } from "./keys.ts";

// The keys themselves live in ./keys.ts, so that code which needs only them does not load this
// file (mostly types and their documentation, which Node strips at each start from source).
export { COORDINATE, RENEWALS, STATE, WAIT };

/** A source of time, injectable so that tests can move it without sleeping. */
export interface Clock {
  /**
   * The current time.
   *
   * @returns Milliseconds since the epoch.
   */
  now(): number;
  /**
   * Waits, for retry back-off. Default: a timer.
   *
   * @param ms How long to wait, in milliseconds.
   * @param signal Ends the wait early with the signal's reason.
   */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * A token as persisted: the server's response plus `expires_at` in epoch seconds — the shape of
 * the Python library's shared token cache.
 */
export type StoredToken = TokenResponse & {
  /** When the token expires, in seconds since the epoch. */
  expires_at?: number;
};

/**
 * Where a {@linkcode TokenProvider} persists tokens so that processes or isolates can share
 * them. Both methods may fail: the provider then goes on without the store and tells its
 * subscribers (a `store_error` {@linkcode TokenEvent}).
 */
export interface TokenStore {
  /**
   * A short name for the store, such as `redis`, that the telemetry of `@kognic/auth/otel`
   * carries. Optional.
   */
  readonly name?: string;
  /**
   * Loads a token.
   *
   * @param key The cache key, such as `https://auth.app.kognic.com:my-client-id`.
   * @returns The token, or `undefined`.
   */
  load(key: string): Promise<StoredToken | undefined>;
  /**
   * Saves a token.
   *
   * @param key The cache key.
   * @param token The token to save.
   */
  save(key: string, token: StoredToken): Promise<void>;
  /**
   * Takes a short lease on `key` for `owner`, if nobody else holds it. Optional: with it, of
   * everything that shares the store only the leaseholder asks the token endpoint while the
   * others wait for the token to show up in the store; a lease left by a dead owner ends with
   * its time to live. Stores without it let every process ask for its own token. The library's
   * stores that lease bring the coordination with them; for a store of your own, `createClient`,
   * `edgeClient`, the Hono shell and the core's `TokenProvider` provide it, `edgeFetch` (which
   * stays small) does not: there every process asks.
   *
   * @param key The cache key.
   * @param owner Who takes the lease: one id per provider.
   * @param ttl How long the lease lasts unless released, in milliseconds.
   * @returns Whether `owner` holds the lease now.
   */
  lease?(key: string, owner: string, ttl: number): Promise<boolean>;
  /**
   * Releases the lease on `key` if `owner` still holds it.
   *
   * @param key The cache key.
   * @param owner Who took the lease.
   */
  release?(key: string, owner: string): Promise<void>;
}

/** Something that gives out access tokens and takes back rejected ones. */
export interface TokenSource {
  /**
   * Returns a valid access token.
   *
   * @param options An `AbortSignal` that stops the wait.
   * @returns The access token.
   */
  getToken(options?: { signal?: AbortSignal }): Promise<string>;
  /**
   * Drops `accessToken` if it is still the current one (a source may refuse, to limit renewals;
   * `getToken` then returns the same token, and a 401 is returned as it came).
   *
   * @param accessToken The token an API rejected.
   * @returns Whether it was dropped.
   */
  invalidate(accessToken: string): boolean;
}

/**
 * What `token` and `token_error` {@linkcode TokenEvent}s tell about the token request.
 */
export interface TokenRequestDetails {
  /**
   * How many HTTP requests the token endpoint got: retries included, and a refused refresh
   * followed by client credentials counts both.
   */
  readonly attempts: number;
  /** The HTTP status of the token endpoint's last answer, if it answered. */
  readonly status?: number;
  /**
   * How long the token request took, in milliseconds by the provider's clock (waiting for a
   * lease not included).
   */
  readonly durationMs: number;
  /**
   * With a store that has leases: whether this provider held the lease for the request
   * (`false`: another held it, or the store could not say).
   */
  readonly leased?: boolean;
}

/**
 * What a {@linkcode TokenProvider} tells its subscribers: a token was obtained, a token request
 * failed, a renewal after a 401 was refused, the store failed, or the provider waited for
 * another's lease; for a client's provider also that its credentials expire soon or rotated
 * ({@linkcode CredentialsEvent}). Never holds a token or a secret.
 */
export type TokenEvent =
  | CredentialsEvent
  | ({
    /** A new access token was obtained. */
    readonly type: "token";
    /** The grant that produced it. */
    readonly grant: "client_credentials" | "refresh_token";
    /** The token endpoint URL. */
    readonly tokenUrl: string;
    /** The token's lifetime in seconds, when the server said. */
    readonly expiresIn?: number;
    /**
     * The scopes granted: the `scope` field of the token response, or those asked for when the
     * server left it out. OAuth 2.0 lets a server grant fewer than asked for.
     */
    readonly scopes: readonly string[];
    /** Whether the refresh ran in the background while the old token was still served. */
    readonly background: boolean;
  } & TokenRequestDetails)
  | ({
    /** A token request failed. */
    readonly type: "token_error";
    /** The grant of the last request, if one was sent. */
    readonly grant?: "client_credentials" | "refresh_token";
    /** The token endpoint URL. */
    readonly tokenUrl: string;
    /** The error's code, such as `TOKEN_OAUTH_ERROR`. */
    readonly code: string;
    /** The error's message (it never holds a secret). */
    readonly message: string;
    /** Whether the refresh ran in the background while the old token was still served. */
    readonly background: boolean;
  } & TokenRequestDetails)
  | {
    /**
     * A 401 asked for a new token too soon after the last renewal a 401 caused; the token was
     * kept and the 401 returned as it came, unless the token store held a newer one.
     */
    readonly type: "renewal_refused";
    /** The token endpoint URL. */
    readonly tokenUrl: string;
    /** Milliseconds until a 401 may renew the token again. */
    readonly retryInMs: number;
  }
  | {
    /** The token store failed; the provider went on without it. */
    readonly type: "store_error";
    /**
     * What failed: loading a token, saving one, or taking the lease on the token request.
     * Emitted once until that operation succeeds again.
     */
    readonly operation: StoreOperation;
    /** The token endpoint URL. */
    readonly tokenUrl: string;
    /** The store's error message, with the tokens the provider holds redacted. */
    readonly message: string;
  }
  | {
    /**
     * Another provider sharing the store held the lease on the token request, and this one
     * waited for its token.
     */
    readonly type: "lease_wait";
    /** The token endpoint URL. */
    readonly tokenUrl: string;
    /** How long it waited, in milliseconds by the provider's clock. */
    readonly durationMs: number;
    /**
     * How the wait ended: the other's token showed up in the store (`token`), the lease came
     * free and this provider took it (`lease`), the store failed (`store_error`), or it gave up
     * after twice the lease's time to live (`timeout`) and asked for a token itself.
     */
    readonly outcome: "token" | "lease" | "store_error" | "timeout";
  };

/** An access token and what is known about it, from {@linkcode TokenProvider.getAccessToken}. */
export interface AccessToken {
  /** The access token, for `Authorization: Bearer`. */
  readonly token: string;
  /** When it expires, in milliseconds since the epoch; `undefined` when the server did not say. */
  readonly expiresAt?: number;
  /**
   * The scopes it carries: the `scope` field of the token response, or the scopes asked for
   * when the server left the field out (which OAuth 2.0 allows when it granted them all).
   */
  readonly scopes: readonly string[];
}

/**
 * An operation of a {@linkcode TokenStore}, as `store_error` events name it.
 *
 * @example Count the store's failures by operation
 * ```ts
 * import type { StoreOperation, TokenEvent } from "@kognic/auth";
 *
 * const failures = new Map<StoreOperation, number>();
 * const listener = (event: TokenEvent) => {
 *   if (event.type === "store_error") {
 *     failures.set(event.operation, (failures.get(event.operation) ?? 0) + 1);
 *   }
 * };
 * listener({ type: "store_error", operation: "lease", tokenUrl: "https://x", message: "Down" });
 * console.log(failures.get("lease")); // 1
 * ```
 */
export type StoreOperation = "load" | "save" | "lease";

/** Options of {@linkcode TokenProvider}. */
export interface TokenProviderOptions {
  /** The client id and secret. */
  credentials: Credentials;
  /** The auth host; default `https://auth.app.kognic.com`. */
  authHost?: string;
  /**
   * The token endpoint's path, appended to the auth host (whose own path is kept); default
   * `/v1/auth/oauth/token`.
   */
  tokenPath?: string;
  /** The scopes to ask for; default the credentials' `scopes`. */
  scopes?: readonly string[];
  /** How the client authenticates at the token endpoint; default `"client_secret_post"`. */
  authMethod?: AuthMethod;
  /**
   * The `fetch` for the token endpoint; default the runtime's: on Deno, Bun and Node it applies
   * `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` as they are when the provider is created (as a
   * client from `createClient` does); elsewhere it is the global one.
   */
  fetch?: typeof fetch;
  /** Extra headers for token requests, such as `User-Agent`. */
  headers?: Record<string, string>;
  /** The clock of every expiry, wait and retry; default `Date.now` and timers. */
  clock?: Clock;
  /**
   * A number in [0, 1) for the random part of retry and lease waits; default `Math.random`.
   */
  random?: () => number;
  /** Where to persist tokens between processes; default none. */
  store?: TokenStore;
  /** How long one token request may take, in milliseconds; default 30 000, `0` for no limit. */
  timeout?: number;
  /** Allow a plain `http://` auth host that is not loopback. Default `false`. */
  allowInsecureHttp?: boolean;
  /**
   * How long before expiry to start a background refresh, in milliseconds; default 60 000 (the
   * Python library's leeway), at most half the token's lifetime.
   */
  refreshLeeway?: number;
  /**
   * How long before expiry a token stops being used, in milliseconds; default 30 000, at most a
   * quarter of the token's lifetime.
   */
  expiryMargin?: number;
}

/**
 * Until when (epoch milliseconds) a 401 renews nothing, and the pause after the last renewal a
 * 401 caused (milliseconds).
 */
export type Renewals = [calmUntil: number, pause: number];

/** The retries a call has left, shared by its requests (see `createAuthFetch`). */
export type Budget = { retries: number };

/** A token store as this package's own stores may be. */
export interface InternalStore extends TokenStore {
  /**
   * Waits until a token request that another part of the process started ends (or the store
   * stops waiting for it), before a load. A wait, not a store call: it is not bounded like the
   * store's operations.
   */
  [WAIT]?(): Promise<void>;
  /** The lease coordination, from a store that leases. */
  [COORDINATE]?: Coordinate;
}

/** The options of a provider as this package may give them. */
export interface InternalOptions extends TokenProviderOptions {
  /** The renewal limit's state, when providers share it (on Workers, every request's). */
  [RENEWALS]?: Renewals;
  /** The lease coordination, for stores that lease without bringing it. */
  [COORDINATE]?: Coordinate;
}

/** The lease coordination (./coordinate.ts), as the provider calls it. */
export type Coordinate = typeof import("./coordinate.ts").coordinate;

/**
 * Access tokens that stay fresh: one {@linkcode TokenProvider} per credentials, auth host and
 * scopes caches a token, refreshes it in the background shortly before it expires while the
 * still-valid token keeps being served, lets exactly one token request be in flight however
 * many callers wait, and invalidates by comparison after a 401 so that a late 401 for an old
 * token never throws away a newer one.
 *
 * @module
 */
import type { Credentials } from "../credentials/credentials.ts";
import { TokenError } from "../errors.ts";
import {
  type AuthMethod,
  DEFAULT_AUTH_HOST,
  DEFAULT_TOKEN_PATH,
  HEADER_SAFE,
  requestToken,
  type TokenResponse,
} from "./endpoint.ts";
import { assertSecureUrl, describeError, hex, redact, sleep, withSignal } from "../_util.ts";
import { networkOf } from "../_transport.ts";
import { deadlines } from "./expiry.ts";
import { backoff } from "../_backoff.ts";

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
   * its time to live. Stores without it let every process ask for its own token.
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
  /**
   * Waits until a token request that another part of the process started ends (or the store
   * stops waiting for it), before a {@linkcode TokenStore.load}. A wait, not a store call: it
   * is not bounded like the store's operations.
   *
   * @internal
   */
  wait?(): Promise<void>;
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
 * What a {@linkcode TokenProvider} tells its subscribers: a token was obtained, or a token
 * request failed. Never holds a token or a secret.
 */
export type TokenEvent =
  | {
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
  }
  | {
    /** A token request failed. */
    readonly type: "token_error";
    /** The token endpoint URL. */
    readonly tokenUrl: string;
    /** The error's code, such as `TOKEN_OAUTH_ERROR`. */
    readonly code: string;
    /** The error's message (it never holds a secret). */
    readonly message: string;
    /** Whether the refresh ran in the background while the old token was still served. */
    readonly background: boolean;
  }
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
  /**
   * The renewal limit's state, when providers share it (on Workers, every request's provider).
   *
   * @internal
   */
  renewals?: Renewals;
}

/**
 * Until when (epoch milliseconds) a 401 renews nothing, and the pause after the last renewal a
 * 401 caused (milliseconds).
 *
 * @internal
 */
export type Renewals = [calmUntil: number, pause: number];

interface Held {
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** From here on a background refresh starts. */
  refreshAt: number;
  /** From here on the token is not handed out. */
  readonly expireAt: number;
  /** The token, its expiry and the scopes granted. */
  readonly details: AccessToken;
}

/**
 * The method of {@linkcode TokenProvider} that subscribes a listener weakly (for clients).
 *
 * @internal
 */
export const SUBSCRIBE_WEAKLY: unique symbol = Symbol();

/** How a provider holds a listener: strongly (`subscribe`) or through a `WeakRef`. @internal */
export type ListenerRef = { deref(): ((event: TokenEvent) => void) | undefined };

const systemClock: Clock = { now: () => Date.now() };
/**
 * After a failed background refresh, wait this long before trying again in the background — or
 * half the time left before the token expires, if that is shorter.
 */
const BACKGROUND_RETRY = 5_000;
/**
 * After a 401 renewed the token, another 401 renews it only this long later; the pause doubles
 * while 401s keep coming (up to `MAX_PAUSE`) and starts over after a quiet `MAX_PAUSE`.
 */
const PAUSE = 10_000;
const MAX_PAUSE = 300_000;
/** How long a store may take to answer before the provider goes on without it. */
const STORE_TIMEOUT = 2_000;
/**
 * The longest lease on the token request: a leaseholder that dies blocks nobody longer. A lease
 * lasts as long as a token request may (the `timeout` option), at most this long; those who
 * wait for the leaseholder's token wait at most that long, then ask for one themselves.
 */
const LEASE_TTL = 10_000;
/** A store that failed or did not answer in time. */
const FAILED = Symbol();
/** The retries a call has left (see createAuthFetch). */
type Budget = { retries: number };

/**
 * Hands out access tokens for one set of credentials, auth host and scopes.
 *
 * - A cached token is returned at once while it is fresh.
 * - From `refreshLeeway` before expiry, one background refresh starts and callers keep getting
 *   the current token; from `expiryMargin` before expiry the token is no longer handed out.
 * - However many callers wait, at most one token request is in flight.
 * - With a refresh token, renewal uses the refresh-token grant and falls back to client
 *   credentials when the server refuses it.
 * - {@linkcode TokenProvider.invalidate} drops a token only if it is still the current one.
 *
 * @example Get a token
 * ```ts ignore
 * import { Credentials, TokenProvider } from "@kognic/auth";
 *
 * const provider = new TokenProvider({
 *   credentials: new Credentials({ clientId: "id", clientSecret: "secret" }),
 * });
 * const token = await provider.getToken();
 * ```
 */
export class TokenProvider implements TokenSource {
  /** The token endpoint URL. */
  declare readonly tokenUrl: URL;
  /** The auth host as given, without a trailing slash; part of the cache key. */
  declare readonly authHost: string;
  /** The scopes asked for. */
  declare readonly scopes: readonly string[];
  readonly #options: TokenProviderOptions;
  readonly #clock: Clock;
  #held?: Held;
  #flight?: Promise<Held>;
  #backgroundAfter = 0;
  #rejected?: string;
  /** A token a refused renewal kept, handed out again unless the store has a newer one. */
  #kept?: Held;
  readonly #renewals: Renewals;
  #cacheKey?: Promise<string>;
  #listeners?: Set<ListenerRef>;
  /** The store operations failing now: each is reported once until it works again. */
  readonly #failing = new Set<StoreOperation>();
  #owner?: string;
  /**
   * A token whose refresh token another process may have spent: the store shares it, and
   * another process held the lease (or the store could not say). It is renewed by client
   * credentials, without a refresh the server would refuse.
   */
  #spent?: Held;

  /**
   * Creates a provider. No request is made until the first {@linkcode TokenProvider.getToken}.
   *
   * @param options The credentials, the auth host and the transport.
   */
  constructor(options: TokenProviderOptions) {
    // The runtime's fetch with the proxy variables as they are now, as a client's.
    this.#options = { ...options, fetch: options.fetch ?? networkOf(options).fetch() };
    this.#clock = options.clock ?? systemClock;
    const authHost = (options.authHost ?? DEFAULT_AUTH_HOST).replace(/\/+$/, "");
    // As Python `kognic-auth`: the token path is appended to the auth host, path included
    // (`https://host/prefix` posts to `/prefix/v1/auth/oauth/token`), less a trailing slash.
    // The public fields are declared: defined here, in the order tokenUrl, authHost, scopes.
    this.tokenUrl = new URL(authHost + (options.tokenPath ?? DEFAULT_TOKEN_PATH));
    this.authHost = authHost;
    assertSecureUrl(this.tokenUrl, "the token endpoint", options.allowInsecureHttp);
    // Scopes not given explicitly are the credentials' own: asked for, but (as in Python) not
    // part of the cache key.
    this.scopes = Object.freeze([...options.scopes ?? options.credentials.scopes ?? []]);
    this.#renewals = options.renewals ?? [-Infinity, 0];
  }

  /**
   * Returns a valid access token: the cached one while it is fresh, otherwise the result of
   * the one token request in flight.
   *
   * @param options An `AbortSignal` that ends this caller's wait (the shared request goes on
   * for the other callers).
   * @returns The access token.
   */
  getToken(options?: { signal?: AbortSignal }): Promise<string> {
    const held = this.#held;
    if (held) {
      const now = this.#clock.now();
      if (now < held.refreshAt) return Promise.resolve(held.accessToken);
      if (now < held.expireAt) {
        if (!this.#flight && now >= this.#backgroundAfter) {
          this.#renew(true).catch(() => {
            const now = this.#clock.now();
            this.#backgroundAfter = now + Math.min(BACKGROUND_RETRY, (held.expireAt - now) / 2);
          });
        }
        return Promise.resolve(held.accessToken);
      }
    }
    // A call's retry budget, where createAuthFetch passes one: the token request it starts
    // retries out of it (one it joins has a budget of its own).
    return withSignal(
      this.#renew(false, (options as { budget?: Budget } | undefined)?.budget),
      options?.signal,
    ).then((token) => token.accessToken);
  }

  /**
   * Like {@linkcode TokenProvider.getToken}, with what is known about the token: when it
   * expires and which scopes it carries.
   *
   * @example When the token expires, and its scopes
   * ```ts ignore
   * import { createClient } from "@kognic/auth";
   *
   * const { provider } = await createClient({ scopes: ["api:read", "api:write"] });
   * const { token, expiresAt, scopes } = await provider.getAccessToken();
   * console.log(new Date(expiresAt ?? NaN), scopes);
   * ```
   *
   * @param options An `AbortSignal` that ends this caller's wait.
   * @returns The access token, its expiry and its scopes.
   */
  async getAccessToken(options?: { signal?: AbortSignal }): Promise<AccessToken> {
    for (;;) {
      const token = await this.getToken(options);
      const held = this.#held;
      // Unless it was invalidated meanwhile: then the next token, whose details are known.
      if (held?.accessToken === token) return held.details;
    }
  }

  /**
   * Drops `accessToken` if it is still the current token (compare-and-invalidate), so that the
   * next {@linkcode TokenProvider.getToken} fetches a new one. A 401 for a token that was
   * already replaced changes nothing.
   *
   * Renewals after 401s are limited, so that an API path that always answers 401 cannot turn
   * callers into a token-request loop: the first one is always done (a revoked token is
   * replaced at once), a further one only 10 seconds later, a pause that doubles while 401s
   * keep coming, up to 5 minutes, and starts over after 5 quiet minutes. A refused one emits a
   * `renewal_refused` {@linkcode TokenEvent} and keeps the token, unless the token store holds
   * a newer one (another provider renewed it, such as another request's on Workers): the next
   * `getToken` takes that one without a token request.
   *
   * @param accessToken The token an API rejected.
   * @returns Whether the current token was dropped for a renewal (not when it was refused).
   */
  invalidate(accessToken: string): boolean {
    const held = this.#held;
    if (held?.accessToken !== accessToken) return false;
    const now = this.#clock.now();
    const renewals = this.#renewals;
    const [calmUntil, pause] = renewals;
    const refused = now < calmUntil;
    if (refused) {
      this.#emit({
        type: "renewal_refused",
        tokenUrl: this.tokenUrl.href,
        retryInMs: calmUntil - now,
      });
      if (!this.#options.store) return false;
      this.#kept = held;
    } else {
      renewals[1] = now < calmUntil + MAX_PAUSE ? Math.min(pause * 2, MAX_PAUSE) : PAUSE;
      renewals[0] = now + renewals[1];
    }
    this.#held = undefined;
    this.#rejected = accessToken;
    return !refused;
  }

  /**
   * Calls `listener` with every {@linkcode TokenEvent} from now on, until the returned function
   * is called. The provider keeps the listener (and what it refers to) alive until then.
   *
   * @example Log token refreshes
   * ```ts
   * import { Credentials, TokenProvider, type TokenEvent } from "@kognic/auth";
   *
   * const provider = new TokenProvider({
   *   credentials: new Credentials({ clientId: "id", clientSecret: "secret" }),
   * });
   * const unsubscribe = provider.subscribe((event: TokenEvent) => console.debug(event.type));
   * unsubscribe();
   * ```
   *
   * @param listener Called synchronously with each event; what it throws is ignored.
   * @returns A function that unsubscribes.
   */
  subscribe(listener: (event: TokenEvent) => void): () => void {
    return this[SUBSCRIBE_WEAKLY]({ deref: () => listener });
  }

  /**
   * Like {@linkcode TokenProvider.subscribe}, with the reference to the listener the provider
   * holds: a `WeakRef`, so that a provider shared by many clients never keeps a dropped
   * client's listener (or the client) alive. The caller keeps a reference for as long as it
   * listens.
   *
   * @internal
   */
  [SUBSCRIBE_WEAKLY](ref: ListenerRef): () => void {
    const listeners = this.#listeners ??= new Set();
    for (const other of listeners) if (!other.deref()) listeners.delete(other);
    listeners.add(ref);
    return () => void listeners.delete(ref);
  }

  #emit(event: TokenEvent): void {
    const listeners = this.#listeners;
    for (const ref of listeners ?? []) {
      const listener = ref.deref();
      if (listener) {
        try {
          listener(event);
        } catch {
          // A listener's failure is not the token request's.
        }
      } else listeners!.delete(ref);
    }
  }

  /**
   * The key under which tokens are persisted, the same as the Python library's:
   * `<auth host as given>:<client id>`, plus
   * `:s-<first 12 hex digits of sha256(space-joined scopes)>` when scopes are given explicitly
   * (the credentials' own scopes are asked for but leave the key alone, as in Python).
   *
   * @returns The cache key.
   */
  cacheKey(): Promise<string> {
    return this.#cacheKey ??= (async () => {
      const { authHost, credentials, scopes } = this.#options;
      const base = `${authHost ?? DEFAULT_AUTH_HOST}:${credentials.clientId}`;
      if (!scopes?.length) return base;
      const digest = await crypto.subtle.digest(
        "SHA-256",
        new TextEncoder().encode(scopes.join(" ")),
      );
      const digits = hex(new Uint8Array(digest));
      return `${base}:s-${digits.slice(0, 12)}`;
    })();
  }

  #renew(background: boolean, budget?: Budget): Promise<Held> {
    return this.#flight ??= this.#fetch(background, budget).then(
      (held) => {
        this.#flight = undefined;
        return held;
      },
      (error) => {
        this.#flight = undefined;
        this.#emit({
          type: "token_error",
          tokenUrl: this.tokenUrl.href,
          code: error instanceof TokenError ? error.code : "TOKEN_REQUEST_FAILED",
          message: error instanceof Error ? error.message : String(error),
          background,
        });
        throw error;
      },
    );
  }

  async #fetch(background: boolean, budget?: Budget): Promise<Held> {
    const store = this.#options.store;
    const key = store ? await this.cacheKey() : "";
    // The token a refused renewal kept: used unless the store has a newer one, until its
    // expiry margin as a stored one.
    const kept = this.#kept;
    this.#kept = undefined;
    let held = store && !this.#held ? await this.#load(store, key) : undefined;
    if (!held && kept && this.#clock.now() < kept.expireAt) held = kept;
    // With a lease, one token request for everything that shares the store: the leaseholder's.
    // The others look for its token in the store, for at most twice the lease's time to live
    // (for the lease to end, and for the next holder's request), then ask themselves. Without
    // a lease, or while the store fails, one token request per process.
    const owner = store?.lease && (this.#owner ??= crypto.randomUUID());
    const ttl = Math.min(this.#options.timeout || LEASE_TTL, LEASE_TTL);
    const clock = this.#clock;
    const deadline = clock.now() + 2 * ttl;
    let leased: boolean | typeof FAILED = false;
    for (let attempt = 1; owner && !held; attempt++) {
      leased = await this.#call("lease", () => store!.lease!(key, owner, ttl));
      // Someone else holds the lease, or nobody can tell: the refresh token may be spent.
      if (leased !== true) this.#spent = this.#held;
      if (leased === FAILED) {
        // The current token is still good: a background refresh tries again later, shared.
        if (background && (held = this.#held)) {
          const now = this.#clock.now();
          this.#backgroundAfter = now + Math.min(BACKGROUND_RETRY, (held.expireAt - now) / 2);
        }
        break;
      }
      // The last leaseholder may have saved its token since the last look: taken at once.
      held = await this.#load(store!, key);
      if (held || leased || clock.now() >= deadline) break;
      const pause = backoff(attempt, 20, 250, this.#options.random);
      await (clock.sleep ? clock.sleep(pause) : sleep(pause));
    }
    try {
      return held ? this.#held = held : await this.#request(background, store, key, budget);
    } finally {
      if (leased === true && store!.release) {
        await this.#call("lease", () => store!.release!(key, owner!));
      }
    }
  }

  /** The stored token, if it is usable and not the one this provider holds. */
  async #load(store: TokenStore, key: string): Promise<Held | undefined> {
    await store.wait?.();
    const stored = await this.#call("load", () => store.load(key));
    const now = this.#clock.now();
    // Only a stored token that says when it expires is taken, whatever the store.
    const held = stored !== FAILED && typeof stored?.expires_at === "number" &&
      this.#hold(stored, now);
    if (
      !held || now >= held.expireAt || held.accessToken === this.#rejected ||
      held.accessToken === this.#held?.accessToken
    ) return undefined;
    // As Python `kognic-auth` does, a stored token is used until its expiry margin. One
    // already inside the refresh leeway is not renewed early in the background: another
    // process (or the Python tools) wrote it, and a request now would be one too many.
    if (now >= held.refreshAt) held.refreshAt = held.expireAt;
    return held;
  }

  /**
   * A store operation, bounded by {@linkcode STORE_TIMEOUT}: a failure is reported (once until
   * the operation works again) and gives {@linkcode FAILED}.
   */
  async #call<T>(
    operation: StoreOperation,
    call: () => Promise<T>,
  ): Promise<T | typeof FAILED> {
    try {
      const result = await withSignal(call(), AbortSignal.timeout(STORE_TIMEOUT));
      this.#failing.delete(operation);
      return result;
    } catch (error) {
      if (!this.#failing.has(operation)) {
        this.#failing.add(operation);
        const held = this.#held;
        this.#emit({
          type: "store_error",
          operation,
          tokenUrl: this.tokenUrl.href,
          message: redact(describeError(error), [held?.accessToken, held?.refreshToken]),
        });
      }
      return FAILED;
    }
  }

  async #request(
    background: boolean,
    store: TokenStore | undefined,
    key: string,
    budget?: Budget,
  ): Promise<Held> {
    const options = this.#options;
    const clock = this.#clock;
    const started = clock.now();
    // The provider's options carry the endpoint's (authMethod, fetch, headers, timeout,
    // allowInsecureHttp) under the same names; the others are not the endpoint's.
    const request = {
      ...options,
      tokenUrl: this.tokenUrl,
      scopes: this.scopes,
      sleep: clock.sleep && ((ms: number, signal?: AbortSignal) => clock.sleep!(ms, signal)),
      now: () => clock.now(),
      budget,
    };
    let response: TokenResponse | undefined;
    let grant: "client_credentials" | "refresh_token" = "refresh_token";
    const refreshToken = this.#held !== this.#spent && this.#held?.refreshToken;
    if (refreshToken) {
      try {
        response = await requestToken(options.credentials, { ...request, refreshToken });
      } catch (error) {
        // A refused refresh token (invalid_token, invalid_grant, 401) falls back to a new grant.
        if (
          !(error instanceof TokenError &&
            (error.code === "TOKEN_OAUTH_ERROR" || error.status === 400 || error.status === 401))
        ) throw error;
      }
    }
    if (!response) {
      grant = "client_credentials";
      response = await requestToken(options.credentials, request);
    }
    const held = this.#held = this.#hold(response, started)!;
    this.#emit({
      type: "token",
      grant,
      tokenUrl: this.tokenUrl.href,
      ...(response.expires_in === undefined ? {} : { expiresIn: response.expires_in }),
      scopes: held.details.scopes,
      background,
    });
    const stored: StoredToken = { ...response };
    const life = response.expires_in;
    if (life !== undefined) {
      // Whole seconds, as the Python library writes them; to the millisecond for a token that
      // lives less than a minute, where a second counts.
      const at = started / 1000 + life;
      stored.expires_at = life < 60 ? Math.round(at * 1000) / 1000 : Math.floor(at);
    }
    if (store) await this.#call("save", () => store.save(key, stored));
    return held;
  }

  #hold(token: StoredToken, now: number): Held | undefined {
    // A stored token is checked as a token response is (a store may hold anything).
    if (typeof token?.access_token !== "string" || !HEADER_SAFE.test(token.access_token)) {
      return undefined;
    }
    const options = this.#options;
    const [refreshAt, expireAt, expiresAt] = deadlines(
      token,
      now,
      options.refreshLeeway,
      options.expiryMargin,
    );
    const refreshToken = token.refresh_token;
    const accessToken = token.access_token;
    return {
      accessToken,
      refreshToken: typeof refreshToken === "string" ? refreshToken : undefined,
      refreshAt,
      expireAt,
      details: {
        token: accessToken,
        expiresAt: expiresAt < Infinity ? expiresAt : undefined,
        scopes: typeof token.scope === "string"
          ? token.scope.split(" ").filter(Boolean)
          : this.scopes,
      },
    };
  }
}

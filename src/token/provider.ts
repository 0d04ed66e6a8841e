// Over 400 lines as one concern: the refresh state machine (held token, the one request in
// flight, background refresh, lease, 401 invalidation); its types, lease and expiry are apart.
/**
 * Access tokens that stay fresh: one {@linkcode TokenProvider} per credentials, auth host and
 * scopes caches a token, refreshes it in the background shortly before it expires while the
 * still-valid token keeps being served, lets exactly one token request be in flight however
 * many callers wait, and invalidates by comparison after a 401 so that a late 401 for an old
 * token never throws away a newer one.
 *
 * @module
 */
import { TokenError } from "../errors.ts";
import {
  DEFAULT_AUTH_HOST,
  DEFAULT_TOKEN_PATH,
  postToken,
  type TokenResponse,
} from "./endpoint.ts";
import type {
  AccessToken,
  Budget,
  Clock,
  InternalOptions,
  InternalStore,
  Renewals,
  StoredToken,
  StoreOperation,
  TokenEvent,
  TokenProviderOptions,
  TokenRequestDetails,
  TokenSource,
  TokenStore,
} from "./types.ts";
import { COORDINATE, RENEWALS, STATE, WAIT } from "./keys.ts";
import { assertSecureUrl, describeError, redact, sleep, withSignal } from "../_util.ts";
import { backoff } from "../_backoff.ts";
import { networkOf } from "../_transport.ts";
import { type Held, hold, renew, toStore } from "./expiry.ts";
import { emit, listen, type ListenerRef, SUBSCRIBE_WEAKLY } from "./events.ts";
import { FAILED, STORE_TIMEOUT, storeKey } from "./lease.ts";

export type * from "./types.ts";

const systemClock: Clock = { now: () => Date.now() };

/** What a token request tells its events, filled in as it goes. */
type Details = { -readonly [K in keyof TokenRequestDetails]: TokenRequestDetails[K] } & {
  grant?: "client_credentials" | "refresh_token";
  background: boolean;
};
/** An event without its `tokenUrl`, which {@linkcode TokenProvider} adds. */
type Untargeted = TokenEvent extends infer E ? E extends TokenEvent ? Omit<E, "tokenUrl"> : never
  : never;
/** After a failed background refresh, the next waits this long, or half the token's time left. */
const BACKGROUND_RETRY = 5_000;

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
 * import { Credentials } from "@kognic/auth";
 * import { TokenProvider } from "@kognic/auth/core";
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
  readonly #options: TokenProviderOptions & { fetch: typeof fetch };
  readonly #clock: Clock;
  #held?: Held;
  #flight?: Promise<Held>;
  #backgroundAfter = 0;
  #rejected?: string;
  /** A token a refused renewal kept, handed out again unless the store has a newer one. */
  #kept?: Held;
  readonly #renewals: Renewals;
  #cacheKey?: Promise<string>;
  readonly #listeners = new Set<ListenerRef>();
  /** The store operations failing now: each is reported once until it works again. */
  readonly #failing = new Set<StoreOperation>();
  /**
   * A token whose refresh token another leaseholder may have spent: renewed by client
   * credentials, without a refresh the server would refuse.
   */
  #spent?: Held;

  /**
   * Creates a provider. No request is made until the first {@linkcode TokenProvider.getToken}.
   *
   * @param options The credentials, the auth host and the transport.
   */
  constructor(options: TokenProviderOptions) {
    // The network's fetch where none is given: the runtime's (proxy variables as they are now).
    this.#options = { ...options, fetch: options.fetch ?? networkOf(options).fetch() };
    this.#clock = options.clock ?? systemClock;
    const authHost = (options.authHost ?? DEFAULT_AUTH_HOST).replace(/\/+$/, "");
    // As Python `kognic-auth`: the token path is appended to the auth host, path included
    // (`https://host/prefix` posts to `/prefix/v1/auth/oauth/token`), less a trailing slash.
    // The public fields are declared: defined here, in the order tokenUrl, authHost, scopes.
    this.tokenUrl = new URL(authHost + (options.tokenPath ?? DEFAULT_TOKEN_PATH));
    this.authHost = authHost;
    assertSecureUrl(this.tokenUrl, "the token endpoint", options.allowInsecureHttp);
    // Scopes not given are the credentials' own: asked for, not (as in Python) in the cache key.
    this.scopes = Object.freeze([...options.scopes ?? options.credentials.scopes ?? []]);
    this.#renewals = (options as InternalOptions)[RENEWALS] ?? [-Infinity, 0];
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
          this.#renew(true).catch(() => this.#retryLater(held));
        }
        return Promise.resolve(held.accessToken);
      }
    }
    // A token request this starts retries out of the call's budget (createAuthFetch's), if any.
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
   * Calls `listener` with every {@linkcode TokenEvent} from now on, until the returned function
   * is called. The provider keeps the listener (and what it refers to) alive until then.
   *
   * @example Log token refreshes
   * ```ts
   * import { Credentials, type TokenEvent } from "@kognic/auth";
   * import { TokenProvider } from "@kognic/auth/core";
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
    return listen(this.#listeners, ref);
  }

  /** @internal */
  [STATE](): [held: { details: AccessToken } | undefined, options: TokenProviderOptions] {
    return [this.#held, this.#options];
  }

  /** Tells the listeners, if any, of `event` at this provider's token URL. */
  #emit(event: Untargeted): void {
    emit(this.#listeners, { ...event, tokenUrl: this.tokenUrl.href } as TokenEvent);
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
    return this.#cacheKey ??= storeKey(this.#options);
  }

  /** After a failed background refresh: the next one waits (see {@linkcode BACKGROUND_RETRY}). */
  #retryLater(held: Held): void {
    const now = this.#clock.now();
    this.#backgroundAfter = now + Math.min(BACKGROUND_RETRY, (held.expireAt - now) / 2);
  }

  #renew(background: boolean, budget?: Budget): Promise<Held> {
    const details: Details = {
      background,
      attempts: 0,
      durationMs: 0,
    };
    // The flight ends before anybody hears of its failure.
    return this.#flight ??= this.#fetch(details, budget).finally(() => this.#flight = undefined)
      .catch((error) => {
        this.#emit({
          ...details,
          type: "token_error",
          code: error instanceof TokenError ? error.code : "TOKEN_REQUEST_FAILED",
          message: error instanceof Error ? error.message : String(error),
        });
        throw error;
      });
  }

  /** A store call within STORE_TIMEOUT; a failure is FAILED, reported once until it works. */
  async #call<T>(operation: StoreOperation, call: () => Promise<T>): Promise<T | typeof FAILED> {
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
          message: redact(describeError(error), [held?.accessToken, held?.refreshToken]),
        });
      }
      return FAILED;
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
    const retryInMs = renew(this.#renewals, now);
    const refused = retryInMs > 0;
    if (refused) {
      this.#emit({ type: "renewal_refused", retryInMs });
      if (!this.#options.store) return false;
      this.#kept = held;
    }
    this.#held = undefined;
    this.#rejected = accessToken;
    return !refused;
  }

  /** The stored token, if it is usable and not the one this provider holds. */
  async #load(store: TokenStore, key: string): Promise<Held | undefined> {
    await (store as InternalStore)[WAIT]?.();
    const stored = await this.#call("load", () => store.load(key));
    const now = this.#clock.now();
    // Only a stored token that says when it expires is taken, whatever the store (FAILED, a
    // symbol, has no `expires_at`).
    const held = typeof (stored as StoredToken)?.expires_at === "number" &&
      hold(stored as StoredToken, now, this.#options, this.scopes);
    if (
      !held || now >= held.expireAt || held.accessToken === this.#rejected ||
      held.accessToken === this.#held?.accessToken
    ) return undefined;
    // As in Python `kognic-auth`, a stored token is used until its expiry margin, and not
    // renewed early: another process (or the Python tools) wrote it, a request now is one too many.
    if (now >= held.refreshAt) held.refreshAt = held.expireAt;
    return held;
  }

  async #fetch(details: Details, budget?: Budget): Promise<Held> {
    const store = this.#options.store;
    const key = store ? await this.cacheKey() : "";
    // The token a refused renewal kept: used unless the store has a newer one, until its
    // expiry margin as a stored one.
    const kept = this.#kept;
    this.#kept = undefined;
    let held = store && !this.#held ? await this.#load(store, key) : undefined;
    if (!held && kept && this.#clock.now() < kept.expireAt) held = kept;
    // With a lease, only the leaseholder of all that share the store asks (./lease.ts); without
    // one, or while the store fails, each process asks. The coordination comes with the options
    // or with the store.
    const coordinate = store?.lease &&
      ((this.#options as InternalOptions)[COORDINATE] ?? (store as InternalStore)[COORDINATE]);
    let release;
    if (coordinate && !held) {
      // What the coordination needs of this provider, lent as arguments (./coordinate.ts).
      [held, release] = await coordinate(
        store!,
        key,
        details,
        this.#options,
        this.#clock,
        this.#clock.sleep?.bind(this.#clock) ?? sleep,
        backoff,
        this.#call.bind(this),
        () => this.#load(store!, key),
        this.#emit.bind(this),
        () => this.#spent = this.#held,
        // The current token is still good: a background refresh tries again later, shared.
        () =>
          details.background && (held = this.#held) ? (this.#retryLater(held), held) : undefined,
      );
    }
    try {
      if (held) return this.#held = held;
      // None to take: a token request.
      const options = this.#options;
      const clock = this.#clock;
      const started = clock.now();
      // The provider's options carry the endpoint's (authMethod, fetch, headers, timeout, random,
      // allowInsecureHttp) under the same names; the endpoint counts its attempts in `details`.
      const request = {
        ...options,
        details,
        tokenUrl: this.tokenUrl,
        scopes: this.scopes,
        sleep: clock.sleep?.bind(clock) ?? sleep,
        now: clock.now.bind(clock),
        budget,
      };
      let response: TokenResponse | undefined;
      const refreshToken = this.#held !== this.#spent && this.#held?.refreshToken;
      try {
        if (refreshToken) {
          try {
            response = await postToken(options.credentials, { ...request, refreshToken });
          } catch (error) {
            // A refused refresh token (invalid_token, invalid_grant, 401) falls back to a new
            // grant.
            if (
              !(error instanceof TokenError &&
                (error.code === "TOKEN_OAUTH_ERROR" || error.status === 400 ||
                  error.status === 401))
            ) throw error;
          }
        }
        response ??= await postToken(options.credentials, request);
      } finally {
        details.durationMs = clock.now() - started;
      }
      held = this.#held = hold(response, started, this.#options, this.scopes)!;
      this.#emit({
        ...details as Details & { grant: "client_credentials" | "refresh_token" },
        type: "token",
        ...response.expires_in !== undefined && { expiresIn: response.expires_in },
        scopes: held.details.scopes,
      });
      if (store) await this.#call("save", () => store!.save(key, toStore(response!, started)));
      return held;
    } finally {
      await release?.();
    }
  }
}

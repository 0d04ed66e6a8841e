/**
 * The token cache in the system keyring, shared with Kognic's Python tools: service
 * `kognic-auth`, account = the cache key, secret = the token JSON.
 *
 * @module
 */
import { keyringUnavailable } from "../errors.ts";
import type { Keyring } from "../runtime/mod.ts";
import type { StoredToken, TokenStore } from "../token/provider.ts";
import { usable } from "../token/expiry.ts";

/** The keyring service under which tokens are cached. */
export const TOKEN_KEYRING_SERVICE = "kognic-auth";

/**
 * Creates a {@linkcode TokenStore} in the system keyring.
 *
 * @example Cache tokens in the keyring
 * ```ts
 * import { keyringTokenStore } from "@kognic/auth/stores";
 * import { memoryRuntime } from "@kognic/auth/runtime/memory";
 *
 * const entries: Record<string, string> = {};
 * const store = keyringTokenStore(memoryRuntime({ keyring: entries }).keyring);
 * await store.save("https://auth.app.kognic.com:id", {
 *   access_token: "token",
 *   token_type: "Bearer",
 *   expires_at: Date.now() / 1000 + 3600,
 * });
 * console.log(Object.keys(entries)); // [ "kognic-auth/https://auth.app.kognic.com:id" ]
 * ```
 *
 * @param keyring The keyring, usually `runtime.keyring`; `undefined` is an error
 * (`KEYRING_UNAVAILABLE`).
 * @param options The current time in milliseconds; default `Date.now()`.
 * @returns The store.
 */
export function keyringTokenStore(
  keyring: Keyring | undefined,
  options: { now?: () => number } = {},
): KeyringTokenStore {
  return new KeyringTokenStore(keyring, options);
}

/** A {@linkcode TokenStore} in the system keyring, made by {@linkcode keyringTokenStore}. */
export class KeyringTokenStore implements TokenStore {
  /** The store's name in telemetry. */
  readonly name = "keyring";
  readonly #keyring: Keyring;
  readonly #now: () => number;

  /**
   * Creates the store.
   *
   * @param keyring The keyring, usually `runtime.keyring`; `undefined` is an error
   * (`KEYRING_UNAVAILABLE`).
   * @param options The current time in milliseconds; default `Date.now()`.
   */
  constructor(keyring: Keyring | undefined, options: { now?: () => number } = {}) {
    if (!keyring) throw keyringUnavailable("Cannot cache tokens in the keyring");
    this.#keyring = keyring;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Loads the token cached under `key`, if it is still usable.
   *
   * @param key The cache key.
   * @returns The token, or `undefined`.
   */
  async load(key: string): Promise<StoredToken | undefined> {
    const text = await this.#keyring.get(TOKEN_KEYRING_SERVICE, key);
    if (text === undefined) return undefined;
    try {
      return usable(JSON.parse(text), this.#now());
    } catch {
      return undefined;
    }
  }

  /**
   * Caches `token` under `key`.
   *
   * @param key The cache key.
   * @param token The token with `expires_at`.
   */
  async save(key: string, token: StoredToken): Promise<void> {
    await this.#keyring.set(TOKEN_KEYRING_SERVICE, key, JSON.stringify(token));
  }

  /**
   * Removes the token cached under `key`.
   *
   * @param key The cache key.
   */
  async delete(key: string): Promise<void> {
    await this.#keyring.delete(TOKEN_KEYRING_SERVICE, key);
  }
}

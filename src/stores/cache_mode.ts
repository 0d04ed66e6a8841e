// The token cache modes of the CLI's `--token-cache` and the store each one picks: the file and
// the keyring only (the keyring's where there is one), so that a command loads no other store.
// Re-exported by ./mod.ts.
import { detectRuntime } from "../runtime/detect.ts";
import type { Runtime } from "../runtime/mod.ts";
import type { Clock, StoredToken, TokenStore } from "../token/types.ts";
import { fileTokenStore } from "./file.ts";

/**
 * Where tokens are cached: `auto` (the keyring when there is one, else the file), `keyring`,
 * `file`, or `none`.
 */
export type TokenCacheMode = "auto" | "keyring" | "file" | "none";

/** The modes of {@linkcode TokenCacheMode}, in the order the CLI lists them. */
export const TOKEN_CACHE_MODES: readonly TokenCacheMode[] = ["auto", "keyring", "file", "none"];

/** Options of {@linkcode createTokenStore}. */
export interface TokenStoreOptions {
  /** The runtime; detected by default. */
  runtime?: Runtime;
  /** The cache file for the `file` mode (and `auto` without a keyring). */
  path?: string;
  /** The stores' clock, as `fileTokenStore`'s `clock` option; the system's by default. */
  clock?: Clock;
}

/** Tries the keyring first and falls back to the file when the keyring fails. */
class FallbackTokenStore implements TokenStore {
  readonly name = "keyring-or-file";
  readonly #first: TokenStore;
  readonly #second: TokenStore;
  constructor(first: TokenStore, second: TokenStore) {
    this.#first = first;
    this.#second = second;
  }
  async load(key: string): Promise<StoredToken | undefined> {
    // A token the keyring refused went to the file: look there when the keyring has none.
    return (await this.#first.load(key).catch(() => undefined)) ?? this.#second.load(key);
  }
  save(key: string, token: StoredToken): Promise<void> {
    return this.#first.save(key, token).catch(() => this.#second.save(key, token));
  }
}

/**
 * Creates the token store for a cache mode, as the CLI's `--token-cache` does. In `auto` mode
 * the keyring is used where the runtime has one (and the file when the keyring fails), the file
 * otherwise; on a runtime without a file system `auto` gives no store.
 *
 * @example Pick the store like the CLI
 * ```ts
 * import { createTokenStore } from "@kognic/auth/stores";
 * import { memoryRuntime } from "@kognic/auth/runtime/memory";
 *
 * const store = await createTokenStore("auto", { runtime: memoryRuntime() });
 * console.log(store !== undefined); // true: the file, as the memory runtime has no keyring
 * ```
 *
 * @param mode The cache mode.
 * @param options The runtime, the file and the clock.
 * @returns The store, or `undefined` for `none`.
 */
export async function createTokenStore(
  mode: TokenCacheMode,
  options: TokenStoreOptions = {},
): Promise<TokenStore | undefined> {
  if (mode === "none") return undefined;
  const runtime = options.runtime ?? await detectRuntime();
  const { clock } = options;
  const file = () => fileTokenStore({ runtime, path: options.path, clock });
  const now = clock && (() => clock.now());
  if (mode === "file") return file();
  if (mode !== "keyring" && !runtime.keyring) return runtime.writeTextFile ? file() : undefined;
  // Loaded only where a keyring may be used.
  const { keyringTokenStore } = await import("./keyring.ts");
  const keyring = keyringTokenStore(runtime.keyring, { now });
  if (mode === "keyring") return keyring;
  return runtime.writeTextFile ? new FallbackTokenStore(keyring, file()) : keyring;
}

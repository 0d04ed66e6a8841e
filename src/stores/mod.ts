/**
 * Token stores for the `store` option of `createClient`, every one a factory: the cache file
 * and the keyring (shared with Kognic's Python tools), Redis, Deno KV and Workers KV, and
 * {@linkcode createTokenStore} that picks the file or the keyring by mode like the CLI's
 * `--token-cache`. The Durable Object coordinator is `@kognic/auth/edge/durable-object`.
 *
 * @example Share tokens with other processes and the Python tools
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 * import { createTokenStore } from "@kognic/auth/stores";
 *
 * const kognic = await createClient({ store: await createTokenStore("auto") });
 * ```
 *
 * @module
 */
export {
  defaultTokenCachePath,
  type FileTokenStore,
  fileTokenStore,
  type FileTokenStoreOptions,
} from "./file.ts";
export { type KeyringTokenStore, keyringTokenStore, TOKEN_KEYRING_SERVICE } from "./keyring.ts";
export { type KvNamespace, kvTokenStore, type KvTokenStoreOptions } from "./kv.ts";
export {
  type DenoKvAtomic,
  type DenoKvEntry,
  type DenoKvLike,
  denoKvTokenStore,
  type DenoKvTokenStoreOptions,
} from "./deno_kv.ts";
export { type RedisCommand, redisTokenStore, type RedisTokenStoreOptions } from "./redis.ts";
export {
  createTokenStore,
  TOKEN_CACHE_MODES,
  type TokenCacheMode,
  type TokenStoreOptions,
} from "./cache_mode.ts";

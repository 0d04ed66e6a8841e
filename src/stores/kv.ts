/**
 * A token store over a key-value namespace, so that several isolates of an edge function share
 * one token: Cloudflare Workers KV as it is, Deno KV or any other store through a two-method
 * wrapper.
 *
 * @module
 */
import type { StoredToken, TokenStore } from "../token/provider.ts";

/**
 * The part of a key-value namespace the store needs: the shape of a Cloudflare Workers KV
 * namespace binding. Values are JSON text; `expirationTtl` is in seconds (Workers KV's minimum
 * is 60).
 */
export interface KvNamespace {
  /**
   * Reads a value.
   *
   * @param key The key.
   * @returns The text stored under it, or `null`.
   */
  get(key: string): Promise<string | null>;
  /**
   * Writes a value.
   *
   * @param key The key.
   * @param value The text to store.
   * @param options When the entry may be dropped, in seconds from now.
   */
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<unknown>;
}

/** Options of {@linkcode kvTokenStore}. */
export interface KvTokenStoreOptions {
  /** Put before every key; default `"kognic-auth:"`. */
  prefix?: string;
  /** The current time in milliseconds, for the time to live; default `Date.now`. */
  now?: () => number;
}

/** Workers KV refuses an `expirationTtl` below 60 seconds. */
const MIN_TTL = 60;

/**
 * Creates a {@linkcode TokenStore} over a key-value namespace. Tokens are stored as JSON under
 * `prefix + cache key` and expire from the namespace when the token does (at least 60 s from
 * now, Workers KV's minimum; the provider never hands out a token past its expiry anyway).
 * The store holds access and refresh tokens: give it a namespace only your worker can read.
 *
 * @example Share tokens between the isolates of a Cloudflare Worker
 * ```ts
 * import { edgeFetch, kvTokenStore } from "@kognic/auth/edge";
 * import type { KvNamespace } from "@kognic/auth/edge";
 *
 * interface Env {
 *   KOGNIC_CLIENT_ID: string;
 *   KOGNIC_CLIENT_SECRET: string;
 *   TOKENS: KvNamespace;
 * }
 * const worker = {
 *   fetch(_request: Request, env: Env): Promise<Response> {
 *     const kognicFetch = edgeFetch(env, { store: kvTokenStore(env.TOKENS) });
 *     return kognicFetch("/v1/projects");
 *   },
 * };
 * ```
 *
 * @example Deno KV through a two-method wrapper
 * ```ts ignore
 * import { kvTokenStore } from "@kognic/auth/edge";
 *
 * const kv = await Deno.openKv();
 * const store = kvTokenStore({
 *   get: async (key) => (await kv.get<string>([key])).value,
 *   put: (key, value, options) =>
 *     kv.set([key], value, { expireIn: (options?.expirationTtl ?? 0) * 1000 || undefined }),
 * });
 * ```
 *
 * @param namespace The namespace, such as a Workers KV binding.
 * @param options A key prefix and a clock.
 * @returns The store.
 */
export function kvTokenStore(
  namespace: KvNamespace,
  { prefix = "kognic-auth:", now = Date.now }: KvTokenStoreOptions = {},
): TokenStore {
  return {
    async load(key) {
      const text = await namespace.get(prefix + key);
      try {
        return text ? JSON.parse(text) as StoredToken : undefined;
      } catch {
        // A corrupt entry is no entry; the parser's message would quote the token.
        return undefined;
      }
    },
    async save(key, token) {
      const ttl = token.expires_at && Math.max(MIN_TTL, Math.ceil(token.expires_at - now() / 1000));
      await namespace.put(prefix + key, JSON.stringify(token), ttl ? { expirationTtl: ttl } : {});
    },
  };
}

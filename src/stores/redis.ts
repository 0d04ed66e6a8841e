/**
 * A token store on Redis (or Valkey, or Upstash), so that a fleet of processes shares one token
 * and makes one token request per rotation between them. It talks to Redis through one
 * function that sends a command, so any client fits in one line and the library depends on
 * none.
 *
 * @module
 */
import type { StoredToken, TokenStore } from "../token/provider.ts";
import { coordinate } from "../token/coordinate.ts";
import { COORDINATE, type InternalStore } from "../token/types.ts";

/**
 * Sends one Redis command, such as `["SET", "key", "value", "NX", "PX", "5000"]`, and returns
 * the reply: a string, a number or `null`, as Redis clients give them.
 *
 * @example node-redis, ioredis, Bun and Upstash
 * ```ts ignore
 * import { redisTokenStore } from "@kognic/auth/stores/redis";
 *
 * // node-redis:      const client = await createClient({ url }).connect();
 * redisTokenStore((args) => client.sendCommand(args));
 * // ioredis:         const redis = new Redis(url);
 * redisTokenStore(([command, ...args]) => redis.call(command, ...args));
 * // Bun:             const client = new RedisClient(url);
 * redisTokenStore(([command, ...args]) => client.send(command, args));
 * // Upstash (REST):  UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN
 * redisTokenStore((args) =>
 *   fetch(url, { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify(args) })
 *     .then((r) => r.json()).then((r) => r.error ? Promise.reject(new Error(r.error)) : r.result)
 * );
 * ```
 */
export type RedisCommand = (args: string[]) => Promise<unknown>;

/**
 * Options of {@linkcode redisTokenStore}.
 *
 * @example Keys under the prefix a Redis ACL allows
 * ```ts ignore
 * import { redisTokenStore } from "@kognic/auth/stores/redis";
 *
 * // ACL: user kognic on >password ~billing:kognic-auth:* +get +set +eval
 * const store = redisTokenStore((args) => redis.sendCommand(args), {
 *   prefix: "billing:kognic-auth:",
 * });
 * ```
 */
export interface RedisTokenStoreOptions {
  /**
   * Put before every key; default `"kognic-auth:"`. Leases are kept under
   * `<prefix>lease:<cache key>`.
   */
  prefix?: string;
  /** The current time in milliseconds, for the time to live; default `Date.now`. */
  now?: () => number;
}

/** Deletes the lease only if the owner still holds it (compare-and-delete, atomic in Redis). */
const RELEASE = 'if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) ' +
  "end return 0";

/**
 * Creates a {@linkcode TokenStore} on Redis. Tokens are stored as JSON under `prefix + cache
 * key` (the key holds the auth host, the client id and a hash of the scopes, so clients never
 * share a token they should not) and expire from Redis when the token does. The store takes a
 * lease on the token request (`SET NX PX`, released by compare-and-delete), so that of all
 * processes sharing the Redis only one asks the token endpoint at a time.
 *
 * The store holds access and refresh tokens, never the client secret. They are secrets all the
 * same: give the store a Redis user that can reach only its prefix (an ACL such as
 * `~kognic-auth:*`), over TLS when the Redis is not on the same host.
 *
 * @example Share a token between processes through node-redis
 * ```ts ignore
 * import { createClient as createKognicClient } from "@kognic/auth";
 * import { redisTokenStore } from "@kognic/auth/stores/redis";
 * import { createClient } from "redis";
 *
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * const kognic = await createKognicClient({
 *   store: redisTokenStore((args) => redis.sendCommand(args)),
 * });
 * ```
 *
 * @param command Sends a command and returns its reply (see {@linkcode RedisCommand}).
 * @param options A key prefix and a clock.
 * @returns The store.
 */
export function redisTokenStore(
  command: RedisCommand,
  { prefix = "kognic-auth:", now = Date.now }: RedisTokenStoreOptions = {},
): TokenStore {
  const text = (reply: unknown) =>
    typeof reply === "string"
      ? reply
      : reply instanceof Uint8Array
      ? new TextDecoder().decode(reply)
      : undefined;
  const store: InternalStore = {
    name: "redis",
    // The lease coordination comes with the store, for providers that do not carry it.
    [COORDINATE]: coordinate,
    async load(key) {
      const reply = text(await command(["GET", prefix + key]));
      try {
        return reply ? JSON.parse(reply) as StoredToken : undefined;
      } catch {
        // A corrupt entry is no entry; the parser's message would quote the token.
        return undefined;
      }
    },
    async save(key, token) {
      const ttl = typeof token.expires_at === "number"
        ? Math.floor(token.expires_at * 1000 - now())
        : 0;
      // A token that does not say when it expires is never taken from a store: not stored.
      if (ttl > 0) await command(["SET", prefix + key, JSON.stringify(token), "PX", String(ttl)]);
    },
    async lease(key, owner, ttl) {
      const reply = await command(["SET", `${prefix}lease:${key}`, owner, "NX", "PX", String(ttl)]);
      return text(reply) === "OK";
    },
    async release(key, owner) {
      await command(["EVAL", RELEASE, "1", `${prefix}lease:${key}`, owner]);
    },
  };
  return store;
}

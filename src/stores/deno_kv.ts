/**
 * A token store on Deno KV, so that the processes or isolates sharing a KV database (a Deno
 * Deploy app, or local processes on one SQLite file) share one token and make one token request
 * per rotation between them.
 *
 * @module
 */
import type { StoredToken, TokenStore } from "../token/provider.ts";
import { coordinate } from "../token/coordinate.ts";
import { COORDINATE, type InternalStore } from "../token/types.ts";
import { sleep } from "../_util.ts";
import { backoff } from "../_backoff.ts";

/**
 * Tries an operation up to five times: a local database that other processes write at the same
 * moment answers "database is locked" for a few milliseconds.
 */
async function retried<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(backoff(attempt, 10, 100));
    }
  }
}

/**
 * An entry of {@linkcode DenoKvLike}, as `Deno.Kv.get` returns it.
 *
 * @example An entry as a stand-in database returns it
 * ```ts
 * import type { DenoKvEntry } from "@kognic/auth/stores";
 *
 * const entry: DenoKvEntry<string> = { value: null, versionstamp: null };
 * console.log(entry.value ?? "absent"); // "absent"
 * ```
 */
export interface DenoKvEntry<T> {
  /** The value, or `null`. */
  value: T | null;
  /** The entry's version, or `null` when there is none. */
  versionstamp: string | null;
}

/**
 * The part of an atomic operation of `Deno.Kv` the store needs.
 *
 * @example Take an entry only if nobody wrote it since it was read
 * ```ts ignore
 * import type { DenoKvAtomic } from "@kognic/auth/stores";
 *
 * const kv = await Deno.openKv();
 * const entry = await kv.get(["lease"]);
 * const atomic: DenoKvAtomic = kv.atomic();
 * const { ok } = await atomic.check(entry).set(["lease"], "me", { expireIn: 10_000 }).commit();
 * ```
 */
export interface DenoKvAtomic {
  /**
   * Fails the commit unless the entries are unchanged.
   *
   * @param checks The entries as read.
   */
  check(...checks: { key: readonly unknown[]; versionstamp: string | null }[]): DenoKvAtomic;
  /**
   * Sets a value.
   *
   * @param key The key.
   * @param value The value.
   * @param options When the entry may be dropped, in ms from now.
   */
  set(key: readonly unknown[], value: unknown, options?: { expireIn?: number }): DenoKvAtomic;
  /**
   * Deletes an entry.
   *
   * @param key The key.
   */
  delete(key: readonly unknown[]): DenoKvAtomic;
  /**
   * Commits.
   *
   * @returns `ok: true` when every check held.
   */
  commit(): Promise<{ ok: boolean }>;
}

/**
 * The part of `Deno.Kv` the store needs (what `Deno.openKv()` returns fits).
 *
 * @example A Deno KV database, or a stand-in for tests
 * ```ts ignore
 * import { type DenoKvLike, denoKvTokenStore } from "@kognic/auth/stores";
 *
 * const kv: DenoKvLike = await Deno.openKv();
 * const store = denoKvTokenStore(kv);
 * ```
 */
export interface DenoKvLike {
  /**
   * Reads an entry.
   *
   * @param key The key.
   * @returns The entry.
   */
  get<T>(key: readonly unknown[]): Promise<DenoKvEntry<T>>;
  /**
   * Starts an atomic operation.
   *
   * @returns The operation.
   */
  atomic(): DenoKvAtomic;
}

/**
 * Options of {@linkcode denoKvTokenStore}.
 *
 * @example One prefix per application sharing a database
 * ```ts ignore
 * import { denoKvTokenStore } from "@kognic/auth/stores";
 *
 * const store = denoKvTokenStore(await Deno.openKv(), { prefix: "billing-kognic" });
 * ```
 */
export interface DenoKvTokenStoreOptions {
  /** The first part of every key; default `"kognic-auth"`. */
  prefix?: string;
  /** The current time in milliseconds; default `Date.now`. */
  now?: () => number;
}

/**
 * Creates a {@linkcode TokenStore} on Deno KV. Tokens are kept under `[prefix, "token", cache
 * key]` and expire from the database when the token does; the lease on the token request is
 * taken by an atomic check of the lease entry's versionstamp, so that of everything sharing the
 * database only one asks the token endpoint at a time. The store holds access and refresh
 * tokens (never the client secret): keep the database private.
 *
 * @example Share a token between the isolates of a Deno Deploy app
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 * import { denoKvTokenStore } from "@kognic/auth/stores";
 *
 * const kognic = await createClient({ store: denoKvTokenStore(await Deno.openKv()) });
 * ```
 *
 * @param kv The database, such as `await Deno.openKv()`.
 * @param options A key prefix and a clock.
 * @returns The store.
 */
export function denoKvTokenStore(
  kv: DenoKvLike,
  { prefix = "kognic-auth", now = Date.now }: DenoKvTokenStoreOptions = {},
): TokenStore {
  const tokenKey = (key: string) => [prefix, "token", key];
  const leaseKey = (key: string) => [prefix, "lease", key];
  type Lease = { owner: string; until: number };
  const store: TokenStore = {
    async load(key) {
      return (await kv.get<StoredToken>(tokenKey(key))).value ?? undefined;
    },
    async save(key, token) {
      const ttl = typeof token.expires_at === "number" ? token.expires_at * 1000 - now() : 0;
      // A token that does not say when it expires is never taken from a store: not stored.
      if (ttl > 0) {
        await kv.atomic().set(tokenKey(key), token, { expireIn: Math.floor(ttl) }).commit();
      }
    },
    async lease(key, owner, ttl) {
      const entry = await kv.get<Lease>(leaseKey(key));
      // Deno KV drops expired entries some time after they expire: the lease says until when.
      if (entry.value && entry.value.until > now()) return false;
      const lease: Lease = { owner, until: now() + ttl };
      const result = await kv.atomic()
        .check({ key: leaseKey(key), versionstamp: entry.versionstamp })
        .set(leaseKey(key), lease, { expireIn: ttl })
        .commit();
      return result.ok;
    },
    async release(key, owner) {
      const entry = await kv.get<Lease>(leaseKey(key));
      if (entry.value?.owner !== owner) return;
      await kv.atomic()
        .check({ key: leaseKey(key), versionstamp: entry.versionstamp })
        .delete(leaseKey(key))
        .commit();
    },
  };
  const retrying: InternalStore = {
    name: "deno-kv",
    // The lease coordination comes with the store, for providers that do not carry it.
    [COORDINATE]: coordinate,
    load: (key) => retried(() => store.load(key)),
    save: (key, token) => retried(() => store.save(key, token)),
    lease: (key, owner, ttl) => retried(() => store.lease!(key, owner, ttl)),
    release: (key, owner) => retried(() => store.release!(key, owner)),
  };
  return retrying;
}

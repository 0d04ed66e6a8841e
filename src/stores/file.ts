/**
 * The token cache file shared with Kognic's Python tools:
 * `$XDG_CACHE_HOME/kognic-auth/tokens.json`, a JSON object from cache key to the token as the
 * server returned it plus `expires_at`.
 *
 * Unlike the Python library, writes never lose another process's entries (read, merge and
 * write happen under a lock file), replace the file atomically (a temporary file renamed over
 * it), and create it with mode 0600.
 *
 * @module
 */
import { expandHome, xdgPath } from "../credentials/sources.ts";
import { detectRuntime } from "../runtime/detect.ts";
import type { Runtime } from "../runtime/mod.ts";
import type { Clock, StoredToken, TokenStore } from "../token/types.ts";
import { KognicAuthError } from "../errors.ts";
import { hex, isObject, sleep } from "../_util.ts";
import { backoff } from "../_backoff.ts";
import { usable } from "../token/expiry.ts";
import { COORDINATE, type Coordinate, type InternalStore } from "../token/types.ts";

/**
 * The default location of the token cache file: `$XDG_CACHE_HOME/kognic-auth/tokens.json`, or
 * `~/.cache/kognic-auth/tokens.json`.
 *
 * @example Where tokens are cached
 * ```ts
 * import { defaultTokenCachePath } from "@kognic/auth/stores";
 * import { memoryRuntime } from "@kognic/auth/runtime/memory";
 *
 * console.log(defaultTokenCachePath(memoryRuntime({ home: "/home/me" })));
 * // /home/me/.cache/kognic-auth/tokens.json
 * ```
 *
 * @param runtime The runtime that knows the environment variables and the home directory.
 * @returns The path.
 */
export function defaultTokenCachePath(runtime: Runtime): string {
  return xdgPath(runtime, "XDG_CACHE_HOME", "~/.cache", "kognic-auth/tokens.json");
}

/** Options of {@linkcode FileTokenStore}. */
export interface FileTokenStoreOptions {
  /** The cache file; default {@linkcode defaultTokenCachePath}. */
  path?: string;
  /** The runtime to read and write through; detected by default. */
  runtime?: Runtime;
  /**
   * The clock: `now` for the tokens' expiry and the lock's and the lease's times, `sleep` between
   * polls of a held lock; the system's by default. Pass the provider's clock (its `clock`
   * option), so that both keep one time.
   */
  clock?: Clock;
  /** How long to wait for another process's lock before breaking it, in ms; default 2 000. */
  lockTimeout?: number;
}

const systemClock: Clock = { now: () => Date.now() };

function errorCode(error: unknown): string | undefined {
  const { code, name } = (error ?? {}) as { code?: string; name?: string };
  return code ?? name;
}

/** A failed read or write of the cache or lease file, with the runtime's error as its cause. */
function storeFailed(doing: string, path: string, error: unknown): KognicAuthError {
  if (error instanceof KognicAuthError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new KognicAuthError(
    "TOKEN_STORE_FAILED",
    `Could not ${doing} the token cache ${JSON.stringify(path)}: ${reason}`,
    { source: path, cause: error },
  );
}

/**
 * Creates a token store in a JSON file that processes on one machine share (the Python tools'
 * format and place), with a lease file beside it so that one process at a time asks for a token.
 *
 * @example Share tokens between processes
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 * import { fileTokenStore } from "@kognic/auth/stores";
 *
 * const kognic = await createClient({ store: fileTokenStore() });
 * ```
 *
 * @param options The file, the runtime and the clock.
 * @returns The store.
 */
export function fileTokenStore(options: FileTokenStoreOptions = {}): FileTokenStore {
  // The lease coordination comes with the store, for providers that do not carry it; it loads
  // when the store first leases (a token that is cached needs none).
  const store: FileTokenStore & InternalStore = new FileTokenStore(options);
  store[COORDINATE] = coordinate;
  return store;
}

const coordinate: Coordinate = async (...args) =>
  (await import("../token/coordinate.ts")).coordinate(...args);

/**
 * A {@linkcode TokenStore} on the shared token cache file, readable and writable by the Python
 * tools too. A missing, unreadable or corrupt file reads as empty (and a corrupt one is replaced
 * on the next save).
 *
 * Made by {@linkcode fileTokenStore}.
 */
export class FileTokenStore implements TokenStore {
  /** The store's name in telemetry. */
  readonly name = "file";
  readonly #options: FileTokenStoreOptions;
  readonly #clock: Clock;
  #runtime?: Promise<Runtime>;
  /** Lease files seen without a time in them, and since when (ms). */
  readonly #unwritten = new Map<string, number>();

  /**
   * Creates the store. Nothing is read until the first {@linkcode FileTokenStore.load}.
   *
   * @param options The file, the runtime and the clock.
   */
  constructor(options: FileTokenStoreOptions = {}) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * The cache file's path.
   *
   * @returns The path.
   */
  async path(): Promise<string> {
    const runtime = await this.#getRuntime();
    return this.#options.path === undefined
      ? defaultTokenCachePath(runtime)
      : expandHome(this.#options.path, runtime);
  }

  /**
   * Loads the token stored under `key`, if it is still usable (`now < expires_at - 30`).
   *
   * @param key The cache key.
   * @returns The token, or `undefined`.
   */
  async load(key: string): Promise<StoredToken | undefined> {
    const entries = await this.#read(await this.path());
    const now = this.#clock.now();
    return Object.hasOwn(entries, key) ? usable(entries[key], now) : undefined;
  }

  /**
   * Stores `token` under `key`, keeping every other entry of the file.
   *
   * @param key The cache key.
   * @param token The token with `expires_at`.
   */
  async save(key: string, token: StoredToken): Promise<void> {
    await this.#update((entries) => {
      entries[key] = token;
    });
  }

  /**
   * Removes the entry under `key`, keeping every other one.
   *
   * @param key The cache key.
   */
  async delete(key: string): Promise<void> {
    await this.#update((entries) => {
      delete entries[key];
    });
  }

  /**
   * Takes the lease on the token request for `key`: a lock file beside the cache file
   * (`<path>.<hash of key>.lease`, created only if absent) that names the owner and until when
   * it holds. A lease past its time (its owner died) is broken.
   *
   * @param key The cache key.
   * @param owner Who takes the lease.
   * @param ttl How long the lease lasts unless released, in milliseconds.
   * @returns Whether `owner` holds the lease now.
   */
  async lease(key: string, owner: string, ttl: number): Promise<boolean> {
    const runtime = await this.#getRuntime();
    const file = await this.#leaseFile(key);
    await this.#mkdir(runtime);
    // The provider's time (the same clock), which its wait for the leaseholder counts in.
    const now = this.#clock.now();
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await runtime.writeTextFile!(file, `${now + ttl} ${owner}`, {
          mode: 0o600,
          createNew: true,
        });
        return true;
      } catch (error) {
        const code = errorCode(error);
        if (code !== "EEXIST" && code !== "AlreadyExists") {
          throw storeFailed("take the lease beside", await this.path(), error);
        }
      }
      const held = await runtime.readTextFile!(file).catch(() => undefined);
      if (held === undefined) return false;
      // One without a time is being written this instant, or its owner died before writing
      // it: it holds for `ttl` from when this store first saw it so.
      let until = parseInt(held);
      if (until >= 0) this.#unwritten.delete(file);
      else {
        if (!this.#unwritten.has(file)) this.#unwritten.set(file, now);
        until = this.#unwritten.get(file)! + ttl;
      }
      // Still held: not ours.
      if (!(until < now)) return false;
      this.#unwritten.delete(file);
      // Broken under the cache file's lock, and only if it is still the one found stale: two
      // stores that found it so would otherwise each remove the lease the other then took.
      const lock = `${await this.path()}.lock`;
      const nonce = crypto.randomUUID();
      if (!await this.#lock(runtime, lock, nonce)) return false;
      try {
        if (await runtime.readTextFile!(file).catch(() => undefined) === held) {
          await runtime.remove!(file).catch(() => {});
        }
      } finally {
        await this.#unlock(runtime, lock, nonce);
      }
    }
    return false;
  }

  /**
   * Releases the lease on `key` if `owner` still holds it.
   *
   * @param key The cache key.
   * @param owner Who took the lease.
   */
  async release(key: string, owner: string): Promise<void> {
    const runtime = await this.#getRuntime();
    const file = await this.#leaseFile(key);
    const held = await runtime.readTextFile!(file).catch(() => undefined);
    if (held?.endsWith(` ${owner}`)) await runtime.remove!(file).catch(() => {});
  }

  async #mkdir(runtime: Runtime): Promise<void> {
    const path = await this.path();
    const slash = path.search(/[\\/][^\\/]*$/);
    await runtime.mkdir!(slash < 0 ? "." : path.slice(0, slash) || "/", { mode: 0o700 }).catch(
      (error) => {
        throw storeFailed("create the folder of", path, error);
      },
    );
  }

  async #leaseFile(key: string): Promise<string> {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
    return `${await this.path()}.${hex(new Uint8Array(digest)).slice(0, 16)}.lease`;
  }

  #getRuntime(): Promise<Runtime> {
    return this.#runtime ??= this.#options.runtime
      ? Promise.resolve(this.#options.runtime)
      : detectRuntime();
  }

  /**
   * The file's entries. A missing, corrupt or non-object file reads as empty; with `strict`,
   * any other failure to read (permissions, I/O) is thrown, so that an update never replaces
   * a file it could not read.
   */
  async #read(path: string, strict = false): Promise<Record<string, unknown>> {
    const runtime = await this.#getRuntime();
    if (!runtime.readTextFile) return {};
    let text: string;
    try {
      text = await runtime.readTextFile(path);
    } catch (error) {
      const code = errorCode(error);
      if (!strict || code === "ENOENT" || code === "NotFound") return {};
      throw storeFailed("read", path, error);
    }
    try {
      const data = JSON.parse(text);
      return isObject(data) ? data : {};
    } catch {
      return {};
    }
  }

  async #update(change: (entries: Record<string, unknown>) => void): Promise<void> {
    const runtime = await this.#getRuntime();
    const { writeTextFile, mkdir, rename, remove } = runtime;
    if (!writeTextFile || !mkdir || !rename || !remove) {
      throw new KognicAuthError(
        "TOKEN_STORE_FAILED",
        `The ${runtime.name} runtime cannot write files`,
      );
    }
    const path = await this.path();
    await this.#mkdir(runtime);
    const nonce = crypto.randomUUID();
    const lock = `${path}.lock`;
    // Without the lock, another process's entries could be lost: the write is skipped instead
    // (a failed cache write is never a failed request).
    if (!await this.#lock(runtime, lock, nonce)) {
      throw new KognicAuthError(
        "TOKEN_STORE_FAILED",
        `Could not lock the token cache ${JSON.stringify(path)}`,
        { source: path },
      );
    }
    try {
      const entries = await this.#read(path, true);
      change(entries);
      const temporary = `${path}.${nonce}.tmp`;
      try {
        await writeTextFile(temporary, JSON.stringify(entries, null, 2), { mode: 0o600 });
        await rename(temporary, path);
      } catch (error) {
        await remove(temporary).catch(() => {});
        throw storeFailed("write", path, error);
      }
    } finally {
      await this.#unlock(runtime, lock, nonce);
    }
  }

  /**
   * Takes the lock file. A lock that stays with the same owner for `lockTimeout` was left by a
   * dead process and is broken, once; a lock that changed hands meanwhile is waited for anew.
   */
  async #lock(runtime: Runtime, lock: string, nonce: string): Promise<boolean> {
    const timeout = this.#options.lockTimeout ?? 2_000;
    const clock = this.#clock;
    let deadline = clock.now() + timeout;
    let owner: string | undefined;
    let broken = false;
    for (let polls = 1;; polls++) {
      try {
        await runtime.writeTextFile!(lock, nonce, { mode: 0o600, createNew: true });
        return true;
      } catch (error) {
        const code = errorCode(error);
        if (code !== "EEXIST" && code !== "AlreadyExists") return false;
      }
      const current = await runtime.readTextFile?.(lock).catch(() => undefined);
      if (current !== owner) {
        owner = current;
        deadline = clock.now() + timeout;
      } else if (clock.now() >= deadline) {
        if (broken) return false;
        broken = true;
        await runtime.remove!(lock).catch(() => {});
        deadline = clock.now() + timeout;
        continue;
      }
      const pause = backoff(polls, 10, 50);
      await (clock.sleep ? clock.sleep(pause) : sleep(pause));
    }
  }

  async #unlock(runtime: Runtime, lock: string, nonce: string): Promise<void> {
    const owner = await runtime.readTextFile?.(lock).catch(() => undefined);
    if (owner === nonce) await runtime.remove!(lock).catch(() => {});
  }
}

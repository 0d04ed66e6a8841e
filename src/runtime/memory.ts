/**
 * An in-memory runtime adapter: environment variables, files and a keyring held in plain
 * objects. For tests, and for programs that want to hand the library a fixed configuration.
 *
 * @module
 */
import type { Keyring, Runtime } from "./mod.ts";

/** Options of {@linkcode memoryRuntime}. */
export interface MemoryRuntimeOptions {
  /** Environment variables. */
  env?: Record<string, string>;
  /**
   * Files by path. A path that other files lie below (`path + "/"`) reads as a directory. The
   * record is changed in place by `writeTextFile`, `rename` and `remove`.
   */
  files?: Record<string, string>;
  /** The home directory; default `"/home/user"`. */
  home?: string;
  /** The `fetch` to use; default the global one. */
  fetch?: typeof fetch;
  /**
   * Keyring entries by `"service/account"`; the adapter has a keyring only when this is given.
   * The record is changed in place by `set` and `delete`.
   */
  keyring?: Record<string, string>;
}

function fileError(code: string, message: string, path: string): Error {
  return Object.assign(new Error(`${message}: ${JSON.stringify(path)}`), { code });
}

/**
 * Creates an in-memory adapter.
 *
 * @example Resolve credentials from a fixed environment
 * ```ts
 * import { memoryRuntime } from "@kognic/auth/runtime/memory";
 *
 * const runtime = memoryRuntime({
 *   env: { KOGNIC_CREDENTIALS: "/creds.json" },
 *   files: { "/creds.json": '{"clientId":"id","clientSecret":"s","email":"","userId":0,"issuer":""}' },
 * });
 * console.log(await runtime.readTextFile!("/creds.json"));
 * ```
 *
 * @param options The environment, files, home directory and keyring.
 * @returns The adapter.
 */
export function memoryRuntime(options: MemoryRuntimeOptions = {}): Runtime {
  const env = options.env ?? {};
  const files = options.files ?? {};
  const entries = options.keyring;
  const keyring: Keyring | undefined = entries && {
    get: (service, account) => Promise.resolve(entries[`${service}/${account}`]),
    set: (service, account, secret) => {
      entries[`${service}/${account}`] = secret;
      return Promise.resolve();
    },
    delete: (service, account) => {
      const key = `${service}/${account}`;
      const had = key in entries;
      delete entries[key];
      return Promise.resolve(had);
    },
  };
  return {
    name: "memory",
    version: "",
    env: (name) => Object.hasOwn(env, name) ? env[name] : undefined,
    homeDir: () => options.home ?? "/home/user",
    readTextFile: (path) => {
      if (Object.hasOwn(files, path)) return Promise.resolve(files[path]);
      const prefix = path.endsWith("/") ? path : `${path}/`;
      if (Object.keys(files).some((name) => name.startsWith(prefix))) {
        return Promise.reject(fileError("EISDIR", "Is a directory", path));
      }
      return Promise.reject(fileError("ENOENT", "No such file", path));
    },
    writeTextFile: (path, text, write = {}) => {
      if (write.createNew && Object.hasOwn(files, path)) {
        return Promise.reject(fileError("EEXIST", "File exists", path));
      }
      files[path] = text;
      return Promise.resolve();
    },
    mkdir: () => Promise.resolve(),
    rename: (from, to) => {
      if (!Object.hasOwn(files, from)) {
        return Promise.reject(fileError("ENOENT", "No such file", from));
      }
      files[to] = files[from];
      delete files[from];
      return Promise.resolve();
    },
    remove: (path) => {
      if (!Object.hasOwn(files, path)) {
        return Promise.reject(fileError("ENOENT", "No such file", path));
      }
      delete files[path];
      return Promise.resolve();
    },
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    ...(keyring ? { keyring } : {}),
  };
}

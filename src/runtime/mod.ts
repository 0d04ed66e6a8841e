/**
 * The one small interface the core asks of a runtime, and detection of the runtime in use.
 *
 * The core decides *what* to do with Web APIs only; a {@linkcode Runtime} supplies the few things
 * that differ between Deno, Bun, Node and edge runtimes: environment variables, the home
 * directory, reading a text file, `fetch`, and optionally a keyring.
 *
 * @example Use the runtime of this process
 * ```ts
 * import { detectRuntime } from "@kognic/auth/runtime";
 *
 * const runtime = await detectRuntime();
 * console.log(runtime.name); // "deno", "bun", "node" or "edge"
 * ```
 *
 * @module
 */
// Detection lives in ./detect.ts, so that the library's own code, which needs it at every
// start, does not load this file's interfaces and their documentation (Node strips them at each
// start from source).
export { detectRuntime } from "./detect.ts";

/**
 * A system keyring: secrets stored under a service and an account name, such as the Secret
 * Service on Linux or the Keychain on macOS.
 */
export interface Keyring {
  /**
   * Reads a secret.
   *
   * @param service The service name, such as `"kognic-credentials"`.
   * @param account The account name, such as the profile `"default"`.
   * @returns The secret, or `undefined` when there is none.
   */
  get(service: string, account: string): Promise<string | undefined>;
  /**
   * Stores a secret, replacing any that was there.
   *
   * @param service The service name.
   * @param account The account name.
   * @param secret The secret to store.
   */
  set(service: string, account: string, secret: string): Promise<void>;
  /**
   * Deletes a secret.
   *
   * @param service The service name.
   * @param account The account name.
   * @returns Whether there was a secret to delete.
   */
  delete(service: string, account: string): Promise<boolean>;
}

/** Options of {@linkcode Runtime.writeTextFile}. */
export interface WriteTextFileOptions {
  /** The permission bits of a newly created file, such as `0o600`. */
  mode?: number;
  /**
   * Fail with `EEXIST` / `AlreadyExists` when the file exists (an exclusive create, usable as a
   * lock).
   */
  createNew?: boolean;
}

/** What {@linkcode Runtime.stat} tells of a file. */
export interface FileStat {
  /** When it was last modified, in milliseconds since the epoch; `undefined` when unknown. */
  mtime?: number;
  /** Its size in bytes. */
  size: number;
  /** Its inode number, where the file system has them. */
  ino?: number;
}

/** What a finished subprocess left behind, from {@linkcode Runtime.run}. */
export interface CommandOutput {
  /** The exit code; `-1` when the process was killed by a signal. */
  code: number;
  /** Everything it wrote to standard output, as UTF-8 text. */
  stdout: string;
  /** Everything it wrote to standard error, as UTF-8 text. */
  stderr: string;
}

/**
 * What the core needs from a runtime. One adapter per runtime implements it.
 *
 * A file error should carry a Node-style `code` (`ENOENT`, `EISDIR`, `EACCES`) or a Deno-style
 * `name` (`NotFound`, `IsADirectory`, `PermissionDenied`) so the core can explain it.
 */
export interface Runtime {
  /** A short name of the runtime: `"deno"`, `"bun"`, `"node"`, `"edge"`, `"memory"`. */
  readonly name: string;
  /** The runtime's version, for the `User-Agent` header; empty when unknown. */
  readonly version: string;
  /**
   * Reads an environment variable.
   *
   * @param name The variable's name.
   * @returns Its value, or `undefined` when it is not set.
   */
  env(name: string): string | undefined;
  /**
   * The user's home directory, for `~` expansion.
   *
   * @returns The directory, or `undefined` where there is none.
   */
  homeDir(): string | undefined;
  /**
   * Reads a UTF-8 text file. Absent on runtimes without a file system (edge functions).
   *
   * @param path An absolute or working-directory-relative path.
   * @returns The file's text.
   */
  readTextFile?(path: string): Promise<string>;
  /**
   * Writes a UTF-8 text file. Absent on runtimes without a file system.
   *
   * @param path The file's path.
   * @param text The text to write.
   * @param options The mode of a new file, and whether the file must not exist yet.
   */
  writeTextFile?(path: string, text: string, options?: WriteTextFileOptions): Promise<void>;
  /**
   * Creates a directory and its missing parents; an existing directory is not an error.
   *
   * @param path The directory's path.
   * @param options The mode of directories it creates.
   */
  mkdir?(path: string, options?: { mode?: number }): Promise<void>;
  /**
   * Renames a file, atomically replacing the target where the file system allows it.
   *
   * @param from The current path.
   * @param to The new path.
   */
  rename?(from: string, to: string): Promise<void>;
  /**
   * Removes a file.
   *
   * @param path The file's path.
   */
  remove?(path: string): Promise<void>;
  /**
   * What tells one version of a file from the next: its modification time, size and inode,
   * following symbolic links (a Kubernetes secret volume swaps a `..data` link). Absent on
   * runtimes without a file system.
   *
   * @param path The file's path.
   * @returns The file's modification time (ms since the epoch, if known), size and inode.
   */
  stat?(path: string): Promise<FileStat>;
  /**
   * Runs a program and waits for it to end. Used for the keyring tools (`secret-tool`,
   * `security`); absent where subprocesses are not possible.
   *
   * @param command The program, looked up on `PATH`.
   * @param args Its arguments.
   * @param options Text to write to its standard input.
   * @returns Its exit code and output.
   */
  run?(command: string, args: readonly string[], options?: { stdin?: string }): Promise<
    CommandOutput
  >;
  /** The operating system, as `navigator.platform`-like lower-case name: `"linux"`, `"darwin"`, `"windows"`. */
  readonly os?: string;
  /**
   * The `fetch` used for the token endpoint and API calls. On Deno, Bun and Node it honours
   * `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` (either case) as they are when this property is
   * read: each read returns a `fetch` for the variables' values at that moment (the same
   * function for the same values), which keeps them for its requests. `createClient` and
   * `createAuthFetch` and a `TokenProvider` given no `fetch` read it when they are created (a
   * program that changes the variables later creates a new client to apply them);
   * `requestToken` at each call.
   * Which proxy, if any, each request URL uses (its scheme, `NO_PROXY`) is still decided per
   * request.
   */
  readonly fetch: typeof fetch;
  /**
   * Returns a `fetch` that sends every request through `proxy`, whatever the environment says
   * (without `proxy`: as the environment says now, read as for {@linkcode Runtime.fetch}), trusting `options.ca` besides the runtime's own
   * CAs. Absent where there is no proxy support (edge functions). Throws `PROXY_INVALID` for a
   * URL that does not parse.
   *
   * @param proxy The proxy URL, such as `http://user:password@proxy.corp:3128`.
   * @param options `ca`: a CA certificate (PEM) to trust, such as a corporate proxy's.
   * @returns The proxied `fetch`.
   */
  fetchWith?(proxy: string | undefined, options?: { ca?: string }): typeof fetch;
  /** The system keyring, where one is available. */
  readonly keyring?: Keyring;
}

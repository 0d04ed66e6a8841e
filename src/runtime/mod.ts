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
   * The `fetch` used for the token endpoint and API calls. On Deno, Bun and Node it honours
   * `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` (either case).
   */
  readonly fetch: typeof fetch;
  /**
   * Returns a `fetch` that sends every request through `proxy`, whatever the environment says.
   * Absent where there is no proxy support (edge functions). Throws `PROXY_INVALID` for a URL
   * that does not parse.
   *
   * @param proxy The proxy URL, such as `http://user:password@proxy.corp:3128`.
   * @returns The proxied `fetch`.
   */
  fetchWith?(proxy: string): typeof fetch;
  /** The system keyring, where one is available. */
  readonly keyring?: Keyring;
}

let detected: Promise<Runtime> | undefined;

/**
 * Returns the adapter for the runtime this code runs on, chosen by `navigator.userAgent`:
 * Deno, Bun or Node get their own adapters; anything else (Cloudflare Workers, other edge
 * runtimes) gets an adapter with no file system, no environment variables and the global
 * `fetch`. The adapter is created once and reused.
 *
 * @example Detect the runtime
 * ```ts
 * import { detectRuntime } from "@kognic/auth/runtime";
 *
 * const runtime = await detectRuntime();
 * const home = runtime.homeDir();
 * ```
 *
 * @returns The runtime adapter.
 */
export function detectRuntime(): Promise<Runtime> {
  return detected ??= load();
}

async function load(): Promise<Runtime> {
  const agent = globalThis.navigator?.userAgent ?? "";
  if (agent.startsWith("Deno/")) return (await import("./deno.ts")).denoRuntime();
  if (agent.startsWith("Bun/")) return (await import("./bun.ts")).bunRuntime();
  if (agent.startsWith("Node.js/")) return (await import("./node.ts")).nodeRuntime();
  return (await import("./edge.ts")).edgeRuntime();
}

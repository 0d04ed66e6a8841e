/**
 * The runtime adapter for Deno: `Deno.env`, `Deno.readTextFile` and the global `fetch`, which
 * honours `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` by itself.
 *
 * @module
 */
import type { Runtime } from "./mod.ts";

interface DenoNamespace {
  version: { deno: string };
  env: { get(name: string): string | undefined };
  readTextFile(path: string): Promise<string>;
}

/**
 * Creates the Deno adapter. Reading an environment variable or a file needs the matching
 * permission (`--allow-env`, `--allow-read`); without it Deno's own error explains which.
 *
 * @example Use the Deno adapter explicitly
 * ```ts
 * import { denoRuntime } from "@kognic/auth/runtime/deno";
 *
 * const runtime = denoRuntime();
 * console.log(runtime.name); // "deno"
 * ```
 *
 * @returns The adapter.
 */
export function denoRuntime(): Runtime {
  const deno = (globalThis as unknown as { Deno: DenoNamespace }).Deno;
  return {
    name: "deno",
    version: deno.version.deno,
    env: (name) => deno.env.get(name),
    homeDir: () => deno.env.get("HOME") ?? deno.env.get("USERPROFILE"),
    readTextFile: (path) => deno.readTextFile(path),
    fetch: (input, init) => fetch(input, init),
  };
}

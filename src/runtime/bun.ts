/**
 * The runtime adapter for Bun: `Bun.env`, `Bun.file`, the global `fetch`, and Bun's own
 * `node:fs` and `node:child_process` for writing files and running the keyring tools.
 *
 * @module
 */
import { homedir } from "node:os";
import type { Runtime } from "./mod.ts";
import { nodeMembers } from "./_node_fs.ts";

interface BunNamespace {
  version: string;
  env: Record<string, string | undefined>;
  file(path: string): { text(): Promise<string> };
}

/**
 * Creates the Bun adapter.
 *
 * @example Use the Bun adapter explicitly (on Bun)
 * ```ts ignore
 * import { bunRuntime } from "@kognic/auth/runtime/bun";
 *
 * const runtime = bunRuntime();
 * console.log(runtime.name); // "bun"
 * ```
 *
 * @returns The adapter.
 */
export function bunRuntime(): Runtime {
  const bun = (globalThis as unknown as { Bun: BunNamespace }).Bun;
  return {
    name: "bun",
    version: bun.version,
    env: (name) => bun.env[name],
    homeDir: () => homedir(),
    readTextFile: (path) => bun.file(path).text(),
    fetch: (input, init) => fetch(input, init),
    ...nodeMembers((name) => bun.env[name]),
  };
}

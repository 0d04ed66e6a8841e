/**
 * The runtime adapter for Node.js: `process.env`, `node:fs/promises`, `node:os`,
 * `node:child_process` (for the keyring tools) and the global `fetch`.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import process from "node:process";
import type { Runtime } from "./mod.ts";
import { nodeMembers } from "./_node_fs.ts";

/**
 * Creates the Node.js adapter.
 *
 * @example Use the Node.js adapter explicitly
 * ```ts
 * import { nodeRuntime } from "@kognic/auth/runtime/node";
 *
 * const runtime = nodeRuntime();
 * console.log(runtime.name); // "node"
 * ```
 *
 * @returns The adapter.
 */
export function nodeRuntime(): Runtime {
  return {
    name: "node",
    version: process.versions.node ?? "",
    env: (name) => process.env[name],
    homeDir: () => homedir(),
    readTextFile: (path) => readFile(path, "utf8"),
    fetch: (input, init) => fetch(input, init),
    ...nodeMembers((name) => process.env[name]),
  };
}

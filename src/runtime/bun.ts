/**
 * The runtime adapter for Bun: `Bun.env`, `Bun.file` (reading files and their status), the global
 * `fetch`, and Bun's own `node:fs` and `node:child_process` for writing files and running the
 * keyring tools, each imported on first use: every `node:` module Bun loads costs a short program
 * start-up time and memory.
 *
 * Bun's `fetch` honours `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` itself, but applies `NO_PROXY`
 * even to its per-request `proxy` option, so an explicit proxy could not override it. This
 * adapter therefore chooses the proxy for each request with the same rules as the other
 * adapters and passes it as the `proxy` option, with the variables that would contradict the
 * choice hidden while `fetch` starts the request (Bun reads them synchronously then).
 *
 * @module
 */
import type { Runtime } from "./mod.ts";
import {
  NO_PROXY_VARIABLES,
  PROXY_VARIABLES,
  proxyAwareFetch,
  type ProxyTransport,
} from "./_proxy_fetch.ts";
import { nodeMembers } from "./_node_fs.ts";

const KEEP_BOM = new TextDecoder("utf-8", { ignoreBOM: true });

interface BunNamespace {
  version: string;
  env: Record<string, string | undefined>;
  file(path: string): {
    arrayBuffer(): Promise<ArrayBuffer>;
    stat(): Promise<{ mtimeMs: number; size: number; ino: number }>;
  };
}

/** Whether none of the proxy variables is set. */
const unset = (env: Record<string, string | undefined>) =>
  PROXY_VARIABLES.every((name) => env[name] === undefined);

/** Node's `process`, Bun's global (the module `node:process` costs Bun start-up memory). */
const nodeProcess = () => (globalThis as unknown as { process: NodeJS.Process }).process;

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
  // Hides `names` from Bun while `send` starts a request; synchronous, so no other code sees it.
  // Nothing to hide (the usual case): no array, no restoring.
  const without = (names: readonly string[], send: () => Promise<Response>) => {
    let saved: [string, string][] | undefined;
    for (const name of names) {
      const value = bun.env[name];
      if (value !== undefined) {
        (saved ??= []).push([name, value]);
        delete bun.env[name];
      }
    }
    if (!saved) return send();
    try {
      return send();
    } finally {
      for (const [name, value] of saved) bun.env[name] = value;
    }
  };
  // Bun's `tls.ca` replaces its trusted roots: pass them along with the extra CA. `node:tls` is
  // loaded only then: importing it costs Bun more start-up time than the rest of this library.
  const tls = (ca?: string) =>
    ca ? { tls: { ca: [...nodeProcess().getBuiltinModule("node:tls").rootCertificates, ca] } } : {};
  const transport: ProxyTransport = {
    env: (name) => bun.env[name],
    direct: (input, init, ca) =>
      without(PROXY_VARIABLES, () => fetch(input, ca ? Object.assign({}, init, tls(ca)) : init)),
    // No proxy variable set now (the usual case): the request as it is, no closure, no copy.
    directFetch: () => (input, init) => {
      try {
        return unset(bun.env)
          ? fetch(input, init)
          : without(PROXY_VARIABLES, () => fetch(input, init));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    through: (proxy, _source, ca) => (input, init) =>
      without(
        NO_PROXY_VARIABLES,
        () => fetch(input, Object.assign({}, init, { proxy: proxy.href }, tls(ca))),
      ),
  };
  return {
    name: "bun",
    version: bun.version,
    env: (name) => bun.env[name],
    // `os.homedir()` answers `HOME` where it is set (not empty), as here; `node:os` (1–2 MiB of
    // start-up memory on Bun) loads only without it.
    homeDir: () => bun.env.HOME || nodeProcess().getBuiltinModule("node:os").homedir(),
    // Bun's `text()` drops a byte order mark, which Python (and Node, Deno) keep: decode with it
    // kept, so that a file starting with one is refused alike everywhere.
    readTextFile: async (path) => KEEP_BOM.decode(await bun.file(path).arrayBuffer()),
    // Each use reads the proxy variables (a client's, when it is created): see Runtime.fetch.
    get fetch() {
      return proxyAwareFetch(transport);
    },
    fetchWith: (proxy, options) => proxyAwareFetch(transport, proxy, options?.ca),
    ...nodeMembers((name) => bun.env[name]),
    // Bun's own file status: `node:fs/promises` (about 4 MiB of start-up memory on Bun) is then
    // loaded only by a program that writes. Rejects as Node's `stat` does (`ENOENT` and so on).
    stat: async (path) => {
      const { mtimeMs, size, ino } = await bun.file(path).stat();
      return { mtime: mtimeMs, size, ino };
    },
  };
}

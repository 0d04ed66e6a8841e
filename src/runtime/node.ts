/**
 * The runtime adapter for Node.js: `process.env`, `node:fs/promises`, `node:os`,
 * `node:child_process` (for the keyring tools) and the global `fetch`.
 *
 * Node's own `fetch` ignores `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`. This adapter honours
 * them: a request that should go through a proxy is sent with the `fetch` and `ProxyAgent` of
 * the [`undici`](https://www.npmjs.com/package/undici) package, so the two always match. `undici`
 * is an optional peer dependency: it is imported only when a proxy is configured, and programs
 * that use a proxy on Node install it themselves (`npm install undici`).
 *
 * Requests with a streamed body (the Hono proxy's uploads) also go through `undici` when it is
 * installed: Node's bundled `fetch` keeps a streamed request body in memory until the process
 * collects it much later, so one large upload raises memory by its size. Without `undici` they
 * use the global `fetch`.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import process from "node:process";
import { KognicAuthError } from "../errors.ts";
import type { Runtime } from "./mod.ts";
import { proxyAwareFetch, type ProxyTransport } from "./_proxy.ts";
import { nodeMembers } from "./_node_fs.ts";

// The parts of undici this adapter uses.
interface Undici {
  Agent: new () => object;
  ProxyAgent: new (options: { uri: string }) => object;
  fetch: (input: string | URL, init: RequestInit & { dispatcher: object }) => Promise<Response>;
}

let undiciModule: Undici | null | undefined;

/** The optional `undici` package, loaded on first use; `undefined` where it is not installed. */
function loadUndici(): Undici | undefined {
  if (undiciModule === undefined) {
    try {
      // `require`, not `import()`: `deno publish` and bundlers must not try to resolve the
      // optional peer dependency. Node loads it only when a request needs it.
      undiciModule = createRequire(import.meta.url)("undici") as Undici;
    } catch {
      undiciModule = null;
    }
  }
  return undiciModule ?? undefined;
}

/** A `fetch` over undici with `dispatcher`, taking this runtime's `Request` objects too. */
function undiciFetch(undici: Undici, dispatcher: object): typeof fetch {
  return (input, init) => {
    if (input instanceof Request) {
      // undici's fetch knows only its own Request class: pass the parts of this one.
      const { method, headers, body, redirect, signal } = input;
      const request: RequestInit & { duplex?: "half" } = { method, headers, redirect, signal };
      if (body) Object.assign(request, { body, duplex: "half" });
      return undici.fetch(input.url, { ...request, ...init, dispatcher });
    }
    return undici.fetch(input, { ...init, dispatcher });
  };
}

function throughUndici(proxy: URL): typeof fetch {
  const undici = loadUndici();
  if (!undici) {
    throw new KognicAuthError(
      "PROXY_UNAVAILABLE",
      `A proxy ("${proxy.host}") is configured, but on Node.js requests through a proxy need ` +
        `the "undici" package: run "npm install undici"`,
    );
  }
  return undiciFetch(undici, new undici.ProxyAgent({ uri: proxy.href }));
}

let streaming: typeof fetch | undefined;

/** Sends a request directly: a streamed body through undici where it is installed. */
function direct(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const body = init?.body !== undefined ? init.body : input instanceof Request ? input.body : null;
  if (body instanceof ReadableStream) {
    const undici = loadUndici();
    if (undici) return (streaming ??= undiciFetch(undici, new undici.Agent()))(input, init);
  }
  return fetch(input, init);
}

const transport: ProxyTransport = {
  env: (name) => process.env[name],
  direct,
  through: throughUndici,
};

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
    fetch: proxyAwareFetch(transport),
    fetchWith: (proxy) => proxyAwareFetch(transport, proxy),
    ...nodeMembers((name) => process.env[name]),
  };
}

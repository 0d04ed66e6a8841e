/**
 * The runtime adapter for Node.js: `process.env`, `node:fs/promises`, `node:os`,
 * `node:child_process` (for the keyring tools) and the global `fetch`.
 *
 * Node's own `fetch` ignores `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` unless
 * `NODE_USE_ENV_PROXY=1` (or `--use-env-proxy`) is set. This adapter honours them either way:
 * with Node's own proxy support on, a request that should go through the proxy of a variable is
 * left to Node; otherwise, and for the `proxy` and `ca` options, it is sent with the `fetch`,
 * `Agent` and `ProxyAgent` of the [`undici`](https://www.npmjs.com/package/undici) package, so
 * the two always match. `undici` is an optional peer dependency: it is imported only when
 * needed, and programs that need it install it themselves (`npm install undici`).
 *
 * Requests with a streamed body (the Hono proxy's uploads) also go through `undici` when it is
 * installed: Node's bundled `fetch` keeps a streamed request body in memory until the process
 * collects it much later, so one large upload raises memory by its size. They use undici's
 * global dispatcher, so a program's `setGlobalDispatcher` (a `ProxyAgent`, say) applies to them
 * as to every other request. Without `undici`, or on Node 22 with a proxy agent set for Node's
 * own `fetch` only (`NODE_USE_ENV_PROXY`, an older `undici`), they use the global `fetch`.
 *
 * @module
 */
import process from "node:process";
import { KognicAuthError } from "../errors.ts";
import type { Runtime } from "./mod.ts";
import { PROXY_OPTION, proxyAwareFetch, type ProxyTransport } from "./_proxy_fetch.ts";
import { fileSystem, nodeMembers } from "./_node_fs.ts";

// The parts of undici this adapter uses.
interface Undici {
  Agent: new (options?: { connect: { ca: string[] } }) => object;
  ProxyAgent: new (options: {
    uri: string;
    requestTls?: { ca: string[] };
    proxyTls?: { ca: string[] };
  }) => object;
  fetch: (input: string | URL, init: RequestInit & { dispatcher?: object }) => Promise<Response>;
}

let undiciModule: Undici | null | undefined;

// Where undici keeps the process-wide dispatcher (`setGlobalDispatcher`): undici 8 under the
// second key, and a wrapper of it under the first, which Node's own fetch reads (Node 24's
// built-in undici sets both, Node 22's and older packages only the first).
const GLOBAL_DISPATCHER = Symbol.for("undici.globalDispatcher.1");
const GLOBAL_DISPATCHER_2 = Symbol.for("undici.globalDispatcher.2");
/**
 * A dispatcher configured for Node's fetch that only Node's fetch can drive (one set on Node
 * 22 by `NODE_USE_ENV_PROXY` or by an older undici), found when undici was loaded.
 */
let legacyDispatcher = false;

/** The optional `undici` package, loaded on first use; `undefined` where it is not installed. */
function loadUndici(): Undici | undefined {
  if (undiciModule === undefined) {
    const global = globalThis as Record<symbol, { constructor?: { name?: string } } | undefined>;
    const before = global[GLOBAL_DISPATCHER];
    const ownKey = global[GLOBAL_DISPATCHER_2] !== undefined;
    try {
      // `require`, not `import()`: `deno publish` and bundlers must not try to resolve the
      // optional peer dependency. Node loads it only when a request needs it.
      const { createRequire } = process.getBuiltinModule("node:module");
      undiciModule = createRequire(import.meta.url)("undici") as Undici;
    } catch {
      undiciModule = null;
    }
    // Finding nothing under its own key, undici 8 installs a plain Agent there and under the
    // first key too: Node's fetch would lose the dispatcher it had. Give it back; if it is more
    // than Node's default Agent (a proxy agent), streamed bodies go through Node's fetch too.
    if (before !== undefined && !ownKey && global[GLOBAL_DISPATCHER] !== before) {
      global[GLOBAL_DISPATCHER] = before;
      legacyDispatcher = before.constructor?.name !== "Agent";
    }
  }
  return undiciModule ?? undefined;
}

/** A `fetch` over undici with `dispatcher`, taking this runtime's `Request` objects too. */
function undiciFetch(undici: Undici, dispatcher: object | undefined): typeof fetch {
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

/** undici, or `PROXY_UNAVAILABLE` saying what needed it. */
function needUndici(needs: string): Undici {
  const undici = loadUndici();
  if (!undici) {
    throw new KognicAuthError(
      "PROXY_UNAVAILABLE",
      `${needs}, but this Node.js has no "undici" package: run "npm install undici"`,
    );
  }
  return undici;
}

/** Whether Node's own `fetch` applies the proxy variables (`NODE_USE_ENV_PROXY=1`, `--use-env-proxy`). */
function builtInProxy(): boolean {
  return process.env.NODE_USE_ENV_PROXY === "1" ||
    [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((arg) =>
      arg.includes("--use-env-proxy")
    );
}

// undici's `ca` replaces Node's trusted roots: pass them along with the extra CA. `node:tls` is
// loaded only then: importing it costs more start-up time than the rest of this library.
const trusting = (ca: string) => [...process.getBuiltinModule("node:tls").rootCertificates, ca];

let streaming: typeof fetch | undefined;
const withCa = new Map<string, typeof fetch>();

/**
 * Sends a request directly: with `ca` through an undici Agent that trusts it; a streamed body
 * through undici where it is installed.
 */
function direct(
  input: string | URL | Request,
  init?: RequestInit,
  ca?: string,
): Promise<Response> {
  if (ca) {
    let send = withCa.get(ca);
    if (!send) {
      const undici = needUndici("The ca option is given");
      withCa.set(
        ca,
        send = undiciFetch(undici, new undici.Agent({ connect: { ca: trusting(ca) } })),
      );
    }
    return send(input, init);
  }
  const body = init?.body !== undefined ? init.body : input instanceof Request ? input.body : null;
  if (body instanceof ReadableStream) {
    const undici = loadUndici();
    // undici's fetch with the global dispatcher (the program's, if it set one), which Node's
    // fetch would use too.
    if (undici && !legacyDispatcher) {
      return (streaming ??= undiciFetch(undici, undefined))(input, init);
    }
  }
  return fetch(input, init);
}

async function through(proxy: URL, source: string, ca?: string): Promise<typeof fetch> {
  // Node's own support applies the same variable to the same URL: let it.
  if (source !== PROXY_OPTION && builtInProxy() && !ca) return (input, init) => fetch(input, init);
  // Already loaded by the proxy layer, which calls this.
  const { hostPort } = await import("./network_failure.ts");
  const undici = needUndici(
    `A proxy ("${hostPort(proxy)}", from ${source}) is configured` +
      (source === PROXY_OPTION || ca
        ? ""
        : ` and Node's own proxy support is off (NODE_USE_ENV_PROXY=1 turns it on)`),
  );
  // The CA is trusted for the target's certificate and, for an https:// proxy, for the proxy's.
  const tls = ca ? { requestTls: { ca: trusting(ca) }, proxyTls: { ca: trusting(ca) } } : {};
  return undiciFetch(undici, new undici.ProxyAgent({ uri: proxy.href, ...tls }));
}

const transport: ProxyTransport = {
  env: (name) => process.env[name],
  direct,
  through,
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
    homeDir: () => process.getBuiltinModule("node:os").homedir(),
    readTextFile: async (path) => (await fileSystem()).readFile(path, "utf8"),
    // Each use reads the proxy variables (a client's, when it is created): see Runtime.fetch.
    get fetch() {
      return proxyAwareFetch(transport);
    },
    fetchWith: (proxy, options) => proxyAwareFetch(transport, proxy, options?.ca),
    ...nodeMembers((name) => process.env[name]),
  };
}

/**
 * Serves a fetch handler over a real loopback socket with the current runtime's own server:
 * `Deno.serve`, `Bun.serve` or `@hono/node-server` on Node.
 *
 * @module
 */

/** A running loopback server. */
export interface Served {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:43123`. */
  url: string;
  /** Stops the server, drops its connections and frees the port. */
  close(): Promise<void>;
}

type Handler = (request: Request) => Response | Promise<Response>;

// Minimal shapes of the runtime globals, so this file needs no runtime type packages.
interface DenoGlobal {
  serve(
    options: { hostname: string; port: number; onListen: () => void },
    handler: Handler,
  ): { addr: { port: number }; shutdown(): Promise<void> };
}
interface BunGlobal {
  serve(options: { hostname: string; port: number; fetch: Handler }): {
    port: number;
    stop(closeActiveConnections?: boolean): unknown;
  };
}
interface Runtimes {
  Deno?: DenoGlobal;
  Bun?: BunGlobal;
  navigator?: { userAgent?: string };
}

/**
 * Serves `handler` on 127.0.0.1 (or another loopback address) at an ephemeral port (or the
 * one given).
 *
 * @param handler Answers each request, e.g. `createTestServer().fetch`.
 * @param options Another loopback `hostname`, such as `127.0.0.2`, and a `port`.
 * @returns The base URL and a `close()` that frees the port.
 *
 * @example Serve the Kognic test server
 * ```ts
 * import { createTestServer } from "./server.ts";
 * const served = await serve(createTestServer().fetch);
 * await (await fetch(`${served.url}/v1/items`)).body?.cancel();
 * await served.close();
 * ```
 */
export async function serve(
  handler: Handler,
  { hostname: HOST = "127.0.0.1", port = 0 }: { hostname?: string; port?: number } = {},
): Promise<Served> {
  // Pass the request alone: runtimes add a second argument (server, info, bindings).
  const fetch: Handler = (request) => handler(request);
  const runtimes = globalThis as unknown as Runtimes;
  const userAgent = runtimes.navigator?.userAgent ?? "";

  if (userAgent.startsWith("Deno/") && runtimes.Deno) {
    const server = runtimes.Deno.serve({ hostname: HOST, port, onListen: () => {} }, fetch);
    return { url: `http://${HOST}:${server.addr.port}`, close: () => server.shutdown() };
  }

  if (userAgent.startsWith("Bun/") && runtimes.Bun) {
    const server = runtimes.Bun.serve({ hostname: HOST, port, fetch });
    return {
      url: `http://${HOST}:${server.port}`,
      close: async () => {
        await server.stop(true);
      },
    };
  }

  if (userAgent.startsWith("Node.js/")) {
    const { createAdaptorServer } = await import("@hono/node-server");
    // Keep the real global Request/Response: the library under test must see them.
    const server = createAdaptorServer({ fetch, overrideGlobalObjects: false });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, HOST, () => resolve());
    });
    const address = server.address();
    const bound = typeof address === "object" && address ? address.port : 0;
    return {
      url: `http://${HOST}:${bound}`,
      close: () =>
        new Promise<void>((resolve, reject) => {
          server.close((error?: Error) => (error ? reject(error) : resolve()));
          if ("closeAllConnections" in server) server.closeAllConnections();
        }),
    };
  }

  throw new Error(`Unsupported runtime: "${userAgent}"`);
}

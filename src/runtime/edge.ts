/**
 * The runtime adapter for edge functions (Cloudflare Workers, Deno Deploy, Supabase, Vercel
 * edge): settings come from a bindings record, there is no file system and no keyring.
 *
 * @module
 */
import type { Runtime } from "./mod.ts";

// One function for every adapter made here, so that clients built per request share a provider.
const globalFetch: typeof fetch = (input, init) => fetch(input, init);

/** Options of {@linkcode edgeRuntime}. */
export interface EdgeRuntimeOptions {
  /**
   * The variables to read, such as the `env` argument of a Workers `fetch` handler. Values that
   * are not strings (KV namespaces, other bindings) are ignored.
   */
  env?: Record<string, unknown>;
  /** The `fetch` to use; default the global one. */
  fetch?: typeof fetch;
}

/**
 * Creates an adapter for an edge runtime.
 *
 * @example In a Cloudflare Worker
 * ```ts
 * import { edgeRuntime } from "@kognic/auth/runtime/edge";
 *
 * const worker = {
 *   fetch(_request: Request, env: Record<string, unknown>): Response {
 *     const runtime = edgeRuntime({ env });
 *     return new Response(runtime.env("KOGNIC_CLIENT_ID") ? "configured" : "missing");
 *   },
 * };
 * const response = worker.fetch(new Request("https://example.com"), { KOGNIC_CLIENT_ID: "id" });
 * console.log(await response.text()); // configured
 * ```
 *
 * @param options The bindings and the `fetch` to use.
 * @returns The adapter.
 */
export function edgeRuntime(options: EdgeRuntimeOptions = {}): Runtime {
  const env = options.env ?? {};
  return {
    name: "edge",
    version: "",
    env: (name) => typeof env[name] === "string" ? env[name] as string : undefined,
    homeDir: () => undefined,
    fetch: options.fetch ?? globalFetch,
  };
}

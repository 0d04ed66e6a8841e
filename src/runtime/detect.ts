// Detection of the runtime in use: which adapter ./mod.ts's `detectRuntime` returns. Apart from
// the interfaces of ./mod.ts, which it re-exports from here. Not part of the public API.
import { lazily } from "../_util.ts";
import type { Runtime } from "./mod.ts";

// The adapter, once: one import shared by concurrent first calls, a failed one tried again.
const detected = lazily(() => {
  try {
    return load();
  } catch {
    // No `navigator` at all: a runtime that is neither Deno, Bun nor Node.
    return edge();
  }
});

/**
 * Returns the adapter for the runtime this code runs on, chosen by `navigator.userAgent`:
 * Deno, Bun or Node get their own adapters; Vercel's Edge Runtime (the `EdgeRuntime` global) and
 * anything else (Cloudflare Workers, other edge runtimes) get an adapter with no file system, no
 * environment variables and the global `fetch`. The adapter is created once and reused; its
 * `fetch` property reads the proxy variables each time it is read, so the adapter does not fix
 * them for the whole process (see {@linkcode Runtime.fetch}).
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
  return detected();
}

// Bundlers for Cloudflare Workers (wrangler, Cloudflare's Vite plugin) define
// `navigator.userAgent` as "Cloudflare-Workers". The test below then folds to a constant and the
// Deno, Bun and Node adapters, with their `node:` imports, are left out of the worker: it needs
// no `nodejs_compat`. Keep it a plain `navigator.userAgent` in a conditional expression. Vercel's
// Edge Runtime has no navigator; it names itself in the EdgeRuntime global.
function load(): Promise<Runtime> {
  return typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime === "string"
    ? edge()
    : navigator.userAgent === "Cloudflare-Workers"
    ? edge()
    : byAgent(navigator.userAgent);
}

async function edge(): Promise<Runtime> {
  return (await import("./edge.ts")).edgeRuntime();
}

async function byAgent(agent: string): Promise<Runtime> {
  if (agent.startsWith("Deno/")) return (await import("./deno.ts")).denoRuntime();
  if (agent.startsWith("Bun/")) return (await import("./bun.ts")).bunRuntime();
  if (agent.startsWith("Node.js/")) return (await import("./node.ts")).nodeRuntime();
  return await edge();
}

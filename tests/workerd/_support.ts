// Shared by the workerd runners: bundling a worker with esbuild and starting Miniflare.
import { readFile } from "node:fs/promises";
import { build, type Plugin } from "esbuild";
import { Miniflare, type WorkerOptions } from "miniflare";
import { openTelemetryPlatform } from "../support/otel_platform.ts";

/** The compatibility date of every test worker: recent, with `nodejs_compat`. */
export const COMPATIBILITY_DATE = "2026-07-01";

const root = new URL("../../", import.meta.url);

/** Resolves `@kognic/auth/...` by deno.json's exports, as Deno does, for the examples. */
export const selfImports: Plugin = {
  name: "kognic-auth-imports",
  setup(build) {
    build.onResolve({ filter: /^@kognic\/auth(\/|$)/ }, async ({ path }) => {
      const { exports } = JSON.parse(await readFile(new URL("deno.json", root), "utf8"));
      const target = exports[path.replace(/^@kognic\/auth/, ".")];
      if (!target) return { errors: [{ text: `${path} is not in deno.json's exports` }] };
      return { path: new URL(target, root).pathname };
    });
  },
};

/**
 * Bundles a file (relative to this folder) into one ES module for workerd. With `wrangler`, as
 * wrangler and Cloudflare's Vite plugin bundle a worker: `navigator.userAgent` is defined as
 * `"Cloudflare-Workers"`.
 */
export async function bundleWorker(
  file: string,
  options: { wrangler?: boolean } = {},
): Promise<string> {
  const result = await build({
    entryPoints: [new URL(file, import.meta.url).pathname],
    plugins: [selfImports, openTelemetryPlatform],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    // node: modules come from workerd's nodejs_compat; the Node-only server adapter is only
    // reached by socket cases, which do not run in a worker.
    external: ["node:*", "@hono/node-server"],
    define: (options.wrangler ? { "navigator.userAgent": '"Cloudflare-Workers"' } : {}) as Record<
      string,
      string
    >,
    write: false,
    logLevel: "error",
  });
  return result.outputFiles[0].text;
}

/** The version of the workerd binary Miniflare runs, e.g. `1.20260730.1`. */
export async function workerdVersion(): Promise<string> {
  const url = new URL("../../node_modules/workerd/package.json", import.meta.url);
  return JSON.parse(await readFile(url, "utf8")).version;
}

/**
 * Starts Miniflare with the given workers (each in its own isolate), with `nodejs_compat` and
 * {@linkcode COMPATIBILITY_DATE} unless a worker sets `compatibilityFlags` or
 * `compatibilityDate` itself.
 */
export async function startWorkers(
  workers: (Omit<WorkerOptions, "modules" | "script"> & { name: string; script: string })[],
  shared: { kvPersist?: boolean; outboundService?: (request: Request) => Promise<Response> } = {},
): Promise<Miniflare> {
  const mf = new Miniflare({
    workers: workers.map(({ script, ...worker }) => ({
      compatibilityFlags: ["nodejs_compat"],
      compatibilityDate: COMPATIBILITY_DATE,
      ...worker,
      modules: [{ type: "ESModule" as const, path: `${worker.name}.mjs`, contents: script }],
      ...(shared.outboundService ? { outboundService: shared.outboundService as never } : {}),
    })),
  });
  await mf.ready;
  return mf;
}

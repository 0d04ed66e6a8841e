// An esbuild plugin for the bundles of the edge hosts' test runs (workerd, Vercel's Edge Runtime).
// OpenTelemetry's SDK packages choose their platform files by package.json's `browser` field,
// which bundlers for edge functions follow and esbuild's neutral platform does not: this picks
// their browser files, as an edge function gets them. Test-only.
import { join } from "node:path";
import type { Plugin } from "esbuild";

/** Resolves `./platform` inside `@opentelemetry/*` packages to their browser files. */
export const openTelemetryPlatform: Plugin = {
  name: "opentelemetry-platform",
  setup(build) {
    build.onResolve({ filter: /^\.{1,2}\/platform$/ }, ({ path, importer, resolveDir }) => {
      if (!importer.includes("/@opentelemetry/")) return undefined;
      return { path: join(resolveDir, path, "browser/index.js") };
    });
  },
};

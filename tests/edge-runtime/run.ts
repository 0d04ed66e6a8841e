// Runs the conformance suite inside Vercel's Edge Runtime (the `edge-runtime` package, a
// Web-standard context without Node globals), driven by Node 24 as workerd is through Miniflare:
// bundles tests/edge-runtime/worker.ts with esbuild into one script, evaluates it in an
// EdgeRuntime and prints the lines its first request streams, ending with
// `edge-runtime-<version>: N passed, N failed, N skipped`. Then runs the cases that need
// contexts of their own (tests/edge-runtime/contexts.ts), closing with
// `edge-runtime contexts: N passed, N failed`. Exits non-zero when a case fails.
// Usage: node tests/edge-runtime/run.ts [name filter]
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { readFile } from "node:fs/promises";
import util from "node:util";
import process from "node:process";
import { build, type Plugin } from "esbuild";
import { AsyncLocalStorage } from "node:async_hooks";
import { openTelemetryPlatform } from "../support/otel_platform.ts";
import { EdgeRuntime } from "edge-runtime";
import { run } from "../support/harness.ts";
import { printLines } from "../support/stream_lines.ts";
import "./contexts.ts";

const root = new URL("../../", import.meta.url);

/**
 * An edge function has no `node:` modules. The suite's assertions (`node:assert/strict`) and its
 * check of how values print (`node:util`'s `inspect`) and its expected cache keys (`node:crypto`)
 * are the test's, not the library's: they
 * come from the host under a private global. Every other `node:` module the conformance modules
 * import (test support for the cases that need files, sockets or subprocesses, which are
 * skipped here) resolves to a stand-in whose every export throws when it is used.
 */
const HOST_MODULES: Record<string, unknown> = {
  "node:assert/strict": assert,
  "node:crypto": crypto,
  "node:util": util,
  // Vercel's Edge Runtime has AsyncLocalStorage (from node:async_hooks), which the otel cases'
  // context manager uses; the edge-runtime package does not emulate it, so the host's.
  "node:async_hooks": { AsyncLocalStorage },
};
const noNode: Plugin = {
  name: "no-node",
  setup(build) {
    build.onResolve({ filter: /^(node:|@hono\/node-server$)/ }, ({ path }) => ({
      path,
      namespace: "no-node",
    }));
    build.onLoad({ filter: /.*/, namespace: "no-node" }, ({ path }) => ({
      loader: "js",
      contents: path in HOST_MODULES
        ? `module.exports = globalThis.__kognicTestHost[${JSON.stringify(path)}];`
        : `const fail = () => { throw new Error(${
          JSON.stringify(`${path} is not available in an edge function`)
        }); };
module.exports = new Proxy(fail, { get: (_, key) => key === "__esModule" ? false : key === "default" ? module.exports : fail });`,
    }));
  },
};

const bundle = await build({
  entryPoints: [new URL("tests/edge-runtime/worker.ts", root).pathname],
  plugins: [noNode, openTelemetryPlatform],
  bundle: true,
  format: "iife",
  platform: "neutral",
  target: "es2022",
  conditions: ["edge-light", "worker", "browser"],
  mainFields: ["module", "main"],
  write: false,
  logLevel: "error",
});

const version =
  JSON.parse(await readFile(new URL("node_modules/edge-runtime/package.json", root), "utf8"))
    .version;
const runtime = new EdgeRuntime({
  initialCode: bundle.outputFiles[0].text,
  extend: (context) => Object.assign(context, { __kognicTestHost: HOST_MODULES }),
});
const url = new URL("http://localhost/");
url.searchParams.set("label", `edge-runtime-${version}`);
if (process.argv[2]) url.searchParams.set("filter", process.argv[2]);
const response = await runtime.dispatchFetch(url.href);
const last = await printLines(response.body as AsyncIterable<Uint8Array>);
await response.waitUntil();
const failed = !/^edge-runtime-[0-9.]*: \d+ passed, 0 failed/.test(last);
// The label has a space so that scripts/test.sh does not take it for a runtime's summary.
const contexts = await run("edge-runtime contexts", { capabilities: [], filter: process.argv[2] });
process.exit(failed || contexts.failed ? 1 : 0);

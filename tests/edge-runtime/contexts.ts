// Cases that run functions in their own edge-runtime contexts, as Vercel runs them: the README's
// Vercel example with `process.env` bindings, token sharing inside one context and a KV store
// shared between two. Run in Node by tests/edge-runtime/run.ts after the conformance suite; the
// Kognic test server runs in this Node process and answers every request the functions send.
import assert from "node:assert/strict";
import { build } from "esbuild";
import { EdgeRuntime } from "edge-runtime";
import { test } from "../support/harness.ts";
import { CANARY_SECRET, createKognicServer, TEST_CLIENT_ID } from "../support/kognic_server.ts";
import { outbound } from "../support/outbound.ts";
import { MemoryKv } from "../support/memory_kv.ts";
import { selfImports } from "../workerd/_support.ts";

const BINDINGS = { KOGNIC_CLIENT_ID: TEST_CLIENT_ID, KOGNIC_CLIENT_SECRET: CANARY_SECRET };

/** Bundles TypeScript source (resolved from this folder) into one script for a context. */
async function bundle(contents: string): Promise<string> {
  const result = await build({
    stdin: { contents, resolveDir: new URL(".", import.meta.url).pathname, loader: "ts" },
    plugins: [selfImports],
    bundle: true,
    format: "iife",
    platform: "neutral",
    target: "es2022",
    write: false,
    logLevel: "error",
  });
  return result.outputFiles[0].text;
}

/**
 * A context with Vercel's `process.env` bindings whose requests reach `server`. Requests and
 * answers are copied across the boundary: the context's `Request`, `Headers` and `AbortSignal`
 * are its own classes, not this process's.
 */
function context(script: string, server: ReturnType<typeof createKognicServer>, extra = {}) {
  const answer = outbound(server);
  return new EdgeRuntime({
    initialCode: script,
    extend: (ctx) => {
      const fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
        const request = new ctx.Request(input, init);
        const response = await answer(
          new Request(request.url, {
            method: request.method,
            headers: [...request.headers],
            body: ["GET", "HEAD"].includes(request.method) ? undefined : await request.text(),
          }),
        );
        return new ctx.Response(await response.arrayBuffer(), {
          status: response.status,
          headers: [...response.headers],
        });
      };
      return Object.assign(ctx, { process: { env: { ...BINDINGS } }, fetch }, extra);
    },
  });
}

test("edge-runtime: the README's Vercel example, a burst in one context, one token request", async () => {
  const server = createKognicServer();
  const script = await bundle(
    `import { GET } from "../../examples/vercel_edge.ts";
addEventListener("fetch", (event) => event.respondWith(GET()));`,
  );
  // The edge entry needs no Node module: nothing to provide but Web APIs and process.env.
  assert.doesNotMatch(script, /["']node:/);
  const runtime = context(script, server);
  const answers = await Promise.all(
    Array.from({ length: 6 }, () => runtime.dispatchFetch("http://localhost/api/projects")),
  );
  for (const answer of answers) {
    assert.equal(answer.status, 200);
    assert.equal((await answer.json() as { data: unknown[] }).data.length, 2);
  }
  const again = await runtime.dispatchFetch("http://localhost/api/projects");
  assert.equal(again.status, 200);
  await again.body?.cancel();
  assert.equal(server.tokenRequests.length, 1);
  assert.equal(server.apiRequests.length, 7);
});

test("edge-runtime: two contexts sharing a KV store make one token request between them", async () => {
  const server = createKognicServer();
  const kv = new MemoryKv();
  const script = await bundle(
    `import { edgeFetch, kvTokenStore } from "@kognic/auth/edge";
const store = kvTokenStore(globalThis.TOKENS);
addEventListener("fetch", (event) => event.respondWith((async () => {
  const response = await edgeFetch(process.env, { store })("/v1/projects");
  return new Response(String(response.status));
})()));`,
  );
  const first = context(script, server, { TOKENS: kv });
  const second = context(script, server, { TOKENS: kv });
  for (const runtime of [first, second, first, second]) {
    assert.equal(await (await runtime.dispatchFetch("http://localhost/")).text(), "200");
  }
  assert.equal(server.tokenRequests.length, 1);
  assert.equal(server.apiRequests.length, 4);
  assert.equal(kv.puts.length, 1);
});

// Cases that need several workerd isolates and Miniflare's real KV; run in Node by
// tests/workerd/run.ts after the conformance suite. The Kognic test server runs in this Node
// process and answers every outbound request of the workers.
import assert from "node:assert/strict";
import { test } from "../support/harness.ts";
import { CANARY_SECRET, createKognicServer, TEST_CLIENT_ID } from "../support/kognic_server.ts";
import { bundleWorker, startWorkers } from "./_support.ts";

/** Hands a Miniflare request to the in-process test server and its answer back. */
function outbound(server: ReturnType<typeof createKognicServer>) {
  return async (request: Request): Promise<Response> => {
    const body = ["GET", "HEAD"].includes(request.method) ? undefined : await request.text();
    const response = await server.fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body,
    });
    return new Response(await response.arrayBuffer(), response);
  };
}

test(
  "workerd: two isolates sharing a KV namespace make one token request between them",
  async () => {
    const server = createKognicServer();
    const script = await bundleWorker("isolate_worker.ts");
    const worker = (name: string) => ({
      name,
      script,
      bindings: {
        KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
        KOGNIC_CLIENT_SECRET: CANARY_SECRET,
        KOGNIC_URL: "http://127.0.0.1:9",
      },
      kvNamespaces: { TOKENS: "shared-token-namespace" },
      routes: [`${name}.test/*`],
    });
    const mf = await startWorkers([worker("first"), worker("second")], {
      outboundService: outbound(server),
    });
    try {
      const answers = [];
      for (const name of ["first", "second", "first", "second"]) {
        const response = await mf.dispatchFetch(`http://${name}.test/`);
        answers.push(await response.json() as { isolate: string; tokenId: number });
      }
      assert.notEqual(answers[0].isolate, answers[1].isolate, "two isolates");
      assert.deepEqual(answers.map((a) => a.tokenId), [1, 1, 1, 1]);
      assert.equal(server.tokenRequests.length, 1);
      assert.equal(server.apiRequests.length, 4);
    } finally {
      await mf.dispose();
    }
  },
  { timeout: 30_000 },
);

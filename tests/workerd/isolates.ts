// Cases that need several workerd isolates and Miniflare's real KV; run in Node by
// tests/workerd/run.ts after the conformance suite. The Kognic test server runs in this Node
// process and answers every outbound request of the workers.
import assert from "node:assert/strict";
import { test } from "../support/harness.ts";
import { CANARY_SECRET, createKognicServer, TEST_CLIENT_ID } from "../support/kognic_server.ts";
import { bundleWorker, startWorkers } from "./_support.ts";
import { outbound } from "../support/outbound.ts";

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

/**
 * Six concurrent cold requests to one isolate of isolate_worker.ts, with every token request
 * taking `delay` ms (300 by default, so the whole burst arrives while the first is out): their
 * answers, the token requests made, and the most that were out at once.
 */
async function burst(server: ReturnType<typeof createKognicServer>, name: string, delay = 300) {
  const answer = outbound(server);
  let out = 0;
  let mostOut = 0;
  const mf = await startWorkers([{
    name,
    script: await bundleWorker("isolate_worker.ts"),
    bindings: {
      KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
      KOGNIC_CLIENT_SECRET: CANARY_SECRET,
      KOGNIC_URL: "http://127.0.0.1:9",
    },
    kvNamespaces: { TOKENS: `${name}-tokens` },
  }], {
    outboundService: async (request) => {
      if (!request.url.endsWith("/token")) return answer(request);
      mostOut = Math.max(mostOut, ++out);
      await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        return await answer(request);
      } finally {
        out--;
      }
    },
  });
  try {
    const answers = await Promise.all(
      Array.from(
        { length: 6 },
        () =>
          mf.dispatchFetch("http://localhost/").then((r) =>
            r.json() as Promise<
              { isolate: string; tokenId?: number; error?: string; storeErrors: string[] }
            >
          ),
      ),
    );
    assert.equal(new Set(answers.map((a) => a.isolate)).size, 1, "one isolate");
    return { answers, tokenRequests: server.tokenRequests.length, mostOut };
  } finally {
    await mf.dispose();
  }
}

test("workerd: a burst of cold requests in one isolate makes one token request", async () => {
  const { answers, tokenRequests } = await burst(createKognicServer(), "burst");
  assert.deepEqual(answers.map((a) => a.tokenId), [1, 1, 1, 1, 1, 1]);
  assert.equal(tokenRequests, 1);
}, { timeout: 30_000 });

test(
  "workerd: a token endpoint slower than the store's 2 s bound: one token request, no store_error",
  async () => {
    // The requests of the burst wait for the first one's token: a wait, not a failed store call.
    const { answers, tokenRequests } = await burst(createKognicServer(), "slow-endpoint", 2_500);
    assert.deepEqual(answers.map((a) => a.tokenId), [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(answers.flatMap((a) => a.storeErrors), []);
    assert.equal(tokenRequests, 1);
  },
  { timeout: 30_000 },
);

test("workerd: after a failed token request, the waiting requests go on together", async () => {
  const server = createKognicServer({ clientSecret: "not-the-workers-secret" });
  const { answers, tokenRequests, mostOut } = await burst(server, "refused");
  assert.deepEqual(answers.map((a) => a.error), Array(6).fill("TOKEN_OAUTH_ERROR"));
  assert.equal(tokenRequests, 6, "each asks once (a refusal is not retried)");
  assert.ok(mostOut >= 2, `the rest went on together, not one at a time (${mostOut} at most)`);
}, { timeout: 30_000 });

test("workerd: tokens that do not say when they expire are not waited for", async () => {
  const server = createKognicServer();
  server.expiresIn = () => undefined;
  const { answers, mostOut } = await burst(server, "no-expiry");
  assert.ok(answers.every((a) => typeof a.tokenId === "number"));
  assert.ok(mostOut >= 2, `they asked together, not one at a time (${mostOut} at most)`);
}, { timeout: 30_000 });

// 2021-11-03 is before `global_navigator` became the default (2022-03-21): no navigator, and
// no WeakRef either, so the Workers detection cannot rely on navigator.userAgent.
for (const compatibilityDate of [undefined, "2021-11-03"]) {
  test(
    `workerd: requests around a token's refresh and expiry never hang${
      compatibilityDate ? ` (compatibility date ${compatibilityDate})` : ""
    }`,
    async () => {
      // Tokens live 2 s: later requests fall into the refresh window and past the expiry margin,
      // where a token request started by an earlier, finished request would never settle.
      const server = createKognicServer({ tokenLifetime: 2 });
      const mf = await startWorkers([{
        name: "expiry",
        script: await bundleWorker("isolate_worker.ts"),
        bindings: {
          KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
          KOGNIC_CLIENT_SECRET: CANARY_SECRET,
          KOGNIC_URL: "http://127.0.0.1:9",
        },
        kvNamespaces: { TOKENS: "expiry-tokens" },
        ...(compatibilityDate ? { compatibilityDate } : {}),
      }], { outboundService: outbound(server, [], 400) });
      const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      try {
        for (const pause of [0, 1100, 600, 200]) {
          await wait(pause);
          const answers = await Promise.all(
            [1, 2, 3].map(() => mf.dispatchFetch("http://localhost/").then((r) => r.status)),
          );
          assert.deepEqual(answers, [200, 200, 200]);
        }
      } finally {
        await mf.dispose();
      }
    },
    { timeout: 30_000 },
  );
}

test(
  "workerd: a token inside its refresh leeway is handed out without holding the next requests",
  async () => {
    // Tokens live 4 s: from 2 s on a stored token is inside its refresh leeway and is still
    // handed out (until 3 s, its expiry margin) without a token request. The request that read
    // it must not leave the others of its isolate waiting for a token nobody asks for: they
    // would wait 2 s, past the token's expiry margin, and then ask for a second token.
    const server = createKognicServer({ tokenLifetime: 4 });
    const mf = await startWorkers([{
      name: "leeway",
      script: await bundleWorker("isolate_worker.ts"),
      bindings: {
        KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
        KOGNIC_CLIENT_SECRET: CANARY_SECRET,
        KOGNIC_URL: "http://127.0.0.1:9",
      },
      kvNamespaces: { TOKENS: "leeway-tokens" },
    }], { outboundService: outbound(server) });
    const ask = () =>
      mf.dispatchFetch("http://localhost/").then((r) => r.json() as Promise<{ tokenId?: number }>);
    try {
      const started = Date.now();
      assert.equal((await ask()).tokenId, 1);
      await new Promise((resolve) => setTimeout(resolve, started + 2_200 - Date.now()));
      assert.equal((await ask()).tokenId, 1, "the stored token, inside its refresh leeway");
      const burst = await Promise.all([1, 2, 3].map(ask));
      assert.deepEqual(burst.map((a) => a.tokenId), [1, 1, 1], "the same token, not waited for");
      assert.equal(server.tokenRequests.length, 1);
    } finally {
      await mf.dispose();
    }
  },
  { timeout: 30_000 },
);

const EXAMPLE_BINDINGS = { KOGNIC_CLIENT_ID: TEST_CLIENT_ID, KOGNIC_CLIENT_SECRET: CANARY_SECRET };

test("workerd: the README's Cloudflare Workers example, two isolates sharing KV", async () => {
  const server = createKognicServer();
  const seen: string[] = [];
  const script = await bundleWorker("../../examples/cloudflare_worker.ts");
  // The edge entry needs no Node compatibility: its bundle imports no node: module.
  assert.doesNotMatch(script, /["']node:/);
  const worker = (name: string) => ({
    name,
    script,
    compatibilityFlags: [],
    bindings: EXAMPLE_BINDINGS,
    kvNamespaces: { TOKENS: "example-tokens" },
    routes: [`${name}.test/*`],
  });
  const mf = await startWorkers([worker("one"), worker("two")], {
    outboundService: outbound(server, seen),
  });
  try {
    for (const name of ["one", "two", "one"]) {
      const response = await mf.dispatchFetch(`http://${name}.test/`);
      assert.equal(response.status, 200);
      assert.deepEqual((await response.json() as { data: unknown[] }).data.length, 2);
    }
    assert.equal(server.tokenRequests.length, 1);
    assert.deepEqual([...new Set(seen.map((url) => new URL(url).origin))], [
      "https://auth.app.kognic.com",
      "https://app.kognic.com",
    ]);
  } finally {
    await mf.dispose();
  }
}, { timeout: 30_000 });

test(
  "workerd: the README's Hono example, middleware and proxy, without nodejs_compat",
  async () => {
    const server = createKognicServer();
    const seen: string[] = [];
    // Bundled as wrangler does: the runtime detection folds to the edge adapter, so the bundle
    // imports no node: module and the worker runs without Node compatibility.
    const script = await bundleWorker("../../examples/hono_worker.ts", { wrangler: true });
    assert.doesNotMatch(script, /["']node:/);
    const mf = await startWorkers([{
      name: "hono",
      script,
      compatibilityFlags: [],
      bindings: { ...EXAMPLE_BINDINGS, PROXY_API_KEY: "let-me-in" },
    }], { outboundService: outbound(server, seen) });
    try {
      const projects = await mf.dispatchFetch("http://hono.test/projects");
      assert.equal(projects.status, 200);
      assert.equal((await projects.json() as { data: unknown[] }).data.length, 2);

      const proxied = await mf.dispatchFetch("http://hono.test/kognic/v1/projects?page=1", {
        headers: {
          "x-api-key": "let-me-in",
          cookie: "session=abc",
          authorization: "Bearer forged",
        },
      });
      assert.equal(proxied.status, 200);
      const text = await proxied.text();
      assert.equal(JSON.parse(text).data.length, 2);
      const last = server.apiRequests.at(-1)!;
      assert.equal(last.url, "https://app.kognic.com/v1/items?page=1");
      assert.equal(last.headers.authorization, `Bearer ${server.issuedTokens[0]}`);
      assert.equal(last.headers.cookie, undefined);

      const refused = [
        ["/kognic/v1/projects", { "x-api-key": "wrong" }, 403],
        ["/kognic/v1/items", { "x-api-key": "let-me-in" }, 403],
        ["/kognic/v1/projects/..%2F..%2Fitems", { "x-api-key": "let-me-in" }, 400],
        ["/kognic//evil.example/v1/projects", { "x-api-key": "let-me-in" }, 400],
      ] as const;
      for (const [path, headers, status] of refused) {
        const response = await mf.dispatchFetch(`http://hono.test${path}`, { headers });
        assert.equal(response.status, status, path);
        const body = await response.text();
        for (const secret of [CANARY_SECRET, ...server.issuedTokens]) {
          assert.ok(
            !body.includes(secret) && !JSON.stringify([...response.headers]).includes(secret),
          );
        }
      }
      const hosted = await mf.dispatchFetch("http://hono.test/kognic/v1/projects", {
        headers: {
          "x-api-key": "let-me-in",
          host: "evil.example",
          "x-forwarded-host": "evil.example",
        },
      });
      assert.equal(hosted.status, 200);
      const hostedText = await hosted.text();
      const hostedHeaders = JSON.stringify([...hosted.headers]);
      for (const secret of [CANARY_SECRET, ...server.issuedTokens]) {
        assert.ok(!hostedText.includes(secret) && !hostedHeaders.includes(secret));
      }
      assert.deepEqual([...new Set(seen.map((url) => new URL(url).origin))], [
        "https://auth.app.kognic.com",
        "https://app.kognic.com",
      ]);
      assert.equal(server.tokenRequests.length, 1);
    } finally {
      await mf.dispose();
    }
  },
  { timeout: 30_000 },
);

test("docs: the edge examples are the files these cases run", async () => {
  const { readFile } = await import("node:fs/promises");
  const root = new URL("../../", import.meta.url);
  const readme = (await Promise.all(
    ["docs/edge.md", "docs/hono.md"].map((file) => readFile(new URL(file, root), "utf8")),
  )).join("\n");
  for (
    const file of ["cloudflare_worker.ts", "deno_deploy.ts", "hono_worker.ts", "vercel_edge.ts"]
  ) {
    const code = await readFile(new URL(`examples/${file}`, root), "utf8");
    assert.ok(
      readme.includes("```ts\n" + code + "```"),
      `docs/edge.md or docs/hono.md shows examples/${file} as it is`,
    );
  }
});

test(
  "workerd: isolates sharing a Durable Object coordinator make one token request, cold burst " +
    "and rotation",
  async () => {
    // Tokens live 2 s: the second burst falls past the point where the first is handed out.
    const server = createKognicServer({ tokenLifetime: 2 });
    const answer = outbound(server);
    const script = await bundleWorker("coordinator_worker.ts");
    const names = ["one", "two", "three"];
    const mf = await startWorkers(
      names.map((name, i) => ({
        name,
        script,
        bindings: {
          KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
          KOGNIC_CLIENT_SECRET: CANARY_SECRET,
          KOGNIC_URL: "http://127.0.0.1:9",
        },
        // One namespace, defined by the first worker, bound by all.
        durableObjects: {
          KOGNIC_TOKENS: i === 0
            ? "KognicTokenCoordinator"
            : { className: "KognicTokenCoordinator", scriptName: "one" },
        },
        routes: [`${name}.test/*`],
      })),
      {
        outboundService: async (request) => {
          // A slow token endpoint: the whole burst arrives while the first request is out.
          if (request.url.endsWith("/token")) await new Promise((r) => setTimeout(r, 300));
          return answer(request);
        },
      },
    );
    try {
      const burst = () =>
        Promise.all(
          names.flatMap((name) =>
            [1, 2, 3, 4].map(() =>
              mf.dispatchFetch(`http://${name}.test/`).then((r) =>
                r.json() as Promise<
                  { isolate: string; tokenId?: number; error?: string; storeErrors: string[] }
                >
              )
            )
          ),
        );
      const cold = await burst();
      assert.deepEqual(cold.flatMap((a) => (a as { errors?: string[] }).errors ?? []), []);
      assert.equal(new Set(cold.map((a) => a.isolate)).size, 3, "three isolates");
      assert.deepEqual(cold.map((a) => a.tokenId), Array(12).fill(1));
      assert.equal(server.tokenRequests.length, 1, "one token request for the cold burst");
      await new Promise((resolve) => setTimeout(resolve, 1_700));
      const rotated = await burst();
      assert.deepEqual(rotated.map((a) => a.tokenId), Array(12).fill(2));
      assert.equal(server.tokenRequests.length, 2, "one token request for the rotation");
    } finally {
      await mf.dispose();
    }
  },
  { timeout: 60_000 },
);

test(
  "workerd: testServerApp() as a Worker answers the README's Workers example in another Worker",
  async () => {
    const script = await bundleWorker("../../examples/cloudflare_worker.ts");
    const mf = await startWorkers([
      {
        name: "app",
        script,
        routes: ["app.test/*"],
        outboundService: "kognic",
        bindings: {
          KOGNIC_CLIENT_ID: "kognic-test-client",
          KOGNIC_CLIENT_SECRET: "kognic-test-secret",
        },
      },
      {
        name: "kognic",
        script: await bundleWorker("test_server_worker.ts"),
        routes: ["kognic.test/*"],
      },
    ]);
    try {
      const response = await mf.dispatchFetch("http://app.test/");
      assert.equal(response.status, 200);
      const { data } = await response.json() as { data: { name: string }[] };
      assert.deepEqual(data.map((project) => project.name), ["Project A", "Project B"]);
      const refused = await mf.dispatchFetch("http://kognic.test/v1/projects");
      assert.equal(refused.status, 401);
      await refused.body?.cancel();
    } finally {
      await mf.dispose();
    }
  },
  { timeout: 30_000 },
);

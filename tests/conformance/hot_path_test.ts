// The hot path of createAuthFetch (a cached URL for a repeated string, a plain header record
// when the caller sets no headers) must behave exactly like the general path.
import assert from "node:assert/strict";
import process from "node:process";
import { createClient, KognicAuthError } from "../../mod.ts";
import { test } from "../support/harness.ts";
import { API_BASE, setup, thrown } from "../support/fixtures.ts";
import { repoPath, runProgram } from "../support/cli.ts";
import { CANARY_SECRET, createKognicServer, TEST_CLIENT_ID } from "../support/kognic_server.ts";
import { serve } from "../support/serve.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const bearer = (request: { headers: Record<string, string> }) =>
  request.headers.authorization?.replace(/^Bearer /, "");

test("hot path: repeated calls to one path carry the defaults and the current token", async () => {
  const { server, client } = await setup({}, {
    headers: { "X-Workspace-Id": "ws-1", Authorization: "Bearer forged-default" },
  });
  assert.equal((await client.fetch("/v1/whoami")).status, 200);
  server.revoke(server.issuedTokens[0]);
  assert.equal((await client.fetch("/v1/whoami")).status, 200); // a 401, a refresh, a resend
  assert.equal((await client.fetch("/v1/whoami", { headers: { "X-Extra": "1" } })).status, 200);
  assert.deepEqual(server.apiRequests.map((request) => request.url), [
    `${API_BASE}/v1/whoami`,
    `${API_BASE}/v1/whoami`,
    `${API_BASE}/v1/whoami`,
    `${API_BASE}/v1/whoami`,
  ]);
  assert.deepEqual(server.apiRequests.map(bearer), [
    server.issuedTokens[0],
    server.issuedTokens[0],
    server.issuedTokens[1],
    server.issuedTokens[1],
  ]);
  for (const request of server.apiRequests) {
    assert.equal(request.headers["x-workspace-id"], "ws-1");
    assert.equal(request.headers.accept, "application/json");
  }
});

test("hot path: a repeated call is redirected and renewed as the first, with a fresh token, which goes only to its origins", async () => {
  const signed: (string | null)[] = [];
  const { server, client, clock } = await setup({}, {
    fetch: ((input: Request | URL | string, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url === `${API_BASE}/v1/moved`) {
        return Promise.resolve(
          new Response(null, { status: 302, headers: { location: "https://storage.test/blob" } }),
        );
      }
      if (url === "https://storage.test/blob") {
        signed.push(new Headers(init?.headers).get("authorization"));
        return Promise.resolve(new Response("blob"));
      }
      return server.fetch(input, init);
    }) as typeof fetch,
  });
  for (let i = 0; i < 3; i++) {
    const response = await client.fetch("/v1/moved");
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "blob");
  }
  // The token never goes to another origin, on the first call or the later ones.
  assert.deepEqual(signed, [null, null, null]);
  assert.equal((await client.fetch("/v1/whoami")).status, 200);
  assert.equal((await client.fetch("/v1/whoami")).status, 200);
  // A token past its time is not sent: the provider's clock counts, as for getToken.
  clock.advance(24 * 3600_000);
  assert.equal((await client.fetch("/v1/whoami")).status, 200);
  server.revoke(server.issuedTokens.at(-1)!);
  assert.equal((await client.fetch("/v1/whoami")).status, 200); // a 401, a renewal, a resend
  assert.deepEqual(server.apiRequests.map(bearer), [
    server.issuedTokens[0],
    server.issuedTokens[0],
    server.issuedTokens[1],
    server.issuedTokens[1],
    server.issuedTokens[2],
  ]);
});

test("hot path: an insecure URL is refused every time it is asked for", async () => {
  const { server, client } = await setup();
  for (let i = 0; i < 2; i++) {
    const error = await thrown(() => client.fetch("http://app.example.com/v1/whoami"));
    assert.ok(error instanceof KognicAuthError && error.code === "INSECURE_URL");
  }
  assert.equal((await client.fetch("/v1/whoami")).status, 200);
  const error = await thrown(() => client.fetch("http://app.example.com/v1/whoami"));
  assert.ok(error instanceof KognicAuthError && error.code === "INSECURE_URL");
  assert.equal(server.apiRequests.length, 1);
});

test(
  "hot path: the timeout aborts only the request that took too long, never an answered body",
  async () => {
    const served = await serve((request) => {
      const path = new URL(request.url).pathname;
      if (path === "/v1/auth/oauth/token") return server.fetch(request);
      if (path === "/hang") return sleep(5_000).then(() => new Response("late"));
      // The headers and a first chunk at once, the rest only after the request's own deadline
      // and another request's timeout have passed.
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode("whole "));
          await sleep(1_500);
          controller.enqueue(new TextEncoder().encode("body"));
          controller.close();
        },
      });
      return new Response(body);
    });
    const server = createKognicServer();
    try {
      const client = await createClient({
        auth: [TEST_CLIENT_ID, CANARY_SECRET],
        baseUrl: served.url,
        authHost: served.url,
        timeout: 500,
        retry: false,
      });
      const slowBody = await client.fetch("/slow-body");
      const hung = await thrown(() => client.fetch("/hang"));
      assert.ok(hung instanceof KognicAuthError && hung.code === "TIMEOUT", String(hung));
      assert.equal(await slowBody.text(), "whole body");
    } finally {
      await served.close();
    }
  },
  { needs: ["sockets"], timeout: 20_000 },
);

test(
  "hot path: in a burst larger than one shared deadline's list, the timeout aborts exactly the requests that took too long",
  async () => {
    // The hanging requests are answered only when the test ends, so the deadline can be far above
    // what 200 loopback answers take on a loaded machine without making the test slower.
    let release!: () => void;
    const released = new Promise<void>((resolve) => release = resolve);
    const served = await serve((request) => {
      const path = new URL(request.url).pathname;
      if (path === "/v1/auth/oauth/token") return server.fetch(request);
      if (path.startsWith("/hang")) return released.then(() => new Response("late"));
      return new Response(path);
    });
    const server = createKognicServer();
    try {
      const client = await createClient({
        auth: [TEST_CLIENT_ID, CANARY_SECRET],
        baseUrl: served.url,
        authHost: served.url,
        timeout: 5_000,
        retry: false,
      });
      await (await client.fetch("/warm")).text();
      // 200 requests started together (more than one list of a shared deadline), every third hangs.
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          client.fetch(i % 3 ? `/ok${i}` : `/hang${i}`).then(
            async (response) => await response.text(),
            (error) => error,
          )),
      );
      outcomes.forEach((outcome, i) => {
        if (i % 3) assert.equal(outcome, `/ok${i}`);
        else {
          assert.ok(
            outcome instanceof KognicAuthError && outcome.code === "TIMEOUT",
            `request ${i}: ${outcome}`,
          );
        }
      });
    } finally {
      release();
      await served.close();
    }
  },
  { needs: ["sockets"], timeout: 30_000 },
);

test(
  "hot path: requests with the default timeout leave nothing that keeps the program alive",
  async () => {
    const probe = repoPath("tests/support/timer_probe.ts");
    const deno = globalThis.navigator?.userAgent?.startsWith("Deno/");
    const ran = await runProgram(
      process.execPath,
      deno ? ["run", "-A", "--quiet", probe] : [probe],
    );
    assert.equal(ran.stdout, "answered\n", ran.stderr);
    assert.equal(ran.code, 0, ran.stderr);
  },
  { needs: ["subprocess"], timeout: 30_000 },
);

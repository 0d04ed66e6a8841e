import assert from "node:assert/strict";
import * as main from "../../mod.ts";
import { createClient, Credentials, HttpError, KognicAuthError } from "../../mod.ts";
import { KognicClient, TokenProvider } from "../../src/core.ts";
import { edgeClient } from "../../src/edge/client.ts";
import { edgeFetch } from "../../src/edge/mod.ts";
import { detectRuntime } from "../../src/runtime/mod.ts";
import { test } from "../support/harness.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import {
  API_BASE,
  assertNoSecrets,
  AUTH_HOST,
  CANARY_SECRET,
  setup,
  TEST_CLIENT_ID,
  thrown,
} from "../support/fixtures.ts";
import { createKognicServer } from "../support/kognic_server.ts";
import { serve } from "../support/serve.ts";

const bearer = (request: { headers: Record<string, string> }) =>
  request.headers.authorization?.replace(/^Bearer /, "");

test("client: requests carry the bearer token, Accept, User-Agent and the default headers", async () => {
  const { server, client } = await setup({}, {
    organizationId: 42,
    headers: { "X-Workspace-Id": "ws-1" },
    clientName: "my-tool/1.0",
  });
  const response = await client.fetch("/v1/whoami", { headers: { "X-Extra": "yes" } });
  assert.equal(response.status, 200);
  assert.equal((await response.json()).data.clientId, TEST_CLIENT_ID);
  const [request] = server.apiRequests;
  assert.equal(request.url, `${API_BASE}/v1/whoami`);
  assert.equal(bearer(request), server.issuedTokens[0]);
  assert.equal(request.headers.accept, "application/json");
  assert.equal(request.headers["x-organization-id"], "42");
  assert.equal(request.headers["x-workspace-id"], "ws-1");
  assert.equal(request.headers["x-extra"], "yes");
  assert.match(request.headers["user-agent"], /^kognic-auth-js\/\d+\.\d+\.\d+ my-tool\/1\.0$/);
});

test("client: a caller's own header wins over a default, never over Authorization", async () => {
  const { server, client } = await setup({}, { headers: { Accept: "text/csv" } });
  await client.fetch("/v1/echo", {
    headers: { Accept: "application/xml", Authorization: "Bearer forged" },
  });
  assert.equal(server.apiRequests[0].headers.accept, "application/xml");
  assert.equal(bearer(server.apiRequests[0]), server.issuedTokens[0]);
});

test("client: the User-Agent names the runtime and its version", async () => {
  const runtime = await detectRuntime();
  const server = createKognicServer();
  const client = await createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    baseUrl: API_BASE,
    authHost: API_BASE,
    fetch: server.fetch as typeof fetch,
  });
  await client.fetch("/v1/whoami");
  const agent = server.apiRequests[0].headers["user-agent"];
  assert.ok(agent.startsWith("kognic-auth-js/"));
  if (runtime.version) assert.ok(agent.includes(` ${runtime.name}/${runtime.version}`), agent);
});

test("client: a 401 causes one refresh and one resend", async () => {
  const { server, client } = await setup();
  await client.fetch("/v1/whoami");
  server.apiFaults.push({ status: 401, json: { message: "Unauthorized" } });
  const response = await client.fetch("/v1/echo", { method: "POST", body: "payload" });
  assert.equal(response.status, 200);
  assert.equal((await response.json()).data.body, "payload", "the string body was sent again");
  assert.equal(server.tokenRequests.length, 2);
  assert.equal(server.apiRequests.length, 3);
  assert.equal(bearer(server.apiRequests[2]), server.issuedTokens[1]);
});

test("client: a second 401 surfaces as an error", async () => {
  const { server, client, clock } = await setup();
  server.apiFaults.push({ status: 401, json: { message: "Unauthorized" } }, {
    status: 401,
    json: { message: "Still unauthorized" },
  });
  const response = await client.fetch("/v1/whoami");
  assert.equal(response.status, 401);
  assert.equal(server.tokenRequests.length, 2);
  // Past the pause between renewals after a 401.
  clock.advance(10_000);
  server.apiFaults.push({ status: 401, json: { message: "Unauthorized" } }, {
    status: 401,
    json: { message: "Still unauthorized" },
  });
  const error = await thrown(() => client.request("GET", "/v1/whoami?secret=query"));
  assert.ok(error instanceof HttpError);
  assert.equal(error.status, 401);
  assert.equal(error.code, "HTTP_ERROR");
  assert.equal(error.url, `${API_BASE}/v1/whoami`);
  assert.equal(error.message, `GET "${API_BASE}/v1/whoami" answered 401: Still unauthorized`);
  assertNoSecrets(error, [CANARY_SECRET, ...server.issuedTokens]);
});

test("client: a 401 for a token that was already replaced causes no extra token request", async () => {
  const { server, client } = await setup();
  await client.fetch("/v1/whoami");
  server.apiFaults.push({ status: 401 }, { status: 401 });
  const [a, b] = await Promise.all([client.fetch("/v1/whoami"), client.fetch("/v1/whoami")]);
  assert.deepEqual([a.status, b.status], [200, 200]);
  assert.equal(server.tokenRequests.length, 2, "one refresh for two 401s of the same token");
  assert.deepEqual(server.apiRequests.slice(3).map(bearer), [
    server.issuedTokens[1],
    server.issuedTokens[1],
  ]);
});

test("client: a streamed body is not replayed after a 401", async () => {
  const { server, client } = await setup();
  server.apiFaults.push({ status: 401 });
  const body = new Blob(["streamed"]).stream();
  const response = await client.fetch(
    "/v1/echo",
    { method: "POST", body, duplex: "half" } as RequestInit,
  );
  assert.equal(response.status, 401);
  assert.equal(server.apiRequests.length, 1);
});

test("client: a cross-origin redirect never carries the token; a same-origin one does", async () => {
  const { server, client } = await setup();
  const same = await client.fetch("/v1/redirect?to=/v1/echo");
  assert.equal((await same.json()).data.headers.authorization, "[present]");
  const other = await client.fetch("/v1/redirect?to=https://elsewhere.test/v1/echo");
  assert.equal(other.status, 401, "the other origin saw no token");
  const last = server.apiRequests.at(-1)!;
  assert.equal(last.url, "https://elsewhere.test/v1/echo");
  assert.equal(last.headers.authorization, undefined);
});

test("client: a 303 after a POST turns into a GET without the body", async () => {
  const { client } = await setup();
  const response = await client.fetch("/v1/redirect?to=/v1/echo&status=303", {
    method: "POST",
    body: "x",
    headers: { "Content-Type": "text/plain" },
  });
  const echoed = (await response.json()).data;
  assert.equal(echoed.method, "GET");
  assert.equal(echoed.body, "");
  // And stays one through a later 307, which keeps the method it gets: GET.
  const to = encodeURIComponent("/v1/redirect?to=/v1/echo&status=307");
  const twice = await client.fetch(`/v1/redirect?to=${to}&status=303`, {
    method: "POST",
    body: "x",
    headers: { "Content-Type": "text/plain" },
  });
  const last = (await twice.json()).data;
  assert.deepEqual([last.method, last.body, last.headers["content-type"]], ["GET", "", undefined]);
});

test("client: the token is never sent over plain http to a host that is not loopback", async () => {
  const { server, client } = await setup();
  const error = await thrown(() => client.fetch("http://app.example.com/v1/whoami"));
  assert.ok(error instanceof KognicAuthError && error.code === "INSECURE_URL");
  assert.equal(server.apiRequests.length, 0);
});

test("client: request sends JSON bodies and refuses a top-level string", async () => {
  const { client } = await setup();
  const response = await client.request("POST", "/v1/echo", { json: { name: "ä", list: [1, 2] } });
  const echoed = (await response.json()).data;
  assert.equal(echoed.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(echoed.body), { name: "ä", list: [1, 2] });
  const error = await thrown(() => client.request("POST", "/v1/echo", { json: "text" }));
  assert.equal((error as KognicAuthError).code, "INVALID_OPTIONS");
});

test("client: works over real loopback sockets with the runtime's own fetch", async () => {
  const server = createKognicServer();
  const served = await serve(server.fetch);
  try {
    const client = await createClient({
      auth: [TEST_CLIENT_ID, CANARY_SECRET],
      baseUrl: served.url,
      authHost: served.url,
    });
    const first = await client.request("GET", "/v1/whoami");
    assert.equal((await first.json()).data.clientId, TEST_CLIENT_ID);
    const second = await client.request("GET", "/v1/items");
    assert.equal((await second.json()).data.length, 2);
    assert.equal(server.tokenRequests.length, 1);
    assert.equal(
      server.tokenRequests[0].body,
      `grant_type=client_credentials&client_id=${TEST_CLIENT_ID}&client_secret=${CANARY_SECRET}`,
    );
  } finally {
    await served.close();
  }
}, { needs: ["sockets"] });

test("client: a 302 keeps a PUT and its body; a redirect loop ends with TOO_MANY_REDIRECTS, not retried", async () => {
  const { server, client } = await setup();
  const put = await client.fetch("/v1/redirect?to=/v1/echo&status=302", {
    method: "PUT",
    body: "payload",
  });
  const echoed = (await put.json()).data;
  assert.deepEqual([echoed.method, echoed.body], ["PUT", "payload"]);
  const post = await client.fetch("/v1/redirect?to=/v1/echo&status=302", {
    method: "POST",
    body: "x",
  });
  assert.equal((await post.json()).data.method, "GET");
  const before = server.apiRequests.length;
  const loop = "/v1/redirect?to=" + encodeURIComponent("/v1/redirect?to=/v1/whoami");
  server.apiFaults.push(
    ...Array.from({ length: 30 }, () => ({ status: 302, headers: { location: loop } })),
  );
  const error = await thrown(() => client.fetch(loop));
  assert.equal((error as KognicAuthError).code, "TOO_MANY_REDIRECTS");
  assert.equal(server.apiRequests.length - before, 21, "21 requests: the first and 20 redirects");
});

test("client: KognicClient is a class of @kognic/auth/core only, and every client is one", async () => {
  // The main entry exports the type alone: createClient is the way to a client there.
  assert.equal("KognicClient" in main, false);
  const server = createKognicServer();
  const fetcher = server.fetch as typeof fetch;
  const provider = new TokenProvider({
    credentials: new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
    authHost: AUTH_HOST,
    fetch: fetcher,
  });
  const own = new KognicClient(provider, { baseUrl: API_BASE, fetch: fetcher });
  assert.equal((await own.get<{ clientId: string }>("/v1/whoami")).clientId, TEST_CLIENT_ID);
  assert.equal(own.provider, provider);
  assert.ok(own instanceof KognicClient);
  const created = await createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    runtime: memoryRuntime(),
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    fetch: fetcher,
  });
  assert.ok(created instanceof KognicClient);
  const env = { KOGNIC_CLIENT_ID: TEST_CLIENT_ID, KOGNIC_CLIENT_SECRET: CANARY_SECRET };
  assert.ok(edgeClient(env, { baseUrl: API_BASE, fetch: fetcher }) instanceof KognicClient);
  assert.equal({} instanceof KognicClient, false);
  assert.equal(provider instanceof KognicClient, false);
  // A class that extends it keeps the ordinary check.
  class Mine extends KognicClient {}
  assert.equal(created instanceof Mine, false);
  assert.ok(new Mine(provider, { baseUrl: API_BASE, fetch: fetcher }) instanceof Mine);
});

test("client: every client's provider is a TokenProvider of @kognic/auth/core", async () => {
  const server = createKognicServer();
  const fetcher = server.fetch as typeof fetch;
  const options = { baseUrl: API_BASE, authHost: AUTH_HOST, fetch: fetcher };
  const env = { KOGNIC_CLIENT_ID: TEST_CLIENT_ID, KOGNIC_CLIENT_SECRET: CANARY_SECRET };
  const created = await createClient({
    ...options,
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    runtime: memoryRuntime(),
  });
  assert.ok(created.provider instanceof TokenProvider);
  assert.ok(edgeClient(env, options).provider instanceof TokenProvider);
  assert.ok(edgeFetch(env, options).provider instanceof TokenProvider);
  const own = new TokenProvider({
    credentials: new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
    authHost: AUTH_HOST,
    fetch: fetcher,
  });
  assert.ok(own instanceof TokenProvider);
  assert.equal({} instanceof TokenProvider, false);
  assert.equal(created instanceof TokenProvider, false);
  // A class that extends it keeps the ordinary check.
  class Mine extends TokenProvider {}
  assert.equal(created.provider instanceof Mine, false);
  assert.equal(own instanceof Mine, false);
  const credentials = new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET });
  assert.ok(new Mine({ credentials, authHost: AUTH_HOST, fetch: fetcher }) instanceof Mine);
});

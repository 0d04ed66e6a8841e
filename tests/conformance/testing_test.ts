// `@kognic/auth/testing`, the public Kognic test server, through its public entry: on a loopback
// port (startTestServer), in-process (createTestServer, testServerApp) and from a shell
// (kognic-test-server), with its faults, token lifetime, refresh tokens and request log.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createClient, Credentials, KognicAuthError } from "../../mod.ts";
import { requestToken } from "../../src/core.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import {
  createTestServer,
  DEFAULT_TEST_CLIENT_ID,
  DEFAULT_TEST_CLIENT_SECRET,
  invalidClient,
  rateLimited,
  serverError,
  slowAnswer,
  startTestServer,
  testServerApp,
} from "../../src/testing/mod.ts";
import { test } from "../support/harness.ts";
import { entryCommand, repoPath } from "../support/cli.ts";

const BASE = "http://127.0.0.1:9";

/** A client that reaches an in-process server through its fetch. */
function inProcess(server: ReturnType<typeof createTestServer>, extra: object = {}) {
  return createClient({
    auth: [server.clientId, server.clientSecret],
    baseUrl: BASE,
    authHost: BASE,
    fetch: server.fetch,
    runtime: memoryRuntime(),
    retry: { baseDelay: 1, maxDelay: 5 },
    ...extra,
  });
}

test(
  "testing: startTestServer serves createClient on loopback; close() frees the port",
  async () => {
    const kognic = await startTestServer();
    let closed = false;
    try {
      assert.match(kognic.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(kognic.clientOptions, {
        auth: [DEFAULT_TEST_CLIENT_ID, DEFAULT_TEST_CLIENT_SECRET],
        baseUrl: kognic.url,
        authHost: kognic.url,
      });
      const client = await createClient({ ...kognic.clientOptions, runtime: memoryRuntime() });
      const projects = await client.get<{ id: number; name: string }[]>("/v1/projects");
      assert.deepEqual(projects.map((p) => p.id), [1, 2]);
      assert.equal((await client.get<{ name: string }>("/v1/projects/2")).name, "Project B");
      assert.equal(kognic.tokenRequests.length, 1);
      assert.equal(kognic.tokenRequests[0].path, "/v1/auth/oauth/token");
      assert.deepEqual(kognic.apiRequests.map((r) => `${r.method} ${r.path}`), [
        "GET /v1/projects",
        "GET /v1/projects/2",
      ]);
      await kognic.close();
      closed = true;
      await assert.rejects(fetch(`${kognic.url}/v1/projects`));
    } finally {
      if (!closed) await kognic.close();
    }
  },
  { needs: ["sockets"] },
);

test("testing: env and the export lines hold the credentials and the URL", async () => {
  const kognic = await startTestServer({ clientId: "my-id", clientSecret: "it's secret" });
  try {
    assert.deepEqual(kognic.env, {
      KOGNIC_CLIENT_ID: "my-id",
      KOGNIC_CLIENT_SECRET: "it's secret",
      KOGNIC_TEST_SERVER_URL: kognic.url,
    });
    assert.equal(
      kognic.exports,
      `export KOGNIC_CLIENT_ID=my-id\nexport KOGNIC_CLIENT_SECRET='it'\\''s secret'\n` +
        `export KOGNIC_TEST_SERVER_URL=${kognic.url}`,
    );
    // A program that reads its credentials from the environment, as createClient() does.
    const client = await createClient({
      baseUrl: kognic.env.KOGNIC_TEST_SERVER_URL,
      authHost: kognic.env.KOGNIC_TEST_SERVER_URL,
      runtime: memoryRuntime({ env: kognic.env }),
    });
    assert.equal((await client.get<unknown[]>("/v1/projects")).length, 2);
  } finally {
    await kognic.close();
  }
}, { needs: ["sockets"] });

test("testing: /v1/projects lists, creates and finds projects; reset() restores them", async () => {
  const server = createTestServer({ projects: [{ id: 7, name: "Seven" }] });
  const client = await inProcess(server);
  assert.deepEqual(await client.get("/v1/projects/7"), { id: 7, name: "Seven" });
  const created = await client.json("POST", "/v1/projects", { json: { name: "New" } });
  assert.deepEqual(created, { id: 8, name: "New" });
  assert.equal((await client.get<unknown[]>("/v1/projects")).length, 2);
  const missing = await client.request("GET", "/v1/projects/99").catch((error) => error);
  assert.equal(missing.code, "HTTP_ERROR");
  assert.equal(missing.status, 404);
  const unauthenticated = await server.fetch(`${BASE}/v1/projects`);
  assert.equal(unauthenticated.status, 401);
  await unauthenticated.body?.cancel();
  server.reset();
  assert.equal(server.apiRequests.length, 0);
  const again = await inProcess(server, { scopes: ["api:read"] });
  assert.deepEqual(await again.get("/v1/projects"), [{ id: 7, name: "Seven" }]);
});

test("testing: token lifetime and refresh tokens", async () => {
  const server = createTestServer({ tokenLifetime: 90 });
  const options = { tokenUrl: `${BASE}/v1/auth/oauth/token`, fetch: server.fetch };
  const credentials = new Credentials({
    clientId: server.clientId,
    clientSecret: server.clientSecret,
  });
  const first = await requestToken(credentials, options);
  assert.equal(first.expires_in, 90);
  assert.ok(first.refresh_token);
  server.tokenLifetime = 30;
  const renewed = await requestToken(credentials, {
    ...options,
    refreshToken: first.refresh_token,
  });
  assert.equal(renewed.expires_in, 30);
  assert.notEqual(renewed.access_token, first.access_token);
  assert.match(server.tokenRequests[1].body, /grant_type=refresh_token/);
  // A refresh token is accepted once.
  const spent = await requestToken(credentials, { ...options, refreshToken: first.refresh_token })
    .catch((error: unknown) => error);
  assert.ok(spent instanceof KognicAuthError);
});

test("testing: invalidClient() is refused once, without a retry", async () => {
  const server = createTestServer();
  server.tokenFaults.push(invalidClient());
  const client = await inProcess(server);
  const error = await client.get("/v1/projects").catch((error) => error);
  assert.ok(error instanceof KognicAuthError);
  assert.equal(error.code, "TOKEN_OAUTH_ERROR");
  assert.match(error.message, /invalid_client/);
  assert.equal(server.tokenRequests.length, 1);
  // A wrong secret gets the same answer from the server itself.
  const wrong = await inProcess(server, { auth: [server.clientId, "wrong"] });
  const refused = await wrong.get("/v1/projects").catch((error: KognicAuthError) => error);
  assert.equal((refused as KognicAuthError).code, "TOKEN_OAUTH_ERROR");
});

test("testing: rateLimited() sends Retry-After, serverError() a 5xx; both are retried", async () => {
  const server = createTestServer();
  server.tokenFaults.push(rateLimited(1), serverError(502));
  server.apiFaults.push(serverError());
  const client = await inProcess(server);
  const started = Date.now();
  assert.equal((await client.get<unknown[]>("/v1/projects")).length, 2);
  assert.ok(Date.now() - started >= 900, "waited for Retry-After");
  assert.equal(server.tokenRequests.length, 3);
  assert.equal(server.apiRequests.length, 2);
  const limited = await server.fetch(`${BASE}/v1/projects`, { headers: {} }).then(() => {
    server.apiFaults.push(rateLimited(7));
    return server.fetch(`${BASE}/v1/projects`);
  });
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "7");
  await limited.body?.cancel();
});

test("testing: slowAnswer() delays the normal answer", async () => {
  const server = createTestServer();
  server.tokenFaults.push(slowAnswer(300));
  const client = await inProcess(server);
  const started = Date.now();
  assert.equal((await client.get<unknown[]>("/v1/projects")).length, 2);
  assert.ok(Date.now() - started >= 250);
  assert.equal(server.tokenRequests.length, 1);
});

test("testing: testServerApp() is a Hono app that answers the token endpoint and the API", async () => {
  const app = testServerApp({ clientId: "worker", clientSecret: "worker-secret" });
  const token = await app.fetch(
    new Request(`${BASE}/v1/auth/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials&client_id=worker&client_secret=worker-secret",
    }),
  );
  assert.equal(token.status, 200);
  const { access_token } = await token.json() as { access_token: string };
  const projects = await app.fetch(
    new Request(`${BASE}/v1/projects`, { headers: { authorization: `Bearer ${access_token}` } }),
  );
  assert.equal(((await projects.json()) as { data: unknown[] }).data.length, 2);
});

test("testing: kognic-test-server prints the export lines and serves until stopped", async () => {
  const [command, args] = entryCommand(repoPath("src/testing/cli.ts"));
  const child = spawn(command, [...args, "--port", "0", "--token-lifetime", "120"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        if (stdout.split("\n").length > 3) resolve();
      });
      child.once("exit", (code) => reject(new Error(`Exited with ${code}: ${stderr}`)));
    });
    const env = Object.fromEntries(
      stdout.trim().split("\n").map((line) => /^export (\w+)=(.*)$/.exec(line)!.slice(1)),
    );
    assert.deepEqual(Object.keys(env), [
      "KOGNIC_CLIENT_ID",
      "KOGNIC_CLIENT_SECRET",
      "KOGNIC_TEST_SERVER_URL",
    ]);
    const client = await createClient({
      baseUrl: env.KOGNIC_TEST_SERVER_URL,
      authHost: env.KOGNIC_TEST_SERVER_URL,
      runtime: memoryRuntime({ env }),
    });
    const token = await client.provider.getAccessToken();
    assert.ok(token.expiresAt! - Date.now() <= 120_000);
    assert.equal((await client.get<unknown[]>("/v1/projects")).length, 2);
    for (let i = 0; i < 50 && !stderr.includes("GET /v1/projects 200"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.match(stderr, /POST \/v1\/auth\/oauth\/token 200\nGET \/v1\/projects 200/);
  } finally {
    child.kill();
  }
}, { needs: ["subprocess", "sockets"], timeout: 30_000 });

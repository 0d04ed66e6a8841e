import assert from "node:assert/strict";
import { Credentials, TokenError } from "../../mod.ts";
import { requestToken, TokenProvider } from "../../src/core.ts";
import { FakeClock } from "../support/clock.ts";
import { test } from "../support/harness.ts";
import {
  assertNoSecrets,
  AUTH_HOST,
  CANARY_SECRET,
  setup,
  TEST_CLIENT_ID,
  thrown,
} from "../support/fixtures.ts";
import { createKognicServer } from "../support/kognic_server.ts";

const TOKEN_URL = `${AUTH_HOST}/v1/auth/oauth/token`;
const EXPECTED =
  `grant_type=client_credentials&client_id=${TEST_CLIENT_ID}&client_secret=${CANARY_SECRET}`;

test("token endpoint: the request equals SPEC §4 byte for byte, without scopes", async () => {
  const { server, client } = await setup();
  await client.provider.getToken();
  const [request] = server.tokenRequests;
  assert.equal(request.method, "POST");
  assert.equal(request.url, TOKEN_URL);
  assert.equal(request.body, EXPECTED);
  assert.equal(
    request.headers["content-type"],
    "application/x-www-form-urlencoded;charset=UTF-8",
  );
  assert.equal(request.headers.authorization, undefined);
  assert.match(request.headers["user-agent"], /^kognic-auth-js\/\d+\.\d+\.\d+/);
});

test("token endpoint: the request equals SPEC §4 byte for byte, with scopes", async () => {
  const { server, client } = await setup({}, { scopes: ["api:read", "api:write"] });
  await client.provider.getToken();
  assert.equal(
    server.tokenRequests[0].body,
    `grant_type=client_credentials&scope=api%3Aread+api%3Awrite&client_id=${TEST_CLIENT_ID}` +
      `&client_secret=${CANARY_SECRET}`,
  );
});

test("token endpoint: form encoding matches Python's quote_plus for every special character", async () => {
  const secret = "a~b*c!d'e(f)g h/é+&=";
  const server = createKognicServer({ clientId: "id", clientSecret: secret });
  const token = await requestToken(new Credentials({ clientId: "id", clientSecret: secret }), {
    tokenUrl: TOKEN_URL,
    fetch: server.fetch as typeof fetch,
    scopes: ["api:read", "api:write"],
  });
  assert.equal(
    server.tokenRequests[0].body,
    "grant_type=client_credentials&scope=api%3Aread+api%3Awrite&client_id=id&client_secret=a~b%2Ac%21d%27e%28f%29g+h%2F%C3%A9%2B%26%3D",
  );
  assert.equal(token.access_token, server.issuedTokens[0], "the server decoded the same secret");
});

test("token endpoint: a secret that is not well-formed text is refused by the server as any wrong secret, not by a URIError", async () => {
  const server = createKognicServer({ clientId: "id", clientSecret: "right" });
  const error = await thrown(() =>
    requestToken(new Credentials({ clientId: "id", clientSecret: "a\ud800b" }), {
      tokenUrl: TOKEN_URL,
      fetch: server.fetch as typeof fetch,
      retries: 0,
    })
  );
  assert.ok(error instanceof TokenError, String(error));
  assert.equal(
    server.tokenRequests[0].body,
    "grant_type=client_credentials&client_id=id&client_secret=a%EF%BF%BDb",
  );
});

test("token endpoint: client_secret_basic sends the RFC 6749 Basic header and no secret in the body", async () => {
  const { server, client } = await setup({}, { authMethod: "client_secret_basic" });
  await client.provider.getToken();
  const [request] = server.tokenRequests;
  assert.equal(request.body, "grant_type=client_credentials");
  assert.equal(
    request.headers.authorization,
    `Basic ${btoa(`${TEST_CLIENT_ID}:${CANARY_SECRET}`)}`,
  );
});

test("token endpoint: expires_in as a numeric string is accepted as a number", async () => {
  const server = createKognicServer();
  server.expiresIn = (lifetime) => String(lifetime);
  const token = await requestToken(
    new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
    {
      tokenUrl: TOKEN_URL,
      fetch: server.fetch as typeof fetch,
    },
  );
  assert.equal(token.expires_in, 3600);
  assert.equal(token.token_type, "Bearer");
  assert.equal(typeof token.refresh_token, "string");
});

test("token endpoint: 429 is retried after Retry-After in seconds and as an HTTP date", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  server.tokenFaults.push(
    { status: 429, headers: { "retry-after": "3" } },
    { status: 429, headers: { "retry-after": new Date(clock.now() + 3000 + 7000).toUTCString() } },
  );
  const token = await requestToken(
    new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
    {
      tokenUrl: TOKEN_URL,
      fetch: server.fetch as typeof fetch,
      sleep: (ms, signal) => clock.sleep(ms, signal),
      now: () => clock.now(),
    },
  );
  assert.ok(token.access_token);
  assert.deepEqual(clock.sleeps, [3000, 7000]);
  assert.equal(server.tokenRequests.length, 3);
});

test("token endpoint: a Retry-After beyond the cap is not waited for", async () => {
  const clock = new FakeClock();
  const { server, client } = await setup({}, { clock });
  server.tokenFaults.push({ status: 429, headers: { "retry-after": "3600" } });
  const error = await thrown(() => client.provider.getToken());
  assert.ok(error instanceof TokenError && error.code === "TOKEN_RATE_LIMITED");
  assert.equal(error.retryAfter, 3_600_000);
  assert.deepEqual(clock.sleeps, []);
  assert.equal(server.tokenRequests.length, 1);
});

test("token endpoint: an abort during the Retry-After wait ends the call", async () => {
  const server = createKognicServer();
  server.tokenFaults.push({ status: 429, headers: { "retry-after": "5" } });
  const controller = new AbortController();
  const started = Date.now();
  const pending = requestToken(
    new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
    {
      tokenUrl: TOKEN_URL,
      fetch: server.fetch as typeof fetch,
      signal: controller.signal,
    },
  );
  setTimeout(() => controller.abort(new Error("stop")), 20);
  const error = await thrown(() => pending);
  assert.equal((error as Error).message, "stop");
  assert.ok(Date.now() - started < 2000);
});

test("token endpoint: an abort during a request aborts that request and ends the call, without a retry", async () => {
  const controller = new AbortController();
  const seen: AbortSignal[] = [];
  // A token endpoint that never answers: each request waits for its signal.
  const hanging = ((_input: unknown, init?: RequestInit) => {
    const signal = init!.signal!;
    seen.push(signal);
    return new Promise<Response>((_, reject) =>
      signal.addEventListener("abort", () => reject(signal.reason), { once: true })
    );
  }) as typeof fetch;
  const pending = requestToken(
    new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
    { tokenUrl: TOKEN_URL, fetch: hanging, signal: controller.signal, timeout: 0 },
  );
  setTimeout(() => controller.abort(new Error("stop")), 20);
  const error = await thrown(() => pending);
  assert.equal((error as Error).message, "stop");
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(seen.length, 1);
  assert.equal(seen[0].aborted, true);
  // Aborted before it starts: no request at all.
  const again = await thrown(() =>
    requestToken(
      new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
      { tokenUrl: TOKEN_URL, fetch: hanging, signal: controller.signal },
    )
  );
  assert.equal((again as Error).message, "stop");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(seen.length, 1);
});

test("token endpoint: plain http is allowed for loopback hosts only, unless allowed explicitly", async () => {
  const server = createKognicServer();
  const credentials = new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET });
  const fetcher = server.fetch as typeof fetch;
  for (
    const host of [
      "http://localhost:1",
      "http://127.0.0.1:1",
      "http://[::1]:1",
      "http://auth.localhost",
    ]
  ) {
    await requestToken(credentials, { tokenUrl: `${host}/v1/auth/oauth/token`, fetch: fetcher });
  }
  const error = await thrown(() =>
    requestToken(credentials, { tokenUrl: "http://auth.example.com/t", fetch: fetcher })
  );
  assert.equal((error as TokenError).code, "INSECURE_URL");
  const allowed = await requestToken(credentials, {
    tokenUrl: "http://auth.example.com/v1/auth/oauth/token",
    fetch: fetcher,
    allowInsecureHttp: true,
  });
  assert.equal(allowed.access_token, server.issuedTokens[4]);
  assert.equal(server.tokenRequests.length, 5);
});

test("token endpoint: a body larger than 64 KiB is not read to the end", async () => {
  const { server, client } = await setup();
  server.tokenFaults.push({
    status: 200,
    // A valid token response, only too long: read to its end it would be accepted.
    body: `{"access_token": "abc", "token_type": "Bearer", "pad": "${"x".repeat(200_000)}"}`,
    headers: { "content-type": "application/json" },
  });
  const error = await thrown(() => client.provider.getToken());
  assert.equal((error as TokenError).code, "TOKEN_RESPONSE_INVALID");
});

test("token endpoint: an access token an HTTP header cannot carry is refused without quoting it", async () => {
  const server = createKognicServer();
  const odd = `${CANARY_SECRET}-token\nwith a line break`;
  server.tokenFaults.push({ status: 200, json: { access_token: odd, token_type: "Bearer" } });
  const error = await thrown(() =>
    requestToken(new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: "s3cr3t-other" }), {
      tokenUrl: TOKEN_URL,
      fetch: server.fetch as typeof fetch,
    })
  );
  assert.equal((error as TokenError).code, "TOKEN_RESPONSE_INVALID");
  assert.match((error as Error).message, /"access_token" with characters an HTTP header/);
  assertNoSecrets(error);
  // The same token from a store is not taken: the provider asks for a new one.
  const clock = new FakeClock();
  const fresh = createKognicServer({ now: () => clock.now() });
  const stored = { access_token: odd, token_type: "Bearer", expires_at: clock.now() / 1000 + 3600 };
  const provider = new TokenProvider({
    credentials: new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
    authHost: AUTH_HOST,
    fetch: fresh.fetch as typeof fetch,
    clock,
    store: { load: () => Promise.resolve(stored), save: () => Promise.resolve() },
  });
  assert.equal(await provider.getToken(), fresh.issuedTokens[0]);
});

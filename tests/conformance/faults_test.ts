// Faults at the token endpoint and the API: every call either succeeds within its deadline or
// fails with a specific error of this library; none hangs.
import assert from "node:assert/strict";
import { createClient, Credentials, KognicAuthError, TokenError } from "../../mod.ts";
import { requestToken } from "../../src/core.ts";
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
import { createKognicServer, type Fault } from "../support/kognic_server.ts";
import { rawServer } from "../support/raw_server.ts";

const credentials = new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET });
const TOKEN_URL = `${AUTH_HOST}/v1/auth/oauth/token`;

test("faults: a burst of 500, 502 and 503 at the token endpoint is retried with backoff", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  server.tokenFaults.push({ status: 502, body: "bad gateway" }, {
    status: 503,
    headers: { "retry-after": "2" },
  });
  const token = await requestToken(credentials, {
    tokenUrl: TOKEN_URL,
    fetch: server.fetch as typeof fetch,
    sleep: (ms, signal) => clock.sleep(ms, signal),
    now: () => clock.now(),
    random: () => 0.5,
  });
  assert.equal(token.access_token, server.issuedTokens[0]);
  assert.equal(server.tokenRequests.length, 3);
  assert.equal(clock.sleeps[0], 125, "full jitter: half of the first backoff's 250 ms");
  assert.equal(clock.sleeps[1], 2000, "Retry-After wins over the backoff");
});

test("faults: a token endpoint that never answers fails with TIMEOUT, not a hang", async () => {
  const server = createKognicServer();
  server.tokenFaults.push({ delayMs: 60_000 });
  const started = Date.now();
  const error = await thrown(() =>
    requestToken(credentials, {
      tokenUrl: TOKEN_URL,
      fetch: server.fetch as typeof fetch,
      timeout: 50,
    })
  );
  assert.ok(error instanceof TokenError && error.code === "TIMEOUT", String(error));
  assert.match(error.message, /did not answer within 50 ms/);
  assert.ok(Date.now() - started < 5000);
});

test(
  "faults: every token endpoint answer cut off, reset or never finished gives a specific error",
  async () => {
    const head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n";
    const behaviours: Record<string, (socket: import("node:net").Socket) => void> = {
      "reset before any answer": (socket) => socket.destroy(),
      "body cut off mid-way": (socket) => socket.end(`${head}{"access_token": "abc`),
      "body that never finishes": (socket) => socket.write(`${head}{"access_token": "abc`),
      "truncated JSON with a matching length": (socket) =>
        socket.end(
          'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"access_t',
        ),
    };
    for (const [name, behave] of Object.entries(behaviours)) {
      const raw = await rawServer((socket) => behave(socket));
      try {
        const started = Date.now();
        const error = await thrown(() =>
          requestToken(credentials, {
            tokenUrl: `${raw.url}/v1/auth/oauth/token`,
            timeout: 300,
            retries: 1,
            sleep: () => Promise.resolve(),
          })
        );
        assert.ok(error instanceof TokenError, `${name}: ${error}`);
        assert.ok(
          ["TOKEN_REQUEST_FAILED", "TOKEN_RESPONSE_INVALID", "TIMEOUT"].includes(error.code),
          `${name}: ${error.code}`,
        );
        assert.ok(Date.now() - started < 5000, `${name} took too long`);
        assertNoSecrets(error);
      } finally {
        await raw.close();
      }
    }
  },
  { needs: ["sockets"] },
);

test("faults: an API connection reset before the answer is retried for a GET", async () => {
  const kognic = createKognicServer();
  let resets = 1;
  let apiAttempts = 0;
  const raw = await rawServer(async (socket, head, body) => {
    const [line] = head.split("\r\n");
    const [method, path] = line.split(" ");
    // Only the API call is reset (the token request goes through untouched).
    if (method === "GET" && path === "/v1/whoami") {
      apiAttempts++;
      if (resets-- > 0) return socket.destroy();
    }
    const headers = Object.fromEntries(
      head.split("\r\n").slice(1).filter(Boolean).map((
        h,
      ) => [h.slice(0, h.indexOf(":")), h.slice(h.indexOf(":") + 1).trim()]),
    );
    const response = await kognic.fetch(
      new Request(`http://127.0.0.1${path}`, { method, headers, body: body || undefined }),
    );
    const text = await response.text();
    socket.end(
      `HTTP/1.1 ${response.status} OK\r\nContent-Type: application/json\r\nContent-Length: ${
        new TextEncoder().encode(text).length
      }\r\nConnection: close\r\n\r\n${text}`,
    );
  });
  try {
    const client = await createClient({
      auth: [TEST_CLIENT_ID, CANARY_SECRET],
      baseUrl: raw.url,
      authHost: raw.url,
      clock: new FakeClock(),
    });
    const response = await client.request("GET", "/v1/whoami");
    assert.equal((await response.json()).data.clientId, TEST_CLIENT_ID);
    assert.equal(apiAttempts, 2, "the reset GET was sent once more");
    assert.equal(kognic.tokenRequests.length, 1);
  } finally {
    await raw.close();
  }
}, { needs: ["sockets"] });

test("faults: 300 mixed calls against a faulty server all settle, each with a value or a library error", async () => {
  const { server, client } = await setup({}, {
    retry: { statuses: [429, 502, 503, 504], attempts: 3 },
  });
  const faults: Fault[] = [
    { status: 500, json: { message: "boom" } },
    { status: 502 },
    { status: 503, headers: { "retry-after": "1" } },
    { status: 429, headers: { "retry-after": "0" } },
    { status: 200, body: "{not json", headers: { "content-type": "application/json" } },
    { status: 401 },
  ];
  for (let i = 0; i < 300; i++) if (i % 3 === 0) server.apiFaults.push(faults[i % faults.length]);
  let started = 0;
  let settled = 0;
  const outcomes = await Promise.allSettled(
    Array.from({ length: 300 }, async () => {
      started++;
      try {
        return await client.get("/v1/items");
      } finally {
        settled++;
      }
    }),
  );
  assert.equal(started, 300);
  assert.equal(settled, 300);
  for (const outcome of outcomes) {
    if (outcome.status === "rejected") {
      assert.ok(outcome.reason instanceof KognicAuthError, String(outcome.reason));
      assertNoSecrets(outcome.reason, [CANARY_SECRET, ...server.issuedTokens]);
    }
  }
  assert.ok(outcomes.filter((o) => o.status === "fulfilled").length >= 200);
});

test("faults: a proxy that could not be reached is retried like a failed connection, for tokens and API calls", async () => {
  const server = createKognicServer();
  let failures = 2;
  const flaky: typeof fetch = (input, init) => {
    if (failures-- > 0) {
      return Promise.reject(
        new KognicAuthError("PROXY_UNREACHABLE", 'Cannot reach proxy "p:3128"'),
      );
    }
    return server.fetch(input as Request | URL | string, init);
  };
  const token = await requestToken(credentials, {
    tokenUrl: TOKEN_URL,
    fetch: flaky,
    sleep: () => Promise.resolve(),
  });
  assert.equal(token.access_token, server.issuedTokens[0]);
  failures = 1;
  const client = await createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    baseUrl: AUTH_HOST,
    authHost: AUTH_HOST,
    fetch: flaky,
    clock: new FakeClock(),
  });
  assert.equal((await client.get<{ clientId: string }>("/v1/whoami")).clientId, TEST_CLIENT_ID);
  const refused: typeof fetch = () =>
    Promise.reject(new KognicAuthError("PROXY_INVALID", "bad proxy URL"));
  const error = await thrown(() =>
    requestToken(credentials, { tokenUrl: TOKEN_URL, fetch: refused })
  );
  assert.equal((error as KognicAuthError).code, "PROXY_INVALID", "a refusal is not retried");
});

test("faults: a refresh token answered 401 without an OAuth body falls back to client credentials", async () => {
  const { createKognicServer: make } = await import("../support/kognic_server.ts");
  const clock = new FakeClock();
  const server = make({ now: () => clock.now() });
  const { TokenProvider } = await import("../../src/core.ts");
  const provider = new TokenProvider({
    credentials,
    authHost: AUTH_HOST,
    fetch: server.fetch as typeof fetch,
    clock,
  });
  await provider.getToken();
  clock.advance(3600_000);
  server.tokenFaults.push({
    status: 401,
    body: "<html>Unauthorized</html>",
    headers: { "content-type": "text/html" },
  });
  assert.equal(await provider.getToken(), server.issuedTokens[1]);
  const grants = server.tokenRequests.map((r) => new URLSearchParams(r.body).get("grant_type"));
  assert.deepEqual(grants, ["client_credentials", "refresh_token", "client_credentials"]);
});

test("faults: an OAuth error field that echoes the secret is redacted too", async () => {
  const server = createKognicServer();
  server.tokenFaults.push({ status: 400, json: { error: `bad_${CANARY_SECRET}` } });
  const error = await thrown(() =>
    requestToken(credentials, { tokenUrl: TOKEN_URL, fetch: server.fetch as typeof fetch })
  );
  assert.equal((error as TokenError).oauthError, "bad_[REDACTED]");
  assertNoSecrets(error);
});

test("faults: a secret echoed back in any URL encoding is redacted", async () => {
  const server = createKognicServer({ clientSecret: `${CANARY_SECRET} /!'` });
  const odd = new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: `${CANARY_SECRET} /!'` });
  const forms = [
    encodeURIComponent(odd.clientSecret), // %20 for spaces, ! and ' as they are
    new URLSearchParams({ s: odd.clientSecret }).toString().slice(2), // + for spaces
  ];
  for (const form of forms) {
    server.tokenFaults.push({
      status: 400,
      json: { error: "invalid_client", error_description: `unknown secret ${form}` },
    });
    const error = await thrown(() =>
      requestToken(odd, { tokenUrl: TOKEN_URL, fetch: server.fetch as typeof fetch })
    );
    assert.match((error as Error).message, /unknown secret \[REDACTED\]/);
    assertNoSecrets(error, [CANARY_SECRET, ...forms]);
  }
});

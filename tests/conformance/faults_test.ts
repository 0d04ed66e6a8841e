// Faults at the token endpoint and the API: every call either succeeds within its deadline or
// fails with a specific error of this library; none hangs.
import assert from "node:assert/strict";
import { createClient, Credentials, KognicAuthError, requestToken, TokenError } from "../../mod.ts";
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
  });
  assert.equal(token.access_token, server.issuedTokens[0]);
  assert.equal(server.tokenRequests.length, 3);
  assert.ok(clock.sleeps[0] >= 125 && clock.sleeps[0] <= 250, `first backoff ${clock.sleeps[0]}`);
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
  const raw = await rawServer(async (socket, head, body) => {
    if (resets-- > 0) return socket.destroy();
    const [line] = head.split("\r\n");
    const [method, path] = line.split(" ");
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
    assert.ok(raw.connections() >= 3, "the reset token request was retried");
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

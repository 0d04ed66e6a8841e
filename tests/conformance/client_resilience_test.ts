// The API client's retries, timeouts, sunset handling, errors, JSON helpers, shared providers
// and observability (SPEC §6, issue 6), against the fault switches of the Kognic test server.
import assert from "node:assert/strict";
import {
  type ClientEvent,
  createClient,
  HttpError,
  KognicAuthError,
  type Logger,
} from "../../mod.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import { edgeClient } from "../../src/edge/client.ts";
import { test } from "../support/harness.ts";
import { FakeClock } from "../support/clock.ts";
import {
  API_BASE,
  assertNoSecrets,
  AUTH_HOST,
  CANARY_SECRET,
  setup,
  TEST_CLIENT_ID,
  thrown,
} from "../support/fixtures.ts";
import { createKognicServer, TOKEN_CANARY } from "../support/kognic_server.ts";
import { repoPath, runProgram } from "../support/cli.ts";
import process from "node:process";

const DAY = 86_400_000;

/** A random source that replays `values` (then repeats the last one). */
function replay(...values: number[]): () => number {
  let index = 0;
  return () => values[Math.min(index++, values.length - 1)];
}

/** A logger that records every line with its level. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (message) => lines.push(`debug ${message}`),
    info: (message) => lines.push(`info ${message}`),
    warn: (message) => lines.push(`warn ${message}`),
    error: (message) => lines.push(`error ${message}`),
  };
}

test("retry: GET is retried on 502, 503 and 504 by default, and not on 500", async () => {
  const { server, client, clock } = await setup();
  server.apiFaults.push({ status: 502 }, { status: 503 }, { status: 504 });
  const response = await client.fetch("/v1/whoami");
  assert.equal(response.status, 200);
  assert.equal(server.apiRequests.length, 4);
  assert.equal(clock.sleeps.length, 3);

  server.apiFaults.push({ status: 500, json: { message: "Boom" } });
  const failed = await client.fetch("/v1/whoami");
  assert.equal(failed.status, 500, "500 is not in the default list");
  assert.equal(server.apiRequests.length, 5);
});

test("retry: the last answer is returned as it came once the attempts are used up", async () => {
  const { server, client } = await setup({}, { retry: { attempts: 3 } });
  for (let i = 0; i < 5; i++) server.apiFaults.push({ status: 503, json: { message: `try ${i}` } });
  const response = await client.fetch("/v1/whoami");
  assert.equal(response.status, 503);
  assert.equal((await response.json()).message, "try 2");
  assert.equal(server.apiRequests.length, 3);
});

test("retry: one budget per call: a token request's retries come out of it, and nothing multiplies", async () => {
  // The token endpoint fails twice, then works; the API keeps answering 503: of the call's three
  // retries, two went to the token request, one is left for the API request.
  const { server, client, clock } = await setup();
  server.tokenFaults.push({ status: 503 }, { status: 503 });
  for (let i = 0; i < 9; i++) server.apiFaults.push({ status: 503 });
  const response = await client.fetch("/v1/whoami");
  assert.equal(response.status, 503);
  assert.equal(server.tokenRequests.length, 3);
  assert.equal(server.apiRequests.length, 2);
  assert.equal(clock.sleeps.length, 3, "three retries in all");

  // A token endpoint that keeps failing: the call's four attempts, not its three in each of the
  // client's four; the message counts them.
  for (const [retry, tries] of [[undefined, 4], [{ attempts: 2 }, 2], [false, 1]] as const) {
    const failing = await setup({}, { retry });
    for (let i = 0; i < 20; i++) failing.server.tokenFaults.push({ status: 503 });
    const error = await thrown(() => failing.client.fetch("/v1/whoami"));
    assert.equal((error as KognicAuthError).code, "TOKEN_HTTP_ERROR", String(error));
    assert.equal(failing.server.tokenRequests.length, tries, `retry ${JSON.stringify(retry)}`);
    assert.equal(failing.server.apiRequests.length, 0);
    assert.match(
      (error as Error).message,
      tries > 1 ? new RegExp(`answered 503 after ${tries} attempts$`) : /answered 503$/,
    );
  }

  // A proxy that cannot be reached, for the token request and then the API request: what the
  // token request gave up on is not retried by the call, and the API gets what is left.
  let failures = 0;
  const flaky = (fail: (url: string) => boolean): typeof fetch => (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (fail(url)) {
      failures++;
      return Promise.reject(
        new KognicAuthError("PROXY_UNREACHABLE", 'Cannot reach proxy "p:3128"'),
      );
    }
    return kognic.fetch(input as Request | URL | string, init);
  };
  const kognic = createKognicServer();
  const unreachable = await createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    runtime: memoryRuntime(),
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    fetch: flaky(() => true),
    clock: new FakeClock(),
  });
  const error = await thrown(() => unreachable.fetch("/v1/whoami"));
  assert.equal((error as KognicAuthError).code, "PROXY_UNREACHABLE");
  assert.equal(failures, 4, "four attempts at the token request, then the call ends");
  failures = 0;
  let tokenFailures = 1;
  const later = await createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    runtime: memoryRuntime(),
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    fetch: flaky((url) => url.startsWith(API_BASE) || tokenFailures-- > 0),
    clock: new FakeClock(),
  });
  const api = await thrown(() => later.fetch("/v1/whoami"));
  assert.equal((api as KognicAuthError).code, "PROXY_UNREACHABLE");
  assert.equal(failures, 4, "one failed token attempt and three API attempts: four in all");
});

test("retry: a POST is not retried unless POST is among the retried methods", async () => {
  const { server, client } = await setup();
  server.apiFaults.push({ status: 503 });
  const response = await client.fetch("/v1/echo", { method: "POST", body: "x" });
  assert.equal(response.status, 503);
  assert.equal(server.apiRequests.length, 1);

  const optedIn = await setup({}, { retry: { methods: ["GET", "POST"] } });
  optedIn.server.apiFaults.push({ status: 503 });
  const retried = await optedIn.client.fetch("/v1/echo", { method: "POST", body: "again" });
  assert.equal(retried.status, 200);
  assert.equal((await retried.json()).data.body, "again", "the body was sent again");
  assert.equal(optedIn.server.apiRequests.length, 2);
});

test("retry: a single request can opt in or out", async () => {
  const { server, client } = await setup();
  server.apiFaults.push({ status: 503 });
  const response = await client.request("POST", "/v1/echo", {
    json: { a: 1 },
    retry: { methods: ["POST"] },
  });
  assert.equal(response.status, 200);
  assert.equal(server.apiRequests.length, 2);

  server.apiFaults.push({ status: 503 });
  const error = await thrown(() => client.request("GET", "/v1/whoami", { retry: false }));
  assert.equal((error as HttpError).status, 503);
  assert.equal(server.apiRequests.length, 3);
});

test("retry: the status list and methods are configurable (408, 429, 500–511)", async () => {
  const statuses = [408, 429, ...Array.from({ length: 12 }, (_, i) => 500 + i)];
  const { server, client } = await setup({}, {
    retry: { statuses, attempts: 20 },
    random: () => 0, // fourteen random waits could add up past the default deadline
  });
  for (const status of statuses) server.apiFaults.push({ status });
  const response = await client.fetch("/v1/whoami");
  assert.equal(response.status, 200);
  assert.equal(server.apiRequests.length, statuses.length + 1);

  const narrow = await setup({}, { retry: { statuses: [429], methods: ["delete"] } });
  narrow.server.apiFaults.push({ status: 429 }, { status: 429 });
  assert.equal((await narrow.client.fetch("/v1/echo", { method: "DELETE" })).status, 200);
  narrow.server.apiFaults.push({ status: 429 });
  assert.equal((await narrow.client.fetch("/v1/whoami")).status, 429, "GET is not listed");
});

test("retry: delays follow exponential backoff with full jitter, within their bounds", async () => {
  const { server, client, clock } = await setup({}, {
    retry: { attempts: 6, baseDelay: 500, maxDelay: 3_000 },
    random: replay(0.999, 0.5, 0, 0.25, 0.999),
  });
  for (let i = 0; i < 5; i++) server.apiFaults.push({ status: 503 });
  assert.equal((await client.fetch("/v1/whoami")).status, 200);
  const bounds = [500, 1_000, 2_000, 3_000, 3_000]; // base·2^(n-1), capped at maxDelay
  assert.deepEqual(clock.sleeps, [0.999 * 500, 0.5 * 1_000, 0, 0.25 * 3_000, 0.999 * 3_000]);
  clock.sleeps.forEach((ms, i) => assert.ok(ms >= 0 && ms < bounds[i], `${ms} < ${bounds[i]}`));

  // With the platform's own randomness every delay still stays inside its bound.
  const plain = await setup({}, { retry: { attempts: 4 } });
  for (let i = 0; i < 3; i++) plain.server.apiFaults.push({ status: 502 });
  await plain.client.fetch("/v1/whoami");
  assert.equal(plain.clock.sleeps.length, 3);
  plain.clock.sleeps.forEach((ms, i) => assert.ok(ms >= 0 && ms < 500 * 2 ** i));
});

test("retry: Retry-After in seconds and as an HTTP date is obeyed", async () => {
  const { server, client, clock } = await setup({}, { retry: { statuses: [429, 503] } });
  server.apiFaults.push({ status: 429, headers: { "retry-after": "7" } });
  assert.equal((await client.fetch("/v1/whoami")).status, 200);
  assert.deepEqual(clock.sleeps, [7_000]);

  const date = new Date(clock.now() + 12_000).toUTCString();
  server.apiFaults.push({ status: 503, headers: { "retry-after": date } });
  assert.equal((await client.fetch("/v1/whoami")).status, 200);
  assert.deepEqual(clock.sleeps, [7_000, 12_000]);
});

test("retry: a Retry-After beyond the cap, or a wait past the deadline, returns the answer", async () => {
  const { server, client, clock } = await setup({}, { retry: { maxRetryAfter: 10_000 } });
  server.apiFaults.push({ status: 503, headers: { "retry-after": "11" } });
  assert.equal((await client.fetch("/v1/whoami")).status, 503);
  assert.equal(clock.sleeps.length, 0);
  assert.equal(server.apiRequests.length, 1);

  const late = await setup({}, { retry: { deadline: 5_000 } });
  late.server.apiFaults.push(
    { status: 503, headers: { "retry-after": "4" } },
    { status: 503, headers: { "retry-after": "4" } },
  );
  assert.equal((await late.client.fetch("/v1/whoami")).status, 503);
  assert.deepEqual(late.clock.sleeps, [4_000], "the second wait would end after the deadline");
  assert.equal(late.server.apiRequests.length, 2);
});

test("retry: a body that cannot be sent again is never retried", async () => {
  const { server, client } = await setup({}, { retry: { methods: ["PUT", "POST"] } });
  server.apiFaults.push({ status: 503 });
  const body = new Blob(["streamed"]).stream();
  const response = await client.fetch(
    "/v1/echo",
    { method: "PUT", body, duplex: "half" } as RequestInit,
  );
  assert.equal(response.status, 503);
  assert.equal(server.apiRequests.length, 1);
});

test("retry: connection errors are retried for idempotent methods only", async () => {
  const server = createKognicServer();
  let failures = 0;
  const flaky = ((input: Request | URL | string, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith(API_BASE) && failures > 0) {
      failures--;
      return Promise.reject(new TypeError("fetch failed"));
    }
    return server.fetch(input, init);
  }) as typeof fetch;
  const events: ClientEvent[] = [];
  const client = await createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    runtime: memoryRuntime(),
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    fetch: flaky,
    clock: new FakeClock(),
    onEvent: (event) => events.push(event),
  });
  failures = 2;
  assert.equal((await client.fetch("/v1/whoami?q=1")).status, 200);
  const retries = events.filter((event) => event.type === "retry");
  assert.equal(retries.length, 2);
  assert.deepEqual(
    { ...retries[0], delayMs: 0 },
    {
      type: "retry",
      method: "GET",
      url: `${API_BASE}/v1/whoami`,
      attempt: 2,
      delayMs: 0,
      error: "fetch failed",
    },
  );
  failures = 1;
  const error = await thrown(() => client.fetch("/v1/echo", { method: "POST", body: "x" }));
  // Not retried; a KognicAuthError naming method and URL, the runtime's error as its cause.
  assert.equal((error as KognicAuthError).code, "API_UNREACHABLE");
  assert.equal(
    (error as Error).message,
    `POST "${API_BASE}/v1/echo" could not be reached: fetch failed`,
  );
  assert.ok((error as Error).cause instanceof TypeError);
});

test("retry: an abort during a backoff ends the call at once", async () => {
  const { server, clock: fake } = await setup();
  const controller = new AbortController();
  const waits: number[] = [];
  // Real timers for the wait, so that only the abort can end it early.
  const clock = {
    now: () => fake.now(),
    sleep(ms: number, signal?: AbortSignal) {
      waits.push(ms);
      queueMicrotask(() => controller.abort(new Error("caller gave up")));
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(signal.reason);
        }, { once: true });
      });
    },
  };
  const client = await createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    runtime: memoryRuntime(),
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    fetch: server.fetch as typeof fetch,
    clock,
  });
  server.apiFaults.push({ status: 503, headers: { "retry-after": "30" } });
  const error = await thrown(() => client.fetch("/v1/whoami", { signal: controller.signal }));
  assert.equal((error as Error).message, "caller gave up");
  assert.deepEqual(waits, [30_000], "the call was in its 30 s backoff when it ended");
  assert.equal(server.apiRequests.length, 1);
});

test("timeout: an attempt that takes too long is aborted, retried, and finally reported", async () => {
  const { server, client } = await setup({}, { timeout: 20 });
  server.apiFaults.push({ delayMs: 5_000 });
  assert.equal((await client.fetch("/v1/whoami")).status, 200, "the second attempt answered");
  assert.equal(server.apiRequests.length, 2);

  server.apiFaults.push({ delayMs: 5_000 });
  const error = await thrown(() =>
    client.request("GET", "/v1/whoami?token=x", { retry: false, timeout: 10 })
  );
  assert.ok(error instanceof KognicAuthError);
  assert.equal(error.code, "TIMEOUT");
  assert.equal(error.message, `GET "${API_BASE}/v1/whoami" did not answer within 10 ms`);
});

test("signals: without AbortSignal.any a long-lived caller signal gathers no listener per call, and still aborts", async () => {
  const { server, clock } = await setup();
  const stream = new URL("/v1/stream", API_BASE).href;
  const client = await createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    runtime: memoryRuntime(),
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    clock,
    // A body that ends only when the request's signal aborts it, as a runtime's fetch does.
    fetch: ((input: string | URL | Request, init?: RequestInit) => {
      if (String(input) !== stream) return server.fetch(input, init);
      const signal = init!.signal!;
      return Promise.resolve(
        new Response(
          new ReadableStream({
            start(body) {
              signal.addEventListener("abort", () => body.error(signal.reason));
            },
          }),
        ),
      );
    }) as typeof fetch,
  });
  const any = Object.getOwnPropertyDescriptor(AbortSignal, "any");
  // Hidden, as where the runtime lacks it (Vercel's Edge Runtime, where it is missing anyway).
  Object.defineProperty(AbortSignal, "any", { value: undefined, configurable: true });
  try {
    const controller = new AbortController();
    const { signal } = controller;
    const listeners = new Set<unknown>();
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((type: string, listener: EventListener, options?: unknown) => {
      listeners.add(listener);
      add(type, listener, options as AddEventListenerOptions);
    }) as typeof signal.addEventListener;
    signal.removeEventListener = ((type: string, listener: EventListener, options?: unknown) => {
      listeners.delete(listener);
      remove(type, listener, options as EventListenerOptions);
    }) as typeof signal.removeEventListener;
    for (let i = 0; i < 50; i++) {
      const response = await client.fetch("/v1/whoami", { signal });
      await response.body?.cancel();
    }
    assert.equal(server.apiRequests.length, 50);
    assert.ok(listeners.size <= 1, `${listeners.size} listeners on the signal after 50 calls`);
    // After its answer's headers, the caller's signal still ends the body being read.
    const response = await client.fetch(stream, { signal });
    const reading = response.text();
    controller.abort(new Error("caller gave up"));
    assert.equal(((await thrown(() => reading)) as Error).message, "caller gave up");
    // And a call in flight.
    const again = new AbortController();
    server.apiFaults.push({ delayMs: 5_000 });
    const call = client.fetch("/v1/whoami", { signal: again.signal });
    again.abort(new Error("no more waiting"));
    assert.equal(((await thrown(() => call)) as Error).message, "no more waiting");
  } finally {
    if (any) Object.defineProperty(AbortSignal, "any", any);
    else delete (AbortSignal as { any?: unknown }).any;
  }
});

test("timeout: an abort during the token wait ends the call at once", async () => {
  const { server, client } = await setup();
  server.tokenFaults.push({ delayMs: 1_000, status: 503 });
  const controller = new AbortController();
  const call = client.fetch("/v1/whoami", { signal: controller.signal });
  controller.abort(new Error("no more waiting"));
  assert.equal(((await thrown(() => call)) as Error).message, "no more waiting");
  assert.equal(server.apiRequests.length, 0);
});

test("sunset: both formats call the handler with the date, the method and the URL without query", async () => {
  const seen: unknown[] = [];
  const { server, client } = await setup({}, {
    onSunset: (info) => seen.push({ ...info, date: info.date.toISOString() }),
  });
  server.apiFaults.push(
    { json: { data: 1 }, headers: { "sunset-date": "2026-03-01T12:00:00Z" } },
    { json: { data: 2 }, headers: { "sunset-date": "2026-03-02T12:00:00.123456Z" } },
  );
  await client.get("/v1/old?page=2");
  await client.request("DELETE", "/v1/older#x");
  await client.get("/v1/whoami");
  assert.deepEqual(seen, [
    { date: "2026-03-01T12:00:00.000Z", method: "GET", url: `${API_BASE}/v1/old` },
    { date: "2026-03-02T12:00:00.123Z", method: "DELETE", url: `${API_BASE}/v1/older` },
  ]);
});

test("sunset: the default handler warns, and logs an error under 14 days; false disables it", async () => {
  const logger = recordingLogger();
  const { server, client, clock } = await setup({}, { logger });
  const later = new Date(clock.now() + 30 * DAY).toISOString();
  const soon = new Date(clock.now() + 13 * DAY).toISOString();
  server.apiFaults.push(
    { json: {}, headers: { "sunset-date": later } },
    { json: {}, headers: { "sunset-date": soon } },
    { json: {}, headers: { "sunset-date": "next tuesday" } },
  );
  for (let i = 0; i < 3; i++) await client.fetch("/v1/thing?id=secret-query");
  const sunsets = logger.lines.filter((line) => !line.startsWith("debug Obtained"));
  assert.deepEqual(sunsets, [
    `warn GET "${API_BASE}/v1/thing" is deprecated and will be removed on ${later}`,
    `error GET "${API_BASE}/v1/thing" is deprecated and will be removed on ${soon}`,
    `debug Ignoring an unparseable sunset-date "next tuesday" from ${API_BASE}/v1/thing`,
  ]);

  const quiet = recordingLogger();
  const off = await setup({}, { logger: quiet, onSunset: false });
  off.server.apiFaults.push({ json: {}, headers: { "sunset-date": soon } });
  await off.client.fetch("/v1/thing");
  assert.deepEqual(quiet.lines.filter((line) => !line.startsWith("debug Obtained")), []);
});

test("errors: status, method, URL without query, the message or truncated text, the response", async () => {
  const { server, client } = await setup();
  server.apiFaults.push({ status: 404, json: { message: "No such project", code: 7 } });
  const notFound = await thrown(() => client.get("/v1/projects/9?expand=all"));
  assert.ok(notFound instanceof HttpError);
  assert.equal(notFound.status, 404);
  assert.equal(notFound.method, "GET");
  assert.equal(notFound.url, `${API_BASE}/v1/projects/9`);
  assert.equal(notFound.detail, "No such project");
  assert.equal(notFound.response.status, 404);
  assert.equal(notFound.message, `GET "${API_BASE}/v1/projects/9" answered 404: No such project`);

  server.apiFaults.push({ status: 400, body: "x".repeat(10_000) });
  const long = await thrown(() => client.request("post", "/v1/echo", { json: [1] }));
  assert.ok(long instanceof HttpError);
  assert.equal(long.method, "POST");
  assert.equal(long.detail, `${"x".repeat(500)}…`);

  server.apiFaults.push({ status: 418, body: "short text" });
  assert.equal(((await thrown(() => client.get("/v1/tea"))) as HttpError).detail, "short text");
});

test("json: bodies from plain values, the data envelope unwrapped, 204 as undefined", async () => {
  const { server, client } = await setup();
  const echoed = await client.json<{ body: string; headers: Record<string, string> }>(
    "PUT",
    "/v1/echo",
    { json: { name: "ä", list: [1, null, true] } },
  );
  assert.deepEqual(JSON.parse(echoed.body), { name: "ä", list: [1, null, true] });
  assert.equal(echoed.headers["content-type"], "application/json");
  for (const value of [0, false, null, [1]]) {
    const sent = await client.json<{ body: string }>("POST", "/v1/echo", { json: value });
    assert.equal(sent.body, JSON.stringify(value));
  }
  assert.deepEqual(await client.get("/v1/items"), [{ id: 1, name: "a" }, { id: 2, name: "b" }]);
  assert.deepEqual(await client.get("/v1/items", { unwrap: false }), {
    data: [{ id: 1, name: "a" }, { id: 2, name: "b" }],
  });
  server.apiFaults.push({ status: 204 });
  assert.equal(await client.json("DELETE", "/v1/items/1"), undefined);
  server.apiFaults.push({ json: { data: null } });
  assert.equal(await client.get("/v1/nothing"), null);
});

test("json: a top-level string or bytes is refused before anything is sent", async () => {
  const { server, client } = await setup();
  for (const value of ["text", new Uint8Array([1]), new ArrayBuffer(1)]) {
    const error = await thrown(() => client.json("POST", "/v1/echo", { json: value }));
    assert.ok(error instanceof KognicAuthError);
    assert.equal(error.code, "INVALID_OPTIONS");
  }
  assert.equal(server.apiRequests.length, 0);
});

test("json: a body without the data envelope fails, naming the keys it found", async () => {
  const { server, client } = await setup();
  server.apiFaults.push(
    { json: { items: [], total: 0 } },
    { json: [1, 2] },
    { json: {} },
    { body: "<html>oops</html>", headers: { "content-type": "text/html" } },
  );
  const keys = await thrown(() => client.get("/v1/list?cursor=abc"));
  assert.ok(keys instanceof KognicAuthError);
  assert.equal(keys.code, "RESPONSE_NO_DATA");
  assert.equal(
    keys.message,
    `GET "${API_BASE}/v1/list" answered JSON without a "data" key: found keys "items", "total"`,
  );
  assert.match((await thrown(() => client.get("/v1/list")) as Error).message, /found an array$/);
  assert.match(
    (await thrown(() => client.get("/v1/list")) as Error).message,
    /found an empty object$/,
  );
  const html = await thrown(() => client.get("/v1/list"));
  assert.equal((html as KognicAuthError).code, "RESPONSE_INVALID_JSON");
  assert.equal(
    (html as Error).message,
    `GET "${API_BASE}/v1/list" answered 200 with a body that is not JSON (text/html)`,
  );
});

test("shared provider: two clients from the same credentials make one token request", async () => {
  const server = createKognicServer();
  const clock = new FakeClock();
  const options = {
    auth: [TEST_CLIENT_ID, CANARY_SECRET] as [string, string],
    runtime: memoryRuntime(),
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    fetch: server.fetch as typeof fetch,
    clock,
  };
  const a = await createClient(options);
  const b = await createClient({ ...options, headers: { "X-Workspace-Id": "w" } });
  if (globalThis.navigator?.userAgent === "Cloudflare-Workers") {
    // workerd cannot share a request's pending I/O with another request: each client has its
    // own provider there, and the token is shared through the isolate-wide store.
    await a.get("/v1/whoami");
    await Promise.all([b.get("/v1/whoami"), a.get("/v1/items")]);
  } else {
    assert.equal(a.provider, b.provider);
    await Promise.all([a.get("/v1/whoami"), b.get("/v1/whoami"), a.get("/v1/items")]);
  }
  assert.equal(server.tokenRequests.length, 1);
  assert.equal(server.apiRequests.length, 3);

  const scoped = await createClient({ ...options, scopes: ["api:read"] });
  const elsewhere = await createClient({ ...options, authHost: "https://auth2.kognic.test" });
  assert.notEqual(scoped.provider, a.provider);
  assert.notEqual(elsewhere.provider, a.provider);
  await scoped.get("/v1/whoami");
  assert.equal(server.tokenRequests.length, 2);
  const other = createKognicServer();
  const otherFetch = await createClient({ ...options, fetch: other.fetch as typeof fetch });
  assert.notEqual(otherFetch.provider, a.provider, "another transport gets its own provider");
});

test("observability: token, retry and sunset events and log lines never hold a secret or a token", async () => {
  const logger = recordingLogger();
  const events: ClientEvent[] = [];
  const { server, client, clock } = await setup({ tokenLifetime: 600 }, {
    logger,
    onEvent: (event) => events.push(event),
    retry: { statuses: [429, 503] },
  });
  await client.get("/v1/whoami");
  server.apiFaults.push(
    { status: 401 },
    { status: 503, headers: { "retry-after": "1" } },
    { json: { data: 1 }, headers: { "sunset-date": "2026-01-05T00:00:00Z" } },
  );
  await client.get("/v1/whoami?x=1");
  clock.advance(560_000); // inside the refresh leeway: a background refresh that fails
  server.tokenFaults.push({ status: 400, json: { error: "invalid_client" } }, {
    status: 400,
    json: { error: "invalid_client" },
  });
  await client.get("/v1/whoami");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(events.map((event) => event.type), [
    "token",
    "token",
    "retry",
    "sunset",
    "token_error",
  ]);
  // The 401 dropped the token together with its refresh token: a new client-credentials grant.
  assert.deepEqual(events.slice(0, 2).map((e) => e.type === "token" && e.grant), [
    "client_credentials",
    "client_credentials",
  ]);
  assert.ok(events[4].type === "token_error" && events[4].background);
  assert.deepEqual(logger.lines.map((line) => line.split(" ")[0]), [
    "debug",
    "debug",
    "info",
    "error",
    "warn",
  ]);
  const refreshTokens = server.tokenRequests.map((request) =>
    new URLSearchParams(request.body).get("refresh_token")
  ).filter((token): token is string => token !== null);
  assert.ok(refreshTokens.length > 0);
  const secrets = [CANARY_SECRET, ...server.issuedTokens, ...refreshTokens];
  assertNoSecrets(events, secrets);
  assertNoSecrets(logger.lines, secrets);
});

test("observability: a failing token store is a warning in the log, never a failed call", async () => {
  const logger = recordingLogger();
  const store = {
    load: () => Promise.reject(new Error("cache unreadable")),
    save: () => Promise.reject(new Error("cache read-only")),
  };
  const { client } = await setup({}, { logger, store });
  assert.equal((await client.get<{ clientId: string }>("/v1/whoami")).clientId, TEST_CLIENT_ID);
  const warnings = logger.lines.filter((line) => line.startsWith("warn "));
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /token store failed to load a token for ".*": cache unreadable$/);
  assert.match(warnings[1], /token store failed to save a token for ".*": cache read-only$/);
  // Without a logger, the default one warns on the console (as the README says).
  const warned: string[] = [];
  const terminal = globalThis.console;
  const original = terminal.warn;
  terminal.warn = (message: string) => void warned.push(message);
  try {
    const quiet = await setup({}, { store, clock: new FakeClock() });
    await quiet.client.get("/v1/whoami");
  } finally {
    terminal.warn = original;
  }
  assert.equal(warned.length, 2, warned.join("\n"));
});

test(
  "observability: a dropped client is collected; its fetch alone keeps its logger, then nothing does",
  async () => {
    // A process of its own with the collector exposed (tests/support/gc_probe.ts).
    const probe = repoPath("tests/support/gc_probe.ts");
    const agent = globalThis.navigator?.userAgent ?? "";
    const bun = agent.startsWith("Bun/");
    const args = agent.startsWith("Deno/")
      ? ["run", "-A", "--quiet", "--no-lock", "--v8-flags=--expose-gc", probe]
      : bun
      ? [probe]
      : ["--expose-gc", probe];
    const ran = await runProgram(process.execPath, args);
    assert.equal(ran.code, 0, ran.stderr);
    const report = JSON.parse(ran.stdout.trim().split("\n").at(-1)!);
    assert.equal(report.whileFetchKept, 1, "the client's fetch keeps the listener alive");
    // The public subscribe holds its listener strongly: it saw all three tokens, collections
    // in between.
    assert.equal(report.publicEvents, report.tokenRequests, "a subscribed inline listener is kept");
    // JavaScriptCore scans the stack conservatively: on Bun a dropped object may live on, so
    // what must be collected is only asserted on V8 (Deno, Node).
    if (!bun) {
      assert.equal(report.clientCollected, true, "the provider does not keep the client alive");
      assert.equal(report.fetchCollected, true);
      assert.equal(report.afterAllDropped, 0, "a collected client's listener is not called");
    }
  },
  { needs: ["subprocess"], timeout: 30_000 },
);

test("logging: a call that still fails after its retries is one warning at the default level", async () => {
  const logger = recordingLogger();
  const { server, client } = await setup({}, { logger });
  for (let i = 0; i < 4; i++) server.apiFaults.push({ status: 503 });
  const response = await client.fetch("/v1/whoami?page=2");
  assert.equal(response.status, 503);
  const warnings = logger.lines.filter((line) => !line.startsWith("info "));
  assert.deepEqual(warnings.filter((line) => !line.startsWith("debug ")), [
    `warn GET "${API_BASE}/v1/whoami" failed after 4 attempts: status 503`,
  ]);
  assert.equal(logger.lines.filter((line) => line.startsWith("info Retrying")).length, 3);
  // A call that needed no retry, or succeeded after one, warns of nothing.
  server.apiFaults.push({ status: 503 });
  await (await client.fetch("/v1/whoami")).body?.cancel();
  assert.equal(logger.lines.filter((line) => line.startsWith("warn ")).length, 1);
});

test(
  "logging: a failed connection's query string (a signed URL's signature) is in no log line or event",
  async () => {
    const { serve } = await import("../support/serve.ts");
    // A loopback port nobody listens on any more: Deno's fetch names the whole URL in its error.
    const closed = await serve(() => new Response(null));
    await closed.close();
    const signed = `${closed.url}/upload?X-Amz-Signature=c2lnbmF0dXJl&X-Amz-Credential=AKIA`;
    const home = await serve(() => new Response(null));
    try {
      const logger = recordingLogger();
      const events: ClientEvent[] = [];
      const client = await createClient({
        auth: [TEST_CLIENT_ID, CANARY_SECRET],
        baseUrl: home.url,
        authHost: home.url,
        retry: { baseDelay: 1, maxDelay: 1 },
        logger,
        onEvent: (event) => events.push(event),
      });
      const error = await client.fetch(signed, { method: "PUT", body: "data" })
        .catch((error: Error) => error);
      assert.ok(error instanceof KognicAuthError, String(error));
      assert.equal(events.filter((event) => event.type === "retry").length, 3);
      // Said once: by the error, not also by a warning.
      assert.ok(!logger.lines.some((line) => line.startsWith("warn ")), logger.lines.join("\n"));
      const printed = JSON.stringify([logger.lines, events, error.message]);
      assert.ok(!/c2lnbmF0dXJl|AKIA/.test(printed), printed);
    } finally {
      await home.close();
    }
  },
  { needs: ["sockets"] },
);

test("logging: DEBUG=kognic-auth (the debug package's convention) writes every message to stderr", async () => {
  let server = createKognicServer();
  const written: string[] = [];
  // deno-lint-ignore no-console
  const original = console.error;
  // deno-lint-ignore no-console
  console.error = (...args: unknown[]) => void written.push(args.join(" "));
  try {
    for (
      const [debug, on] of [
        ["kognic-auth", true],
        ["app,kognic*", true],
        ["*,-kognic-auth", false],
        ["kognic-auth-x", false],
        ["", false],
      ] as const
    ) {
      written.length = 0;
      server = createKognicServer(); // a provider of its own
      const client = await createClient({
        auth: [TEST_CLIENT_ID, CANARY_SECRET],
        runtime: memoryRuntime({ env: { DEBUG: debug } }),
        authHost: AUTH_HOST,
        baseUrl: API_BASE,
        fetch: server.fetch as typeof fetch,
      });
      await (await client.fetch("/v1/whoami")).body?.cancel();
      assert.deepEqual(
        written,
        on
          ? [
            `kognic-auth Obtained an access token from "${AUTH_HOST}/v1/auth/oauth/token" by client_credentials, valid for 3600 s`,
          ]
          : [],
        debug,
      );
    }
    // Clients sharing a provider write one line per token event.
    written.length = 0;
    server = createKognicServer();
    const shared = await Promise.all([1, 2, 3].map(() =>
      createClient({
        auth: [TEST_CLIENT_ID, CANARY_SECRET],
        runtime: memoryRuntime({ env: { DEBUG: "kognic-auth" } }),
        authHost: AUTH_HOST,
        baseUrl: API_BASE,
        fetch: server.fetch as typeof fetch,
      })
    ));
    await Promise.all(shared.map(async (c) => (await c.fetch("/v1/whoami")).body?.cancel()));
    assert.equal(written.length, 1);
    // On the edge the DEBUG binding does the same for edgeClient.
    written.length = 0;
    server = createKognicServer();
    const edge = edgeClient(
      { KOGNIC_CLIENT_ID: TEST_CLIENT_ID, KOGNIC_CLIENT_SECRET: CANARY_SECRET, DEBUG: "kognic*" },
      {
        authHost: AUTH_HOST,
        baseUrl: API_BASE,
        fetch: server.fetch as typeof fetch,
        clientName: "edge",
      },
    );
    await (await edge.fetch("/v1/whoami")).body?.cancel();
    assert.equal(written.length, 1);
    assert.match(written[0], /^kognic-auth Obtained an access token/);
  } finally {
    // deno-lint-ignore no-console
    console.error = original;
  }
});

test("observability: fewer scopes granted than asked for are an event each time and one warning", async () => {
  const logger = recordingLogger();
  const events: ClientEvent[] = [];
  const { server, client, clock } = await setup({}, {
    scopes: ["api:read", "api:write"],
    logger,
    onEvent: (event) => events.push(event),
  });
  server.grantScopes = (asked) => asked.filter((scope) => scope !== "api:write");
  const second = await createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    runtime: memoryRuntime(),
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    fetch: server.fetch as typeof fetch,
    clock,
    scopes: ["api:read", "api:write"],
    logger,
  });
  for (let i = 0; i < 3; i++) {
    await (await client.fetch("/v1/whoami")).body?.cancel();
    await (await second.fetch("/v1/whoami")).body?.cancel();
    clock.advance(3600_000); // a new token each round
  }
  // On workerd every client has a provider of its own (tokens are shared through a store).
  const shared = client.provider === second.provider;
  assert.equal(server.tokenRequests.length, shared ? 3 : 6);
  const scopes = events.filter((event) => event.type === "scopes");
  assert.equal(scopes.length, 3);
  assert.deepEqual(scopes[0], {
    type: "scopes",
    tokenUrl: `${AUTH_HOST}/v1/auth/oauth/token`,
    granted: ["api:read"],
    missing: ["api:write"],
  });
  const warning = `warn The token endpoint "${AUTH_HOST}/v1/auth/oauth/token" granted fewer ` +
    `scopes than asked for: not "api:write", only "api:read"`;
  assert.deepEqual(
    logger.lines.filter((line) => line.startsWith("warn ")),
    shared ? [warning] : [warning, warning],
  );
});

test("observability: clients sharing a provider write one line per token event", async () => {
  const server = createKognicServer();
  const logger = recordingLogger();
  const events: string[] = [];
  const options = {
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    runtime: memoryRuntime(),
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    fetch: server.fetch as typeof fetch,
    logger,
    onEvent: (event: ClientEvent) => events.push(event.type),
  };
  const clients = [];
  for (let i = 0; i < 3; i++) clients.push(await createClient(options));
  // One provider (on workerd one each, the token shared through the isolate's store).
  await Promise.all(clients.map(async (c) => (await c.fetch("/v1/whoami")).body?.cancel()));
  assert.equal(server.tokenRequests.length, 1);
  assert.equal(logger.lines.filter((line) => line.includes("Obtained an access token")).length, 1);
  // Each client's own hook still hears its provider's token.
  const shared = clients[0].provider === clients[2].provider;
  assert.deepEqual(events, shared ? ["token", "token", "token"] : ["token"]);
});

test("errors: an API that echoes the bearer token never gets it into an HttpError", async () => {
  const server = createKognicServer();
  const symbols: symbol[] = [];
  const { client } = await setup({}, {
    // An API that quotes the request's Authorization header in its error.
    fetch: (async (input: Request | URL | string, init?: RequestInit) => {
      // The library's private keys stay with it.
      symbols.push(...Object.getOwnPropertySymbols(init ?? {}));
      const auth = new Headers(init?.headers).get("authorization");
      if (String(input).endsWith("/v1/echo")) {
        return Response.json({ message: `bad request from ${auth}` }, { status: 400 });
      }
      return await server.fetch(input, init);
    }) as typeof fetch,
  });
  const error = await thrown(() => client.request("GET", "/v1/echo"));
  assert.ok(error instanceof HttpError);
  assert.equal(error.detail, "bad request from Bearer [REDACTED]");
  assertNoSecrets(error, [TOKEN_CANARY]);
  assert.deepEqual(symbols, []);
});

// `@kognic/auth/otel` against the OpenTelemetry SDK's in-memory span exporter and a metric
// reader: the spans and metrics of token requests, store operations, lease waits, renewals after
// a 401 and API calls, and no secret in anything exported.
import assert from "node:assert/strict";
import process from "node:process";
import { context, metrics, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { createClient, Credentials, type StoredToken, type TokenStore } from "../../mod.ts";
import { TokenProvider } from "../../src/core.ts";
import { instrument, instrumentAll, instrumentStore } from "../../src/otel/mod.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import { test } from "../support/harness.ts";
import { API_BASE, AUTH_HOST, CANARY_SECRET, setup, TEST_CLIENT_ID } from "../support/fixtures.ts";
import { createKognicServer, TOKEN_CANARY } from "../support/kognic_server.ts";
import { createSdk, StorageContextManager } from "../support/otel.ts";
import { repoPath, runProgram } from "../support/cli.ts";
import { serve } from "../support/serve.ts";

const QUERY_CANARY = "QueryCanary9b2e";
const HEADER_CANARY = "HeaderCanary5c1a";

/** A token store with a lease, in memory; the lease lasts in real time. */
function memoryStore(): TokenStore & { tokens: Map<string, StoredToken> } {
  const tokens = new Map<string, StoredToken>();
  const leases = new Map<string, { owner: string; until: number }>();
  return {
    tokens,
    load: (key) => Promise.resolve(tokens.get(key)),
    save: (key, token) => Promise.resolve(void tokens.set(key, token)),
    lease(key, owner, ttl) {
      const lease = leases.get(key);
      if (lease && lease.until > Date.now() && lease.owner !== owner) {
        return Promise.resolve(false);
      }
      leases.set(key, { owner, until: Date.now() + ttl });
      return Promise.resolve(true);
    },
    release(key, owner) {
      if (leases.get(key)?.owner === owner) leases.delete(key);
      return Promise.resolve();
    },
  };
}

/** Runs `fn` with a context manager, so that spans nest across awaits. */
async function nested<T>(fn: () => Promise<T>): Promise<T> {
  const manager = new StorageContextManager();
  context.setGlobalContextManager(manager);
  try {
    return await fn();
  } finally {
    context.disable();
  }
}

const only = (spans: ReadableSpan[], name: string) => {
  const found = spans.filter((span) => span.name === name);
  assert.equal(found.length, 1, `one ${name} span, not ${found.length}`);
  return found[0];
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

test("otel: a token request is a span with grant, outcome, status, attempts, server, background, store and lease, and is counted", async () => {
  const sdk = createSdk();
  const store = memoryStore();
  const { server, client } = await setup({}, {
    store: instrumentStore(store, { name: "memory", ...sdk }),
  });
  instrument(client, sdk);
  server.tokenFaults.push({ status: 503 });
  await (await client.fetch("/v1/items")).arrayBuffer();
  const span = only(sdk.spans(), "kognic_auth.token_request");
  assert.equal(span.kind, SpanKind.INTERNAL);
  assert.deepEqual(span.attributes, {
    "server.address": "auth.kognic.test",
    "server.port": 443,
    "url.path": "/v1/auth/oauth/token",
    "kognic_auth.outcome": "success",
    "kognic_auth.grant_type": "client_credentials",
    "kognic_auth.attempts": 2,
    "kognic_auth.background": false,
    "http.response.status_code": 200,
    "kognic_auth.store.name": "memory",
    "kognic_auth.lease_held": true,
  });
  const requests = await sdk.metric("kognic_auth.token.requests");
  assert.equal(requests?.unit, "{request}");
  assert.deepEqual(requests?.points, [{
    attributes: {
      "server.address": "auth.kognic.test",
      "kognic_auth.outcome": "success",
      "kognic_auth.grant_type": "client_credentials",
    },
    value: 1,
  }]);
  const duration = await sdk.metric("kognic_auth.token.request.duration");
  assert.equal(duration?.unit, "s");
  assert.equal((duration?.points[0].value as { count: number }).count, 1);
  // The store's operations: a look, the lease, a look under it, the save, the release.
  const operations = sdk.spans().filter((span) => span.name.startsWith("kognic_auth.store."))
    .map((span) => span.name.slice(18));
  assert.deepEqual(operations, ["load", "lease", "load", "save", "release"]);
  const lease = sdk.named("kognic_auth.store.lease")[0];
  assert.equal(lease.attributes["kognic_auth.lease_held"], true);
  assert.equal(lease.attributes["kognic_auth.store.name"], "memory");
  assert.equal(sdk.named("kognic_auth.store.load")[0].attributes["kognic_auth.store.hit"], false);
  const storeDuration = await sdk.metric("kognic_auth.store.operation.duration");
  assert.equal(storeDuration?.points.length, 4, "load, lease, save and release apart");
});

test("otel: a failed token request is an error span with its code, and failing store operations are counted by operation", async () => {
  const sdk = createSdk();
  const store: TokenStore = {
    load: () => Promise.reject(new Error("Store down")),
    save: () => Promise.reject(new Error("Store down")),
  };
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const { server, client } = await setup({}, { store, retry: false, logger: quiet });
  instrument(client, sdk);
  server.tokenFaults.push({ status: 401, json: { error: "invalid_client" } });
  await assert.rejects(client.fetch("/v1/items"));
  const span = only(sdk.spans(), "kognic_auth.token_request");
  assert.equal(span.status.code, SpanStatusCode.ERROR);
  assert.equal(span.attributes["error.type"], "TOKEN_OAUTH_ERROR");
  assert.equal(span.attributes["http.response.status_code"], 401);
  assert.equal(span.attributes["kognic_auth.outcome"], "error");
  assert.equal(span.attributes["kognic_auth.attempts"], 1);
  assert.equal(span.attributes["kognic_auth.lease_held"], undefined, "a store without a lease");
  const api = only(sdk.spans(), "kognic_auth.api_call");
  assert.equal(api.status.code, SpanStatusCode.ERROR);
  assert.equal(api.attributes["error.type"], "TOKEN_OAUTH_ERROR");
  const requests = await sdk.metric("kognic_auth.token.requests");
  assert.deepEqual(requests?.points.map((point) => point.attributes), [{
    "server.address": "auth.kognic.test",
    "kognic_auth.outcome": "error",
    "kognic_auth.grant_type": "client_credentials",
    "error.type": "TOKEN_OAUTH_ERROR",
  }]);
  // The next call's token request succeeds; the store still fails (counted once per streak).
  await (await client.fetch("/v1/items")).arrayBuffer();
  const errors = await sdk.metric("kognic_auth.store.errors");
  assert.deepEqual(
    errors?.points.map((point) => [point.attributes["kognic_auth.store.operation"], point.value]),
    [["load", 1], ["save", 1]],
  );
});

test("otel: an API call is one INTERNAL span with the HTTP client attributes, without its query, its retries counted, and the wire's spans beneath it", async () => {
  const sdk = createSdk();
  await nested(async () => {
    const server = createKognicServer();
    const tracer = sdk.tracerProvider.getTracer("fetch-instrumentation");
    // What fetch instrumentation (undici on Node) does: a CLIENT span per request on the wire.
    const wire = ((input: Request | URL | string, init?: RequestInit) => {
      const span = tracer.startSpan("wire", { kind: SpanKind.CLIENT });
      return server.fetch(input, init).finally(() => span.end());
    }) as typeof fetch;
    const client = await createClient({
      auth: [TEST_CLIENT_ID, CANARY_SECRET],
      runtime: memoryRuntime(),
      authHost: AUTH_HOST,
      baseUrl: API_BASE,
      fetch: wire,
      retry: { baseDelay: 1 },
    });
    instrument(client, sdk);
    server.apiFaults.push({ status: 503 });
    const response = await client.fetch(`/v1/items?signature=${QUERY_CANARY}`, {
      headers: { "X-Custom": HEADER_CANARY },
    });
    assert.equal(response.status, 200);
    const call = only(sdk.spans(), "kognic_auth.api_call");
    assert.equal(call.kind, SpanKind.INTERNAL);
    assert.deepEqual(call.attributes, {
      "http.request.method": "GET",
      "server.address": "app.kognic.test",
      "server.port": 443,
      "url.scheme": "https",
      "url.path": "/v1/items",
      "http.request.resend_count": 1,
      "http.response.status_code": 200,
    });
    assert.deepEqual(call.events.map((event) => event.name), ["kognic_auth.retry"]);
    assert.deepEqual(call.events[0].attributes, {
      "kognic_auth.attempt": 2,
      "http.response.status_code": 503,
    });
    // The token request and the three requests on the wire (token, 503, 200) are its children;
    // the library made no CLIENT span of its own.
    const token = only(sdk.spans(), "kognic_auth.token_request");
    assert.equal(parentOf(token), call.spanContext().spanId);
    const wires = sdk.named("wire");
    assert.equal(wires.length, 3);
    for (const span of wires) assert.equal(parentOf(span), call.spanContext().spanId);
    assert.deepEqual(
      sdk.spans().filter((span) => span.kind === SpanKind.CLIENT).map((span) => span.name),
      ["wire", "wire", "wire"],
    );
  });
  const calls = await sdk.metric("kognic_auth.api.calls");
  assert.equal(calls?.unit, "{call}");
  assert.deepEqual(calls?.points, [{
    attributes: {
      "http.request.method": "GET",
      "server.address": "app.kognic.test",
      "server.port": 443,
      "kognic_auth.status_class": "2xx",
    },
    value: 1,
  }]);
  const retries = await sdk.metric("kognic_auth.api.retries");
  assert.equal(retries?.points[0].value, 1);
});

test("otel: a 401 that renews the token is counted, and so is a renewal refused as too soon", async () => {
  const sdk = createSdk();
  const { server, client } = await setup();
  instrument(client, sdk);
  await client.get("/v1/items");
  server.revoke(server.issuedTokens[0]);
  assert.equal((await client.fetch("/v1/items")).status, 200, "renewed after the 401");
  server.unauthorizedPaths.add("/v1/forbidden");
  assert.equal((await client.fetch("/v1/forbidden")).status, 401, "refused: too soon");
  const renewals = await sdk.metric("kognic_auth.token.renewals");
  assert.deepEqual(
    renewals?.points.map((point) => [point.attributes["kognic_auth.outcome"], point.value]),
    [["renewed", 1], ["refused", 1]],
  );
  const api = sdk.named("kognic_auth.api_call");
  assert.deepEqual(api.map((span) => span.attributes["http.response.status_code"]), [
    200,
    200,
    401,
  ]);
  assert.equal(api[2].attributes["error.type"], "401");
  const calls = await sdk.metric("kognic_auth.api.calls");
  assert.deepEqual(
    calls?.points.map((point) => [point.attributes["kognic_auth.status_class"], point.value]),
    [["2xx", 2], ["4xx", 1]],
  );
});

test("otel: a provider that waits on another's lease records the wait", async () => {
  const sdk = createSdk();
  const server = createKognicServer();
  const store = memoryStore();
  const options = {
    credentials: new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
    authHost: AUTH_HOST,
    fetch: server.fetch as typeof fetch,
    store: instrumentStore(store, { name: "memory", ...sdk }),
  };
  // The first's token endpoint answers after 60 ms; the second asks while it waits for that.
  const first = new TokenProvider({
    ...options,
    fetch: ((input: URL, init: RequestInit) =>
      new Promise((resolve) =>
        setTimeout(resolve, 60)
      ).then(() => server.fetch(input, init))) as typeof fetch,
  });
  const second = new TokenProvider(options);
  instrument(second, sdk);
  const token = first.getToken();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(await second.getToken(), await token, "the first's token");
  assert.equal(server.tokenRequests.length, 1);
  const wait = only(sdk.spans(), "kognic_auth.lease_wait");
  assert.equal(wait.attributes["kognic_auth.outcome"], "token");
  const waited = (wait.endTime[0] - wait.startTime[0]) * 1000 +
    (wait.endTime[1] - wait.startTime[1]) / 1e6;
  assert.ok(waited >= 40, `the span lasts the wait (${waited} ms)`);
  const waits = await sdk.metric("kognic_auth.lease.waits");
  assert.deepEqual(waits?.points, [{
    attributes: { "server.address": "auth.kognic.test", "kognic_auth.outcome": "token" },
    value: 1,
  }]);
  const leases = sdk.named("kognic_auth.store.lease").map((span) =>
    span.attributes["kognic_auth.lease_held"]
  );
  assert.equal(leases.filter((held) => held === false).length >= 1, true, "refused leases");
  assert.equal(sdk.named("kognic_auth.token_request").length, 0, "it asked for no token");
});

test("otel: gauges of the seconds left on the current token and the days left until the credentials expire", async () => {
  const sdk = createSdk();
  const server = createKognicServer();
  const client = await createClient({
    auth: new Credentials({
      clientId: TEST_CLIENT_ID,
      clientSecret: CANARY_SECRET,
      expires: new Date(Date.now() + 10 * 86_400_000),
    }),
    runtime: memoryRuntime(),
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    fetch: server.fetch as typeof fetch,
  });
  instrument(client, sdk);
  const credentials = await sdk.metric("kognic_auth.credentials.time_left");
  assert.equal(credentials?.unit, "d");
  const [days] = credentials!.points;
  assert.equal(days.attributes["server.address"], "auth.kognic.test");
  assert.ok(Math.abs((days.value as number) - 10) < 0.01, `${days.value} days`);
  const before = await sdk.metric("kognic_auth.token.time_left");
  assert.deepEqual(before?.points ?? [], [], "no token yet");
  await client.get("/v1/items");
  const after = await sdk.metric("kognic_auth.token.time_left");
  assert.equal(after?.unit, "s");
  const left = after!.points[0].value as number;
  assert.ok(left > 3590 && left <= 3600, `${left} s`);
});

test("otel: instrumentAll takes every client made after it, with the global providers; nothing is recorded without an SDK", async () => {
  const sdk = createSdk();
  // No SDK registered: instrumented clients work and record nothing.
  const stop = instrumentAll();
  try {
    const bare = await setup();
    assert.equal((await bare.client.fetch("/v1/items")).status, 200);
    assert.equal(sdk.spans().length, 0);
    trace.setGlobalTracerProvider(sdk.tracerProvider);
    metrics.setGlobalMeterProvider(sdk.meterProvider);
    // The same client records from now on (the SDK was registered after it was instrumented).
    assert.equal((await bare.client.fetch("/v1/items")).status, 200);
    assert.equal(sdk.named("kognic_auth.api_call").length, 1);
    const { client } = await setup();
    await client.get("/v1/items");
    assert.equal(sdk.named("kognic_auth.api_call").length, 2);
    assert.equal(sdk.named("kognic_auth.token_request").length, 1);
    // Instrumenting it again changes nothing.
    instrument(client);
    await client.get("/v1/items");
    assert.equal(sdk.named("kognic_auth.api_call").length, 3);
    const calls = await sdk.metric("kognic_auth.api.calls");
    assert.equal(calls?.points[0].value, 3);
  } finally {
    stop();
    trace.disable();
    metrics.disable();
  }
  const { client } = await setup();
  await client.get("/v1/items");
  assert.equal(sdk.named("kognic_auth.api_call").length, 3, "clients made after stop()");
});

test("otel: nothing exported holds a secret, a token, a query string or a header value", async () => {
  const sdk = createSdk();
  const store = memoryStore();
  const { server, client, clock } = await setup({}, {
    store: instrumentStore(store, { ...sdk }),
    headers: { "X-Default": HEADER_CANARY },
    retry: { baseDelay: 1 },
  });
  instrument(client, sdk);
  server.tokenFaults.push({ status: 400, json: { error: "invalid_client" } });
  await assert.rejects(client.fetch(`/v1/items?token=${QUERY_CANARY}`));
  await client.get(`/v1/items?token=${QUERY_CANARY}`, { headers: { "X-Own": HEADER_CANARY } });
  server.apiFaults.push({ status: 503 });
  await client.get(`/v1/items?secret=${QUERY_CANARY}`);
  await client.json("POST", `/v1/echo?secret=${QUERY_CANARY}`, { json: { a: HEADER_CANARY } });
  // A refresh with the refresh token, in the background, and a 401 that renews.
  clock.advance(3_600_000 - 45_000);
  await client.get("/v1/items");
  await new Promise((resolve) => setTimeout(resolve, 20));
  server.revoke(server.issuedTokens.at(-1)!);
  await client.get("/v1/items");
  assert.ok(server.issuedTokens.length >= 3);
  const exported = await sdk.exported();
  assert.ok(exported.includes("kognic_auth.token_request"));
  assert.ok(exported.includes('"refresh_token"'), "the refresh was traced");
  const secrets = [
    CANARY_SECRET,
    TOKEN_CANARY,
    QUERY_CANARY,
    HEADER_CANARY,
    btoa(`${TEST_CLIENT_ID}:${CANARY_SECRET}`),
    ...server.issuedTokens,
    ...[...store.tokens.values()].flatMap((token) => [token.refresh_token ?? "-"]),
  ];
  for (const secret of secrets) {
    assert.ok(!exported.includes(secret), `the exported telemetry holds ${secret.slice(0, 6)}…`);
  }
  // The run's output is scanned for the canaries too (scripts/test.sh): print what was exported.
  // deno-lint-ignore no-console
  console.log(`otel exported: ${exported}`);
});

test(
  "otel: examples/otel.ts runs against a served test server and prints spans and metrics, nothing secret",
  async () => {
    const server = createKognicServer();
    const served = await serve(server.fetch);
    try {
      const ran = await runProgram(repoPath("node_modules/node24/bin/node"), [
        repoPath("examples/otel.ts"),
      ], {
        env: {
          PATH: process.env.PATH ?? "",
          KOGNIC_URL: served.url,
          KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
          KOGNIC_CLIENT_SECRET: CANARY_SECRET,
        },
      });
      assert.equal(ran.code, 0, ran.stderr);
      const printed = ran.stdout + ran.stderr;
      for (const name of ["kognic_auth.api_call", "kognic_auth.token_request"]) {
        assert.ok(printed.includes(`name: '${name}'`), `a ${name} span`);
      }
      assert.ok(printed.includes("kognic_auth.token.requests"), "the token request counter");
      assert.equal(server.tokenRequests.length, 1);
      assert.equal(server.apiRequests.length, 2);
      for (const secret of [CANARY_SECRET, TOKEN_CANARY, ...server.issuedTokens]) {
        assert.ok(!printed.includes(secret), `the example printed ${secret.slice(0, 6)}…`);
      }
    } finally {
      await served.close();
    }
  },
  { needs: ["fs", "sockets", "subprocess"], timeout: 30_000 },
);

test(
  "otel: with Deno's built-in OpenTelemetry (OTEL_DENO=true) and no SDK, Deno exports the library's spans, its own fetch spans nested under the API call's, and no secret in them",
  async () => {
    const server = createKognicServer();
    const api = await serve(server.fetch);
    // An OTLP/HTTP collector that keeps what Deno sends as JSON.
    const exported: { traces: OtlpTraces[]; metrics: unknown[] } = { traces: [], metrics: [] };
    const collector = await serve(async (request) => {
      const body = JSON.parse(await request.text());
      if (request.url.endsWith("/v1/traces")) exported.traces.push(body);
      if (request.url.endsWith("/v1/metrics")) exported.metrics.push(body);
      return Response.json({});
    });
    try {
      const ran = await runProgram(repoPath("node_modules/.bin/deno"), [
        "run",
        "-A",
        "--quiet",
        repoPath("tests/support/deno_otel_main.ts"),
      ], {
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "/tmp",
          OTEL_DENO: "true",
          OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
          KOGNIC_URL: api.url,
          KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
          KOGNIC_CLIENT_SECRET: CANARY_SECRET,
        },
      });
      assert.equal(ran.code, 0, ran.stderr);
      const spans = exported.traces.flatMap((body) =>
        body.resourceSpans.flatMap((resource) =>
          resource.scopeSpans.flatMap((scope) =>
            scope.spans.map((span) => ({ scope: scope.scope.name, ...span }))
          )
        )
      );
      const ours = spans.filter((span) => span.scope === "@kognic/auth");
      const calls = ours.filter((span) => span.name === "kognic_auth.api_call");
      assert.equal(calls.length, 2);
      const token = ours.find((span) => span.name === "kognic_auth.token_request");
      assert.equal(token?.parentSpanId, calls[0].spanId, "the token request under the first call");
      const wire = spans.filter((span) => span.scope !== "@kognic/auth");
      assert.equal(wire.length, 3, "Deno's fetch spans: the token request and two API requests");
      for (const span of wire) {
        assert.ok(calls.some((call) => call.spanId === span.parentSpanId), "under an API call");
      }
      const text = JSON.stringify(ours);
      for (const secret of [CANARY_SECRET, TOKEN_CANARY, QUERY_CANARY, ...server.issuedTokens]) {
        assert.ok(!text.includes(secret), `the library's spans hold ${secret.slice(0, 6)}…`);
      }
      assert.ok(JSON.stringify(exported.metrics).includes("kognic_auth.token.requests"));
    } finally {
      await api.close();
      await collector.close();
    }
  },
  { needs: ["fs", "sockets", "subprocess"], timeout: 30_000 },
);

/** What Deno's OTLP/HTTP exporter sends for traces, as JSON (the fields the case reads). */
interface OtlpTraces {
  resourceSpans: {
    scopeSpans: {
      scope: { name: string };
      spans: { name: string; spanId: string; parentSpanId?: string }[];
    }[];
  }[];
}

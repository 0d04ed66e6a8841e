import assert from "node:assert/strict";
import { Credentials, type KognicAuthError } from "../../mod.ts";
import { resolveCredentials, TokenProvider } from "../../src/core.ts";
import { edgeFetch, kvTokenStore } from "../../src/edge/mod.ts";
import { edgeClient } from "../../src/edge/client.ts";
import { edgeRuntime } from "../../src/runtime/edge.ts";
import { edgeTokenProvider } from "../../src/token/isolate.ts";
import { test } from "../support/harness.ts";
import { API_BASE, assertNoSecrets, CANARY_SECRET, thrown } from "../support/fixtures.ts";
import { FakeClock } from "../support/clock.ts";
import { createKognicServer } from "../support/kognic_server.ts";
import { MemoryKv } from "../support/memory_kv.ts";
import { createClient, type StoredToken, type TokenStore } from "../../mod.ts";
import { durableObjectTokenStore, KognicTokenCoordinator } from "../../src/edge/durable_object.ts";

// Providers are shared per isolate: every case uses an auth host of its own.
let hosts = 0;
const uniqueAuthHost = () => `https://auth-${++hosts}.edge.kognic.test`;

test("edge: edgeClient takes credentials from string bindings and calls the API", async () => {
  const server = createKognicServer({ clientId: "edge-id" });
  const env = { KOGNIC_CLIENT_ID: "edge-id", KOGNIC_CLIENT_SECRET: CANARY_SECRET, TOKENS: {} };
  const kognic = edgeClient(env, {
    authHost: uniqueAuthHost(),
    baseUrl: API_BASE,
    fetch: server.fetch as typeof fetch,
  });
  const response = await kognic.request("GET", "/v1/whoami");
  assert.equal((await response.json()).data.clientId, "edge-id");
  assert.equal(server.tokenRequests.length, 1);
  assert.match(server.tokenRequests[0].body, /^grant_type=client_credentials&client_id=edge-id&/);
});

test("edge: edgeFetch carries the token from string bindings, relative to the base URL", async () => {
  const server = createKognicServer({ clientId: "edge-fetch" });
  const env = { KOGNIC_CLIENT_ID: "edge-fetch", KOGNIC_CLIENT_SECRET: CANARY_SECRET, TOKENS: {} };
  const kognicFetch = edgeFetch(env, {
    authHost: uniqueAuthHost(),
    baseUrl: API_BASE,
    fetch: server.fetch as typeof fetch,
    organizationId: 7,
    clientName: "edge-test",
  });
  const response = await kognicFetch("/v1/whoami", { headers: { "x-extra": "1" } });
  assert.equal((await response.json()).data.clientId, "edge-fetch");
  const sent = server.apiRequests[0];
  assert.equal(sent.url, `${API_BASE}/v1/whoami`);
  assert.equal(sent.headers.authorization, `Bearer ${server.issuedTokens[0]}`);
  assert.equal(sent.headers["x-organization-id"], "7");
  assert.equal(sent.headers["x-extra"], "1");
  assert.match(sent.headers["user-agent"], /^kognic-auth-js\/\S+ edge-test$/);
  assert.equal((await kognicFetch(`${API_BASE}/v1/whoami`)).status, 200);
  assert.equal(server.tokenRequests.length, 1);
  assert.match(
    server.tokenRequests[0].body,
    /^grant_type=client_credentials&client_id=edge-fetch&/,
  );
});

test("edge: edgeFetch renews the token after a 401 and sends the request once more", async () => {
  const server = createKognicServer({ clientId: "edge-401" });
  const env = { KOGNIC_CLIENT_ID: "edge-401", KOGNIC_CLIENT_SECRET: CANARY_SECRET };
  const kognicFetch = edgeFetch(env, {
    authHost: uniqueAuthHost(),
    baseUrl: API_BASE,
    fetch: server.fetch as typeof fetch,
  });
  assert.equal((await kognicFetch("/v1/whoami")).status, 200);
  server.revoke(server.issuedTokens[0]);
  const response = await kognicFetch("/v1/echo", { method: "POST", body: "again" });
  assert.equal(response.status, 200);
  assert.equal(server.tokenRequests.length, 2);
  assert.deepEqual(server.apiRequests.slice(1).map((request) => request.body), ["again", "again"]);
  // No retries on this path: a 503 comes back as it is.
  server.apiFaults.push({ status: 503 });
  assert.equal((await kognicFetch("/v1/whoami")).status, 503);
  assert.equal(server.apiRequests.length, 4);
});

test("edge: edgeFetch never sends the token to another origin or over plain http", async () => {
  const server = createKognicServer({ clientId: "edge-redirect" });
  const seen: { url: string; authorization: string | null }[] = [];
  const transport = (input: Request | URL | string, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    seen.push({ url, authorization: new Headers(init?.headers).get("authorization") });
    if (url === `${API_BASE}/v1/moved`) {
      return Promise.resolve(
        new Response(null, { status: 302, headers: { location: "https://elsewhere.test/x" } }),
      );
    }
    if (url.startsWith("https://elsewhere.test/")) return Promise.resolve(new Response("there"));
    return server.fetch(input, init);
  };
  const kognicFetch = edgeFetch({
    KOGNIC_CLIENT_ID: "edge-redirect",
    KOGNIC_CLIENT_SECRET: CANARY_SECRET,
  }, {
    authHost: uniqueAuthHost(),
    baseUrl: API_BASE,
    fetch: transport as typeof fetch,
  });
  assert.equal(await (await kognicFetch("/v1/moved")).text(), "there");
  const calls = seen.filter(({ url }) => !url.includes("/oauth/"));
  assert.equal(calls[0].authorization?.startsWith("Bearer "), true);
  assert.deepEqual(calls[1], { url: "https://elsewhere.test/x", authorization: null });
  const insecure = await thrown(() => kognicFetch("http://app.kognic.test/v1/whoami"));
  assert.equal((insecure as KognicAuthError).code, "INSECURE_URL");
  const insecureBase = await thrown(() =>
    edgeFetch({ KOGNIC_CLIENT_ID: "edge-redirect", KOGNIC_CLIENT_SECRET: CANARY_SECRET }, {
      baseUrl: "http://app.kognic.test",
    })
  );
  assert.equal((insecureBase as KognicAuthError).code, "INSECURE_URL");
});

test("edge: missing bindings give an error naming the variables expected, never a file", async () => {
  const missing = await thrown(() => edgeFetch({ OTHER: "x" }));
  assert.equal((missing as KognicAuthError).code, "CREDENTIALS_NOT_FOUND");
  assert.match((missing as Error).message, /KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET/);

  const path = await thrown(() => edgeClient({ KOGNIC_CREDENTIALS: "/creds.json" }));
  assert.equal((path as KognicAuthError).code, "CREDENTIALS_NOT_FOUND");
  assert.match((path as Error).message, /KOGNIC_CREDENTIALS is set, but it names a file/);
  assert.match((path as Error).message, /no file system/);

  const half = await thrown(() => edgeFetch({ KOGNIC_CLIENT_SECRET: CANARY_SECRET }));
  assert.equal((half as KognicAuthError).code, "CREDENTIALS_ENV_INCOMPLETE");
  assert.match((half as Error).message, /KOGNIC_CLIENT_ID/);
  for (const error of [missing, path, half]) assertNoSecrets(error);

  // resolveCredentials on the edge adapter says the same.
  const resolved = await thrown(() => resolveCredentials({ runtime: edgeRuntime({ env: {} }) }));
  assert.equal((resolved as KognicAuthError).code, "CREDENTIALS_NOT_FOUND");
  assert.match(
    (resolved as Error).message,
    /edge runtime has no file system: set KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET/,
  );
});

test("edge: the auth option and explicit id and secret win over the bindings", async () => {
  const authHost = uniqueAuthHost();
  const env = { KOGNIC_CLIENT_ID: "from-env", KOGNIC_CLIENT_SECRET: "env-secret" };
  const pair = edgeClient(env, { auth: ["from-pair", CANARY_SECRET], authHost });
  const credentials = new Credentials({ clientId: "from-object", clientSecret: CANARY_SECRET });
  const object = edgeClient(env, { auth: credentials, authHost });
  const explicit = edgeClient(env, {
    clientId: "from-options",
    clientSecret: CANARY_SECRET,
    authHost,
  });
  assert.equal(await pair.provider.cacheKey(), `${authHost}:from-pair`);
  assert.equal(await object.provider.cacheKey(), `${authHost}:from-object`);
  assert.equal(await explicit.provider.cacheKey(), `${authHost}:from-options`);
  // A path or a plain object is refused, never swapped for the bindings' credentials.
  for (const auth of ["/creds.json", { clientId: "from-plain", clientSecret: CANARY_SECRET }]) {
    const error = await thrown(() =>
      edgeFetch(env, { auth: auth as unknown as readonly string[] })
    );
    assert.equal((error as KognicAuthError).code, "INVALID_OPTIONS");
    assert.match((error as Error).message, /pair or Credentials/);
    assertNoSecrets(error);
  }
  const expired = new Credentials({
    clientId: "old",
    clientSecret: CANARY_SECRET,
    expires: new Date(Date.UTC(2020, 0, 1)),
  });
  const error = await thrown(() => edgeClient({}, { auth: expired }));
  assert.equal((error as KognicAuthError).code, "CREDENTIALS_EXPIRED");
});

test("edge: clients made per request share one token per isolate", async () => {
  const server = createKognicServer({ clientId: "edge-reuse" });
  const authHost = uniqueAuthHost();
  const env = { KOGNIC_CLIENT_ID: "edge-reuse", KOGNIC_CLIENT_SECRET: CANARY_SECRET };
  const options = { authHost, baseUrl: API_BASE, fetch: server.fetch as typeof fetch };
  const first = edgeClient(env, options);
  await first.request("GET", "/v1/whoami");
  const clients = [edgeClient(env, options), edgeClient(env, options), edgeClient(env, options)];
  await Promise.all(clients.map((kognic) => kognic.request("GET", "/v1/whoami")));
  assert.equal(server.tokenRequests.length, 1);
  assert.equal(server.apiRequests.length, 4);
  if (globalThis.navigator?.userAgent === "Cloudflare-Workers") {
    // A provider per client: a request's token request is never awaited by another request.
    assert.notEqual(clients[0].provider, first.provider);
  } else {
    assert.equal(clients[0].provider, first.provider, "one provider for the isolate");
  }
  // Another scope set or auth host is another token.
  await edgeClient(env, { ...options, scopes: ["api:read"] }).request("GET", "/v1/whoami");
  await edgeClient(env, { ...options, authHost: uniqueAuthHost() }).request("GET", "/v1/whoami");
  assert.equal(server.tokenRequests.length, 3);
  // edgeFetch and edgeClient of the same options share the provider, and so the token.
  const lean = edgeFetch(env, options);
  await lean("/v1/whoami");
  assert.equal(server.tokenRequests.length, 3);
  if (globalThis.navigator?.userAgent !== "Cloudflare-Workers") {
    assert.equal(lean.provider, first.provider);
  }
  assert.equal(await lean.provider.cacheKey(), await first.provider.cacheKey());
  // Rotated credentials with the same id get a provider of their own.
  const rotated = edgeClient({ ...env, KOGNIC_CLIENT_SECRET: "rotated-secret" }, options);
  assert.notEqual(rotated.provider, first.provider);
});

test("edge: on Workers a clock that does not move cannot keep a request waiting for another's token", async () => {
  // The isolate-wide store of Workers, where the runtime has none (it is told by WebSocketPair).
  const host = globalThis as { WebSocketPair?: unknown };
  const own = host.WebSocketPair;
  if (typeof own !== "function") host.WebSocketPair = function WebSocketPair() {};
  let answer = () => {};
  let timer;
  try {
    const hanging = new Promise<void>((resolve) => answer = resolve);
    let sent = () => {};
    const first = new Promise<void>((resolve) => sent = resolve);
    let requests = 0;
    // The first token request is answered only at the end; the next at once.
    const fetcher = (async () => {
      const n = ++requests;
      if (n === 1) {
        sent();
        await hanging;
      }
      return Response.json({ access_token: `token-${n}`, token_type: "Bearer", expires_in: 3600 });
    }) as typeof fetch;
    // Its time never moves; its pauses are real (zero-delay timers).
    const frozen = {
      now: () => Date.UTC(2026, 0, 1),
      sleep: () => new Promise<void>((resolve) => setTimeout(resolve, 0)),
    };
    const options = {
      credentials: new Credentials({ clientId: "edge-frozen", clientSecret: CANARY_SECRET }),
      authHost: uniqueAuthHost(),
      fetch: fetcher,
      clock: frozen,
    };
    const claimer = edgeTokenProvider(options);
    const waiter = edgeTokenProvider(options);
    assert.notEqual(claimer, waiter, "a provider per request");
    const claimed = claimer.getToken();
    await first;
    // The waiter waits for the claimer's token, then (the claim never ending by this clock)
    // asks for one itself.
    const late = new Promise((resolve) => timer = setTimeout(resolve, 20_000, "still waiting"));
    assert.equal(await Promise.race([waiter.getToken(), late]), "token-2");
    answer();
    assert.equal(await claimed, "token-1");
    assert.equal(requests, 2);
  } finally {
    clearTimeout(timer);
    answer();
    if (typeof own !== "function") delete host.WebSocketPair;
  }
});

test("edge: the KV store saves JSON with a time to live and serves it back", async () => {
  const kv = new MemoryKv();
  const clock = new FakeClock();
  const store = kvTokenStore(kv, { now: () => clock.now() });
  const expiresAt = clock.now() / 1000 + 3600;
  await store.save("https://auth.kognic.test:id", {
    access_token: "a",
    token_type: "Bearer",
    expires_at: expiresAt,
  });
  assert.deepEqual(kv.puts.map(({ key, expirationTtl }) => [key, expirationTtl]), [
    ["kognic-auth:https://auth.kognic.test:id", 3600],
  ]);
  assert.equal((await store.load("https://auth.kognic.test:id"))?.access_token, "a");
  assert.equal(await store.load("https://auth.kognic.test:other"), undefined);
  // Workers KV refuses a TTL under 60 s; a token without expiry gets none.
  await store.save("short", {
    access_token: "b",
    token_type: "Bearer",
    expires_at: expiresAt - 3590,
  });
  await store.save("forever", { access_token: "c", token_type: "Bearer" });
  assert.deepEqual(kv.puts.slice(1).map(({ expirationTtl }) => expirationTtl), [60, undefined]);
});

test("edge: two providers sharing a KV store make one token request between them", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const kv = new MemoryKv();
  const make = () =>
    new TokenProvider({
      credentials: new Credentials({ clientId: "test-client-id", clientSecret: CANARY_SECRET }),
      authHost: "https://auth.kognic.test",
      fetch: server.fetch as typeof fetch,
      clock,
      store: kvTokenStore(kv, { now: () => clock.now() }),
    });
  const first = await make().getToken();
  const second = await make().getToken();
  assert.equal(second, first);
  assert.equal(server.tokenRequests.length, 1);
  assertNoSecrets([...kv.entries.keys()].join(" "));
});

test(
  "edge: with a store that leases, a cold burst of providers makes one token request: the " +
    "Durable Object store under edgeFetch, a store of one's own under edgeClient and createClient",
  async () => {
    const server = createKognicServer({ clientId: "lease-id" });
    // A slow token endpoint, so that the providers' token requests would overlap.
    const slow = async (input: Request | URL | string, init?: RequestInit) => {
      if (String(input instanceof Request ? input.url : input).endsWith("/token")) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return await server.fetch(input, init);
    };
    /** A store of one's own: a map and a lease, no coordination of the library's. */
    const ownStore = (): TokenStore => {
      const tokens = new Map<string, StoredToken>();
      let held: { owner: string; until: number } | undefined;
      return {
        load: (key) => Promise.resolve(tokens.get(key)),
        save: (key, token) => Promise.resolve(void tokens.set(key, token)),
        lease: (_key, owner, ttl) => {
          if (held && held.owner !== owner && held.until > Date.now()) {
            return Promise.resolve(false);
          }
          held = { owner, until: Date.now() + ttl };
          return Promise.resolve(true);
        },
        release: (_key, owner) => {
          if (held?.owner === owner) held = undefined;
          return Promise.resolve();
        },
      };
    };
    const coordinator = new KognicTokenCoordinator();
    const namespace = {
      idFromName: (name: string) => name,
      get: () => ({
        fetch: (url: string, init?: RequestInit) => coordinator.fetch(new Request(url, init)),
      }),
    };
    const env = { KOGNIC_CLIENT_ID: "lease-id", KOGNIC_CLIENT_SECRET: CANARY_SECRET };
    const makers: [string, (store: TokenStore, authHost: string) => Promise<Response>][] = [
      ["edgeFetch", (store, authHost) =>
        // A `fetch` of its own each: a provider of its own each.
        edgeFetch(env, { store, authHost, baseUrl: API_BASE, fetch: (i, o) => slow(i, o) })(
          "/v1/whoami",
        )],
      [
        "edgeClient",
        (store, authHost) =>
          edgeClient(env, { store, authHost, baseUrl: API_BASE, fetch: (i, o) => slow(i, o) })
            .fetch("/v1/whoami"),
      ],
      ["createClient", async (store, authHost) =>
        (await createClient({
          clientId: "lease-id",
          clientSecret: CANARY_SECRET,
          store,
          authHost,
          baseUrl: API_BASE,
          fetch: (i, o) => slow(i, o),
        })).fetch("/v1/whoami")],
    ];
    for (const [name, make] of makers) {
      const store = name === "edgeFetch" ? durableObjectTokenStore(namespace) : ownStore();
      const authHost = uniqueAuthHost();
      const before = server.tokenRequests.length;
      const responses = await Promise.all(Array.from({ length: 6 }, () => make(store, authHost)));
      for (const response of responses) assert.equal(response.status, 200, name);
      assert.equal(server.tokenRequests.length - before, 1, `${name}: one token request`);
    }
  },
);

test("edge: each edge entry exports its own feature (edgeClient does not re-export edgeFetch)", async () => {
  const client = await import("../../src/edge/client.ts");
  assert.deepEqual(Object.keys(client).sort(), ["HttpError", "edgeClient"]);
  const edge = await import("../../src/edge/mod.ts");
  assert.deepEqual(Object.keys(edge).sort(), [
    "Credentials",
    "KognicAuthError",
    "TokenError",
    "edgeFetch",
    "edgeRuntime",
    "kvTokenStore",
  ]);
});

// Transport security over real sockets, on every runtime: whatever the runtime's own fetch
// does with redirects, the bearer token reaches only the origin it was meant for.
import assert from "node:assert/strict";
import { Hono } from "hono";
import {
  type Clock,
  createClient,
  Credentials,
  HttpError,
  type KognicAuthError,
  type KognicClient,
  type TokenEvent,
} from "../../mod.ts";
import { FakeClock } from "../support/clock.ts";
import { createAuthFetch, TokenProvider } from "../../src/core.ts";
import { edgeFetch } from "../../src/edge/mod.ts";
import { edgeClient } from "../../src/edge/client.ts";
import { kognicClient, type KognicEnv, kognicProxy } from "../../src/hono/mod.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import { test } from "../support/harness.ts";
import {
  API_BASE,
  assertNoSecrets,
  AUTH_HOST,
  CANARY_SECRET,
  TEST_CLIENT_ID,
  thrown,
} from "../support/fixtures.ts";
import { createKognicServer, type KognicServer } from "../support/kognic_server.ts";
import { serve, type Served } from "../support/serve.ts";

interface Origins {
  kognic: KognicServer;
  other: KognicServer;
  home: Served;
  away: Served;
  client: KognicClient;
}

/** Two test servers on two loopback origins, and a client of the first one. */
async function twoOrigins(fn: (origins: Origins) => Promise<void>): Promise<void> {
  const kognic = createKognicServer();
  const other = createKognicServer();
  const home = await serve(kognic.fetch);
  const away = await serve(other.fetch);
  try {
    // Its own clock: a provider of its own, not one shared with another case.
    const client = await createClient({
      auth: [TEST_CLIENT_ID, CANARY_SECRET],
      baseUrl: home.url,
      authHost: home.url,
      clock: { now: () => Date.now() },
    });
    await fn({ kognic, other, home, away, client });
  } finally {
    await Promise.all([home.close(), away.close()]);
  }
}

test(
  "security: over sockets a cross-origin redirect drops the token, a same-origin one keeps it",
  () =>
    twoOrigins(async ({ kognic, other, away, client }) => {
      const same = await client.fetch("/v1/redirect?to=/v1/echo");
      assert.equal(same.status, 200);
      assert.equal((await same.json()).data.headers.authorization, "[present]");
      for (const status of [301, 302, 303, 307, 308]) {
        const response = await client.fetch(
          `/v1/redirect?status=${status}&to=${encodeURIComponent(`${away.url}/v1/echo`)}`,
        );
        assert.equal(
          response.status,
          401,
          `${status}: the other origin answers 401 because it saw no token`,
        );
        await response.body?.cancel();
      }
      assert.equal(other.apiRequests.length, 5);
      for (const request of other.apiRequests) {
        assert.equal(request.headers.authorization, undefined);
        assert.ok(!JSON.stringify(request).includes(kognic.issuedTokens[0]));
      }
      assert.equal(
        kognic.tokenRequests.length,
        1,
        "a 401 from another origin does not invalidate the token",
      );
    }),
  { needs: ["sockets"] },
);

test(
  "security: the client secret never leaves in a URL, and token requests are never redirected",
  () =>
    twoOrigins(async ({ kognic, other, away, client }) => {
      kognic.tokenFaults.push({
        status: 307,
        headers: { location: `${away.url}/v1/auth/oauth/token` },
      });
      await assert.rejects(client.provider.getToken(), { code: "TOKEN_HTTP_ERROR" });
      assert.equal(other.tokenRequests.length, 0, "the secret did not follow the redirect");
      await client.provider.getToken();
      for (const request of kognic.tokenRequests) assert.ok(!request.url.includes(CANARY_SECRET));
    }),
  { needs: ["sockets"] },
);

test("security: a used client, its provider and its fetch print without the secret or the token", async () => {
  const { setup } = await import("../support/fixtures.ts");
  const { server, client } = await setup();
  await client.get("/v1/whoami");
  const token = server.issuedTokens[0];
  assertNoSecrets(client, [CANARY_SECRET, token]);
  assertNoSecrets(client.provider, [CANARY_SECRET, token]);
  assertNoSecrets({ client, fetch: client.fetch }, [CANARY_SECRET, token]);
});

// ---------------------------------------------------------------------------------------------
// Where the token goes: only to the base URL's origin and the listed `tokenOrigins`, through
// every entry point. Other origins get the request without it and cause no token request.

/** A `fetch`-like call of one entry point; client methods that throw for non-2xx included. */
type Call = (input: Request | URL | string, init?: RequestInit) => Promise<unknown>;

interface EntryOptions {
  baseUrl: string;
  authHost: string;
  fetch?: typeof fetch;
  tokenOrigins?: string[];
  clock: Clock;
}

interface Entry {
  name: string;
  /** Takes `Request` objects (client methods take a path or a URL). */
  requests: boolean;
  make(options: EntryOptions): Promise<Call> | Call;
}

const env = { KOGNIC_CLIENT_ID: TEST_CLIENT_ID, KOGNIC_CLIENT_SECRET: CANARY_SECRET };
const clientOf = (options: EntryOptions) =>
  createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    ...options,
    ...(options.fetch ? { runtime: memoryRuntime() } : {}),
  });
const pathOf = (input: Request | URL | string) => input as URL | string;
const methodsOf = (client: KognicClient): [string, Call][] => [
  ["fetch", (input, init) => client.fetch(input, init)],
  ["request", (input, init) => client.request("GET", pathOf(input), { headers: init?.headers })],
  ["json", (input, init) => client.json("GET", pathOf(input), { headers: init?.headers })],
  ["get", (input, init) => client.get(pathOf(input), { headers: init?.headers })],
];

const ENTRIES: Entry[] = [
  {
    name: "createAuthFetch",
    requests: true,
    make: ({ baseUrl, authHost, fetch, tokenOrigins, clock }) =>
      createAuthFetch(
        new TokenProvider({
          credentials: new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
          authHost,
          fetch,
          clock,
        }),
        { baseUrl, fetch, tokenOrigins },
      ),
  },
  ...["fetch", "request", "json", "get"].map((method, index) => ({
    name: `KognicClient.${method}`,
    requests: method === "fetch",
    make: async (options: EntryOptions) => methodsOf(await clientOf(options))[index][1],
  })),
  {
    name: "edgeFetch",
    requests: true,
    make: (options) => edgeFetch(env, options),
  },
  ...["fetch", "get"].map((method) => ({
    name: `edgeClient.${method}`,
    requests: method === "fetch",
    make: (options: EntryOptions) => new Map(methodsOf(edgeClient(env, options))).get(method)!,
  })),
  {
    name: "Hono kognicClient",
    requests: true,
    make: (options) => {
      let pending: Parameters<Call> = ["/"];
      const app = new Hono<KognicEnv>();
      app.use(kognicClient({
        auth: [TEST_CLIENT_ID, CANARY_SECRET],
        ...options,
        ...(options.fetch ? { runtime: memoryRuntime() } : {}),
      }));
      app.all("*", (c) => c.var.kognic.fetch(...pending));
      return async (input, init) => {
        pending = [input, init];
        return await app.fetch(new Request("https://hono.example/"));
      };
    },
  },
];

interface World {
  /** The base URL, on the token server. */
  home: string;
  /** Origins that are not token origins, each reaching a server that records requests. */
  foreign: { label: string; url: string }[];
  /** A URL whose origin answers 401 to a request without a token. */
  foreign401: string;
  /** A scheme-relative URL that resolves to another origin, and what it resolves to. */
  schemeRelative: [string, string];
  /** An origin listed in `tokenOrigins`. */
  listed: string;
  token: KognicServer;
  other: KognicServer;
  fetch?: typeof fetch;
}

/** Every request the two servers saw for `url`. */
function seen(world: World, url: string) {
  return [...world.token.apiRequests, ...world.other.apiRequests].filter((r) => r.url === url);
}

async function settle(promise: Promise<unknown>): Promise<void> {
  try {
    const value = await promise;
    if (value instanceof Response) await value.body?.cancel();
  } catch (error) {
    // The client methods throw for a 401; nothing else may fail.
    if (!(error instanceof HttpError)) throw error;
  }
}

/** The origin rule for one entry point in one world. */
async function checkOrigins(entry: Entry, world: World): Promise<void> {
  const { token } = world;
  token.reset();
  world.other.reset();
  const call = await entry.make({
    baseUrl: world.home,
    authHost: world.home,
    fetch: world.fetch,
    tokenOrigins: [world.listed],
    clock: { now: () => Date.now() },
  });
  const why = (what: string) => `${entry.name}: ${what}`;
  const last = (url: string) => seen(world, url).at(-1);

  // Other origins: sent, without Authorization, without a token request.
  const targets: [string, Request | URL | string, string][] = world.foreign.map((
    { label, url },
  ) => [label, url, url]);
  const [relative, resolved] = world.schemeRelative;
  targets.push(["scheme-relative", relative, resolved]);
  const asUrl = `${world.foreign[0].url}?as=url`;
  targets.push(["URL object", new URL(asUrl), asUrl]);
  if (entry.requests) {
    const asRequest = `${world.foreign[0].url}?as=request`;
    targets.push(["Request object", new Request(asRequest), asRequest]);
  }
  for (const [label, input, url] of targets) {
    await settle(call(input));
    const request = last(url);
    assert.ok(request, why(`${label} was sent`));
    assert.equal(request.headers.authorization, undefined, why(`${label} has no token`));
  }
  // The caller's own Authorization goes to another origin as it was given.
  const own = `${world.foreign[0].url}?own=1`;
  await settle(call(own, { headers: { authorization: "Basic b3duOmhlYWRlcg==" } }));
  assert.equal(last(own)?.headers.authorization, "Basic b3duOmhlYWRlcg==", why("own header"));
  // A 401 from another origin: no renewal, no resend.
  await settle(call(world.foreign401));
  assert.equal(seen(world, world.foreign401).length, 1, why("the foreign 401 is not resent"));
  assert.equal(token.tokenRequests.length, 0, why("no token request for other origins"));

  // The base URL's origin and a listed origin get the token, and the caller's header never
  // replaces it there.
  const home = `${world.home}/public/echo`;
  await settle(call(home, { headers: { authorization: "Basic b3duOmhlYWRlcg==" } }));
  assert.equal(token.tokenRequests.length, 1, why("one token request"));
  const bearer = `Bearer ${token.issuedTokens[0]}`;
  assert.equal(last(home)?.headers.authorization, bearer, why("the base URL's origin"));
  const listed = `${world.listed}/public/echo`;
  await settle(call(listed));
  assert.equal(last(listed)?.headers.authorization, bearer, why("a listed origin"));

  // A 401 from another origin after that invalidates nothing.
  await settle(call(world.foreign401));
  assert.equal(seen(world, world.foreign401).length, 2, why("the foreign 401 is not resent"));
  await settle(call("/public/echo"));
  assert.equal(last(home)?.headers.authorization, bearer, why("the token is still current"));
  assert.equal(token.tokenRequests.length, 1, why("the foreign 401 invalidated nothing"));

  for (const request of world.other.apiRequests.concat(world.token.apiRequests)) {
    const origin = new URL(request.url).origin;
    if (origin !== new URL(world.home).origin && origin !== new URL(world.listed).origin) {
      assert.ok(
        !JSON.stringify(request).includes(token.issuedTokens[0]),
        why(`no token at ${origin}`),
      );
    }
  }
}

/**
 * Over real sockets: the token server on 127.0.0.1:P and 127.0.0.2:P, another server on
 * 127.0.0.1:Q and (listed) 127.0.0.2:Q.
 */
async function socketWorld(fn: (world: World) => Promise<void>): Promise<void> {
  const token = createKognicServer();
  const other = createKognicServer();
  const home = await serve(token.fetch);
  const away = await serve(other.fetch);
  const port = (served: { url: string }) => Number(new URL(served.url).port);
  const twins = [
    await serve(token.fetch, { hostname: "127.0.0.2", port: port(home) }),
    await serve(other.fetch, { hostname: "127.0.0.2", port: port(away) }),
  ];
  try {
    await fn({
      home: home.url,
      foreign: [
        { label: "another port", url: `${away.url}/public/echo` },
        { label: "another host (127.0.0.2)", url: `${twins[0].url}/public/echo` },
        { label: "another host (localhost)", url: `http://localhost:${port(home)}/public/echo` },
      ],
      foreign401: `${away.url}/v1/whoami`,
      schemeRelative: [`//127.0.0.2:${port(home)}/public/echo`, `${twins[0].url}/public/echo`],
      listed: twins[1].url,
      token,
      other,
    });
  } finally {
    await Promise.all([home, away, ...twins].map((served) => served.close()));
  }
}

/**
 * In-process, for every runtime (workerd too): a `fetch` that hands requests for the base URL's
 * origin to the token server and all others to a recording one; URLs never connected to, so
 * https and http of one host can be told apart.
 */
function memoryWorld(): World {
  const token = createKognicServer();
  const other = createKognicServer();
  const home = "http://127.0.0.1:8080";
  const fetch = ((input: Request | URL | string, init?: RequestInit) => {
    const request = new Request(input, init);
    return (new URL(request.url).origin === home ? token : other).fetch(request);
  }) as typeof globalThis.fetch;
  return {
    home,
    foreign: [
      { label: "https instead of http", url: "https://127.0.0.1:8080/public/echo" },
      { label: "another port", url: "http://127.0.0.1:8443/public/echo" },
      { label: "another host (127.0.0.2)", url: "http://127.0.0.2:8080/public/echo" },
      { label: "another host (localhost)", url: "http://localhost:8080/public/echo" },
      { label: "another host (https)", url: "https://files.kognic.test/public/echo" },
    ],
    foreign401: "http://127.0.0.1:8443/v1/whoami",
    schemeRelative: ["//localhost:9/public/echo", "http://localhost:9/public/echo"],
    listed: "https://uploads.kognic.test",
    token,
    other,
    fetch,
  };
}

for (const entry of ENTRIES) {
  test(
    `security: over sockets ${entry.name} sends the token only to the base URL's origin and tokenOrigins`,
    () => socketWorld((world) => checkOrigins(entry, world)),
    { needs: ["sockets"] },
  );
  test(
    `security: ${entry.name} sends the token only to the base URL's origin and tokenOrigins (in-process)`,
    () => checkOrigins(entry, memoryWorld()),
  );
}

/** Redirects hand the token on only to token origins, and once dropped it stays dropped. */
async function redirectOrigins(world: World): Promise<void> {
  const { token } = world;
  const call = (await clientOf({
    baseUrl: world.home,
    authHost: world.home,
    tokenOrigins: [world.listed],
    fetch: world.fetch,
    clock: { now: () => Date.now() },
  })).fetch;
  const to = (url: string) => `/v1/redirect?to=${encodeURIComponent(url)}`;
  const listed = `${world.listed}/public/echo`;
  await (await call(to(listed))).body?.cancel();
  assert.equal(seen(world, listed)[0].headers.authorization, `Bearer ${token.issuedTokens[0]}`);
  // Home → another origin → back home: the last hop goes without the token.
  const back = `${world.home}/public/echo?back=1`;
  const away = `${world.foreign[0].url.replace("/public/echo", "")}/public/redirect?to=${
    encodeURIComponent(back)
  }`;
  const response = await call(to(away));
  assert.equal(response.status, 200);
  await response.body?.cancel();
  assert.equal(seen(world, back)[0].headers.authorization, undefined);

  // A caller's own Authorization to another origin follows a redirect within that origin only,
  // as fetch does.
  const own = { headers: { authorization: "Basic b3duOmhlYWRlcg==" } };
  const foreign = world.foreign[0].url.replace("/public/echo", "");
  const via = (url: string) => `${foreign}/public/redirect?to=${encodeURIComponent(url)}`;
  const same = `${foreign}/public/echo?own=same`;
  await (await call(via(same), own)).body?.cancel();
  assert.equal(seen(world, same)[0].headers.authorization, own.headers.authorization);
  const cross = `${world.foreign[1].url}?own=cross`;
  await (await call(via(cross), own)).body?.cancel();
  assert.equal(seen(world, cross)[0].headers.authorization, undefined);

  // An Authorization among the default headers is never sent: not to another origin, and the
  // token replaces it at home.
  const defaults = (await clientOf({
    baseUrl: world.home,
    authHost: world.home,
    fetch: world.fetch,
    clock: { now: () => Date.now() },
    headers: { Authorization: "Basic ZGVmYXVsdDpoZWFkZXI=" },
  } as EntryOptions)).fetch;
  const plain = `${world.foreign[0].url}?defaults=1`;
  await (await defaults(plain)).body?.cancel();
  assert.equal(seen(world, plain)[0].headers.authorization, undefined);
  await (await defaults(via(cross + "&defaults=1"))).body?.cancel();
  assert.equal(seen(world, `${cross}&defaults=1`)[0].headers.authorization, undefined);
}

test(
  "security: over sockets a redirect hands the token on only to a token origin, and once dropped never again; other Authorization stays within its origin",
  () => socketWorld(redirectOrigins),
  { needs: ["sockets"] },
);

test(
  "security: a redirect hands the token on only to a token origin, and once dropped never again; other Authorization stays within its origin (in-process)",
  () => redirectOrigins(memoryWorld()),
);

test("security: a redirect to a file:, data: or blob: URL, or to plain http elsewhere, is refused, never handed to the transport", async () => {
  const { setup } = await import("../support/fixtures.ts");
  const sent: string[] = [];
  const { server, client } = await setup({}, {
    fetch: ((input: Request | URL | string, init?: RequestInit) => {
      sent.push(input instanceof Request ? input.url : String(input));
      return server.fetch(input, init);
    }) as typeof fetch,
  });
  // Deno's and Bun's fetch read file: URLs: followed by hand, such a hop would hand a local
  // file to the caller. Plain http to a host that is not loopback is refused as a first request
  // to it is.
  for (
    const to of [
      "file:///etc/hostname",
      "data:text/plain,hi",
      "blob:https://x.test/1",
      "http://files.example.test/upload",
    ]
  ) {
    const error = await thrown(() => client.fetch(`/v1/redirect?to=${encodeURIComponent(to)}`));
    assert.equal((error as KognicAuthError).code, "INSECURE_URL", to);
    assert.ok(sent.every((url) => /^https?:/.test(url)), `the transport saw only http(s): ${sent}`);
  }
});

test("security: tokenOrigins must list http or https origins; garbage is INVALID_OPTIONS", async () => {
  const provider = new TokenProvider({
    credentials: new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
  });
  /** The Hono middleware makes its client on the first request: the error comes from there. */
  const viaHono = async (tokenOrigins: unknown) => {
    const app = new Hono<KognicEnv>();
    let failure: unknown;
    app.onError((error, c) => {
      failure = error;
      return c.text("failed", 500);
    });
    app.get(
      "/",
      kognicClient({
        auth: [TEST_CLIENT_ID, CANARY_SECRET],
        runtime: memoryRuntime(),
        tokenOrigins: tokenOrigins as string[],
      }),
      (c) => c.text("ok"),
    );
    await (await app.request("/")).text();
    if (failure) throw failure;
  };
  const makers: [string, (tokenOrigins: unknown) => unknown][] = [
    [
      "createAuthFetch",
      (tokenOrigins) => createAuthFetch(provider, { tokenOrigins: tokenOrigins as string[] }),
    ],
    ["createClient", (tokenOrigins) =>
      createClient({
        auth: [TEST_CLIENT_ID, CANARY_SECRET],
        runtime: memoryRuntime(),
        tokenOrigins: tokenOrigins as string[],
      })],
    ["edgeFetch", (tokenOrigins) => edgeFetch(env, { tokenOrigins: tokenOrigins as string[] })],
    ["edgeClient", (tokenOrigins) => edgeClient(env, { tokenOrigins: tokenOrigins as string[] })],
    ["Hono kognicClient", viaHono],
  ];
  for (const [name, make] of makers) {
    for (
      const garbage of [
        ["app.kognic.com"],
        [""],
        ["ftp://files.example.com"],
        ["javascript:alert(1)"],
        [42],
        [null],
        ["https://user:pa55word@files.example.com"],
        "https://files.example.com",
      ]
    ) {
      const error = await thrown(() => make(garbage));
      assert.equal((error as KognicAuthError).code, "INVALID_OPTIONS", `${name} ${garbage}`);
      assert.match((error as Error).message, /^The tokenOrigins option/);
      assertNoSecrets(error, ["pa55word"]);
      if (String(garbage).includes("@")) {
        assert.match((error as Error).message, /"\*\*\*@files\.example\.com"/, name);
      }
    }
    // Entries that parse as URLs but are not origins would match nothing (a wildcard) or hide
    // that the whole origin gets the token (a path): refused, naming the entry and the fix.
    for (
      const entry of [
        "https://*.kognic.com",
        "https://%2A.kognic.com",
        "https://api.kognic.com/v1",
        "https://api.kognic.com/?x=1",
        "https://api.kognic.com/#top",
        "api.kognic.com",
        "api.kognic.com:443",
        "https:/",
      ]
    ) {
      const error = await thrown(() => make(["https://ok.example.com", entry]));
      assert.equal((error as KognicAuthError).code, "INVALID_OPTIONS", `${name} ${entry}`);
      assert.ok(error instanceof Error && error.message.includes(JSON.stringify(entry)), name);
      assert.match(error.message, /^The tokenOrigins option .*"https:\/\/eu\.app\.kognic\.com"/);
      assert.match(error.message, /wildcard/);
    }
    const insecure = await thrown(() => make(["http://files.example.com"]));
    assert.equal((insecure as KognicAuthError).code, "INSECURE_URL", name);
    // Loopback over http, an origin with a trailing slash, upper case, a default port, URL
    // objects.
    await make([
      "http://127.0.0.2:9",
      "https://files.example.com/",
      "HTTPS://Files.Example.com",
      "https://files.example.com:443",
      "https://files.example.com:8443",
      new URL("https://a.b"),
    ]);
  }
  createAuthFetch(provider, {
    tokenOrigins: ["http://files.example.com"],
    allowInsecureHttp: true,
  });
});

/** The proxy forwards only to its upstream: its token never reaches another origin. */
async function proxyOrigins(world: World): Promise<void> {
  const client = await clientOf({
    baseUrl: world.home,
    authHost: world.home,
    fetch: world.fetch,
    // Even a listed origin is never a place the proxy forwards to.
    tokenOrigins: [world.listed],
    clock: { now: () => Date.now() },
  });
  const app = new Hono();
  app.all(
    "/kognic/*",
    kognicProxy({ client, access: () => true, paths: ["/"], mount: "/kognic" }),
  );
  const call = async (path: string, headers?: Record<string, string>) => {
    const response = await app.fetch(new Request(`https://proxy.example${path}`, { headers }));
    await response.body?.cancel();
    return response.status;
  };
  const elsewhere = [...world.foreign.map(({ url }) => url), `${world.listed}/public/echo`];
  for (const url of elsewhere) {
    assert.equal(await call(`/kognic/v1/redirect?to=${encodeURIComponent(url)}`), 302);
    assert.equal(await call(`/kognic/${url}`), 400);
    assert.equal(await call(`/kognic/${url.replace(/^https?:/, "")}`), 400);
  }
  const { host } = new URL(world.foreign[1].url);
  assert.equal(await call("/kognic/public/echo", { host, "x-forwarded-host": host }), 200);
  assert.equal(await call("/kognic/v1/whoami"), 200);
  assert.equal(world.other.apiRequests.length, 0, "the other server saw nothing");
  const home = new URL(world.home).origin;
  for (const request of world.token.apiRequests) {
    assert.equal(new URL(request.url).origin, home, "only the upstream origin");
  }
  assert.equal(world.token.tokenRequests.length, 1);
}

test(
  "security: over sockets kognicProxy forwards only to its upstream, its token never reaching another origin",
  () => socketWorld(proxyOrigins),
  { needs: ["sockets"] },
);

test(
  "security: kognicProxy forwards only to its upstream, its token never reaching another origin (in-process)",
  () => proxyOrigins(memoryWorld()),
);

// ---------------------------------------------------------------------------------------------
// A path that always answers 401 cannot turn callers into a token-request loop: after a 401
// renewed the token, further 401s renew it only after a pause (10 s, doubling while they keep
// coming), the 401 returned as it came meanwhile.

interface RenewalSetup {
  server: KognicServer;
  clock: FakeClock;
  events: TokenEvent[];
  call(path: string): Promise<number>;
}

const RENEWAL_ENTRIES: [
  string,
  (server: KognicServer, clock: FakeClock) => Promise<
    { call: (path: string) => Promise<Response>; provider: TokenProvider }
  >,
][] = [
  ["createAuthFetch", (server, clock) => {
    const provider = new TokenProvider({
      credentials: new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
      authHost: AUTH_HOST,
      fetch: server.fetch as typeof fetch,
      clock,
    });
    const call = createAuthFetch(provider, {
      baseUrl: API_BASE,
      fetch: server.fetch as typeof fetch,
    });
    return Promise.resolve({ call, provider });
  }],
  ["KognicClient", async (server, clock) => {
    const client = await clientOf({
      baseUrl: API_BASE,
      authHost: AUTH_HOST,
      fetch: server.fetch as typeof fetch,
      clock,
    });
    return { call: client.fetch, provider: client.provider };
  }],
  ["edgeFetch", (server, clock) => {
    const call = edgeFetch(env, {
      baseUrl: API_BASE,
      authHost: AUTH_HOST,
      fetch: server.fetch as typeof fetch,
      clock,
    });
    return Promise.resolve({ call, provider: call.provider });
  }],
  ["kognicProxy", async (server, clock) => {
    const client = await clientOf({
      baseUrl: API_BASE,
      authHost: AUTH_HOST,
      fetch: server.fetch as typeof fetch,
      clock,
    });
    const app = new Hono();
    app.all(
      "/kognic/*",
      kognicProxy({ client, access: () => true, paths: ["/"], mount: "/kognic" }),
    );
    return {
      call: async (path) => await app.fetch(new Request(`https://proxy.example/kognic${path}`)),
      provider: client.provider,
    };
  }],
];

async function renewalSetup(
  make: (server: KognicServer, clock: FakeClock) => ReturnType<typeof RENEWAL_ENTRIES[0][1]>,
): Promise<RenewalSetup> {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  server.unauthorizedPaths.add("/v1/forbidden");
  const { call, provider } = await make(server, clock);
  const events: TokenEvent[] = [];
  provider.subscribe((event) => events.push(event));
  return {
    server,
    clock,
    events,
    call: async (path) => {
      const response = await call(path);
      await response.body?.cancel();
      return response.status;
    },
  };
}

for (const [name, make] of RENEWAL_ENTRIES) {
  test(`security: ${name}: 30 sequential requests to an always-401 path make at most 2 token requests`, async () => {
    const { server, clock, events, call } = await renewalSetup(make);
    for (let i = 0; i < 30; i++) assert.equal(await call("/v1/forbidden"), 401);
    // The first token, and one renewal after the first 401 (a revoked token is replaced).
    assert.equal(server.tokenRequests.length, 2);
    assert.ok(events.some((event) => event.type === "renewal_refused"));
    // A genuine revocation inside the pause: the 401 comes back as it came.
    server.revoke(server.issuedTokens[1]);
    assert.equal(await call("/v1/whoami"), 401);
    assert.equal(server.tokenRequests.length, 2);
    // After it, it is handled: one renewal, and the request succeeds.
    clock.advance(10_000);
    assert.equal(await call("/v1/whoami"), 200);
    assert.equal(server.tokenRequests.length, 3);
    // The pause doubled (20 s) because the 401s kept coming (and now 40 s); 5 quiet minutes
    // after it ended it is back to 10 s.
    server.revoke(server.issuedTokens[2]);
    clock.advance(10_000);
    assert.equal(await call("/v1/whoami"), 401);
    clock.advance(10_000);
    assert.equal(await call("/v1/whoami"), 200);
    assert.equal(server.tokenRequests.length, 4);
    clock.advance(40_000 + 300_000);
    server.revoke(server.issuedTokens[3]);
    assert.equal(await call("/v1/whoami"), 200);
    server.revoke(server.issuedTokens[4]);
    clock.advance(10_000);
    assert.equal(await call("/v1/whoami"), 200);
    assert.equal(server.tokenRequests.length, 6);
  });

  test(`security: ${name}: 30 concurrent requests to an always-401 path make at most 2 token requests`, async () => {
    const { server, call } = await renewalSetup(make);
    const statuses = await Promise.all(Array.from({ length: 30 }, () => call("/v1/forbidden")));
    assert.deepEqual(new Set(statuses), new Set([401]));
    assert.equal(server.tokenRequests.length, 2);
    const again = await Promise.all(Array.from({ length: 30 }, () => call("/v1/forbidden")));
    assert.deepEqual(new Set(again), new Set([401]));
    assert.equal(server.tokenRequests.length, 2);
    assert.equal(await call("/v1/whoami"), 200, "the token is good for the other paths");
  });
}

test("security: a refused renewal is logged at debug level by a client", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  server.unauthorizedPaths.add("/v1/forbidden");
  const debug: string[] = [];
  const client = await createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    runtime: memoryRuntime(),
    baseUrl: API_BASE,
    authHost: AUTH_HOST,
    fetch: server.fetch as typeof fetch,
    clock,
    logger: { debug: (message) => debug.push(message), info() {}, warn() {}, error() {} },
  });
  for (let i = 0; i < 3; i++) await (await client.fetch("/v1/forbidden")).body?.cancel();
  assert.equal(server.tokenRequests.length, 2);
  assert.ok(debug.some((message) => /^Not renewing the token .* after a 401/.test(message)));
  assertNoSecrets(debug, [CANARY_SECRET, ...server.issuedTokens]);
});

test("security: edgeFetch and edgeClient made per request share the renewal limit (workerd too)", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  server.unauthorizedPaths.add("/v1/forbidden");
  const options = {
    baseUrl: API_BASE,
    authHost: AUTH_HOST,
    fetch: server.fetch as typeof fetch,
    clock,
  };
  for (let i = 0; i < 30; i++) {
    const response = i % 2
      ? await edgeFetch(env, options)("/v1/forbidden")
      : await edgeClient(env, options).fetch("/v1/forbidden");
    assert.equal(response.status, 401);
    await response.body?.cancel();
  }
  assert.equal(server.tokenRequests.length, 2);
  server.revoke(server.issuedTokens[1]);
  clock.advance(10_000);
  assert.equal((await edgeFetch(env, options)("/v1/whoami")).status, 200);
  assert.equal(server.tokenRequests.length, 3);
});

test("security: a revoked token is replaced once for the requests in flight with it, also on workerd where each has a provider", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const options = {
    baseUrl: API_BASE,
    authHost: AUTH_HOST,
    fetch: server.fetch as typeof fetch,
    clock,
  };
  // Two requests' functions, both with the first token (on workerd, two providers).
  const first = edgeFetch(env, options);
  const second = edgeFetch(env, options);
  for (const call of [first, second]) {
    assert.equal((await call("/v1/whoami")).status, 200);
  }
  assert.equal(server.tokenRequests.length, 1);
  server.revoke(server.issuedTokens[0]);
  // The first renews the token; the second, within the pause, takes the renewed one.
  assert.equal((await first("/v1/whoami")).status, 200);
  assert.equal((await second("/v1/whoami")).status, 200);
  assert.equal(server.tokenRequests.length, 2);
});

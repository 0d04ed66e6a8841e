import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import process from "node:process";
import { createClient, Credentials, type KognicAuthError, TokenError } from "../../mod.ts";
import { TokenProvider } from "../../src/core.ts";
import { detectRuntime } from "../../src/runtime/mod.ts";
import { isTransient } from "../../src/_util.ts";
import { bypassesProxy, scrub, selectProxy } from "../../src/runtime/_proxy.ts";
import {
  type EnvReader,
  proxyAwareFetch,
  type ProxyTransport,
  redactProxyUrl,
} from "../../src/runtime/_proxy_fetch.ts";
import { test } from "../support/harness.ts";
import { assertNoSecrets, CANARY_SECRET, TEST_CLIENT_ID, thrown } from "../support/fixtures.ts";
import { createKognicServer, type KognicServer } from "../support/kognic_server.ts";
import { serve, type Served } from "../support/serve.ts";
import { freePort } from "../support/service.ts";
import { startTinyproxy } from "../support/tinyproxy.ts";
import { PROXY_VARIABLES, startForwardProxy, withProxyEnv } from "../support/forward_proxy.ts";
import { startSquid } from "../support/squid.ts";

/** The proxy password: like the client secret, it must never be printed. */
const PROXY_CANARY = "proxy-canary-4c7a1e-DO-NOT-PRINT";
const SECRETS = [CANARY_SECRET, PROXY_CANARY];

const reader = (vars: Record<string, string>): EnvReader => (name) => vars[name];
const chosen = (target: string, vars: Record<string, string>, explicit?: string) =>
  selectProxy(new URL(target), reader(vars), explicit)?.url.href;

// ---------------------------------------------------------------------------------------------
// Selection: pure, every runtime.

test("proxy: HTTPS_PROXY for https URLs, HTTP_PROXY for http URLs, no cross-over", () => {
  const vars = { HTTPS_PROXY: "http://secure.corp:3128", HTTP_PROXY: "http://plain.corp:8080" };
  assert.equal(chosen("https://auth.app.kognic.com/x", vars), "http://secure.corp:3128/");
  assert.equal(chosen("http://localhost:8080/x", vars), "http://plain.corp:8080/");
  assert.equal(chosen("https://a.example/", { HTTP_PROXY: "http://p:1" }), undefined);
  assert.equal(chosen("http://a.example/", { HTTPS_PROXY: "http://p:1" }), undefined);
  assert.equal(chosen("https://a.example/", {}), undefined);
});

test("proxy: lower-case variables win over upper-case ones; empty ones count as unset", () => {
  assert.equal(
    chosen("https://a.example/", { HTTPS_PROXY: "http://upper:1", https_proxy: "http://lower:2" }),
    "http://lower:2/",
  );
  assert.equal(
    chosen("http://a.example/", { HTTP_PROXY: "http://upper:1", http_proxy: "  " }),
    "http://upper:1/",
  );
  assert.equal(
    chosen("http://a.example/", {
      HTTP_PROXY: "http://p:1",
      NO_PROXY: "other.example",
      no_proxy: "a.example",
    }),
    undefined,
  );
});

test("proxy: a proxy without a scheme means http://", () => {
  assert.equal(
    chosen("https://a.example/", { HTTPS_PROXY: "10.9.8.7:1234" }),
    "http://10.9.8.7:1234/",
  );
});

test("proxy: NO_PROXY forms: *, host, .domain, *.domain, host:port, IPv4, IPv6, lists", () => {
  const cases: [string, string, boolean][] = [
    ["*", "https://anything.example/", true],
    ["example.com", "https://example.com/", true],
    ["example.com", "https://api.example.com/", true],
    ["example.com", "https://notexample.com/", false],
    [".example.com", "https://example.com/", true],
    [".example.com", "https://deep.api.example.com/", true],
    ["*.example.com", "https://api.example.com/", true],
    ["EXAMPLE.com", "https://Api.Example.COM/", true],
    ["example.com:8443", "https://example.com:8443/", true],
    ["example.com:8443", "https://example.com/", false],
    ["example.com:443", "https://example.com/", true],
    ["example.com:80", "http://example.com/", true],
    ["127.0.0.1", "http://127.0.0.1:9000/", true],
    ["127.0.0.1", "http://127.0.0.10/", false],
    ["127.0.0.1:9000", "http://127.0.0.1:9000/", true],
    ["127.0.0.1:9000", "http://127.0.0.1:9001/", false],
    ["::1", "http://[::1]:9000/", true],
    ["[::1]", "http://[::1]:9000/", true],
    ["[::1]:9000", "http://[::1]:9000/", true],
    ["[::1]:9000", "http://[::1]:9001/", false],
    ["a.test, b.test  c.test", "https://c.test/", true],
    ["a.test,,b.test", "https://b.test/", true],
    ["a.test,b.test", "https://d.test/", false],
    ["", "https://a.test/", false],
    ["localhost", "http://localhost:3000/", true],
  ];
  for (const [noProxy, target, bypass] of cases) {
    assert.equal(bypassesProxy(new URL(target), noProxy), bypass, `${noProxy} vs ${target}`);
  }
});

test("proxy: the explicit option wins over every variable, NO_PROXY included", () => {
  const vars = { HTTPS_PROXY: "http://env:1", HTTP_PROXY: "http://env:1", NO_PROXY: "*" };
  assert.equal(chosen("https://a.example/", vars, "http://explicit:3128"), "http://explicit:3128/");
  assert.equal(chosen("http://a.example/", vars, "http://explicit:3128"), "http://explicit:3128/");
});

test("proxy: unparseable or unsupported proxy URLs are PROXY_INVALID without the password", () => {
  const bad: [Record<string, string>, string | undefined, RegExp][] = [
    [{}, `http://kognic:${PROXY_CANARY}@proxy.corp:notaport`, /the proxy option.*proxy\.corp/],
    [{ HTTPS_PROXY: `http://kognic:${PROXY_CANARY}@proxy.corp:99999` }, undefined, /HTTPS_PROXY/],
    [{ https_proxy: `socks5://kognic:${PROXY_CANARY}@proxy.corp:1080` }, undefined, /socks5/],
    [{ HTTPS_PROXY: "http://" }, undefined, /HTTPS_PROXY.*not a valid URL/],
  ];
  for (const [vars, explicit, message] of bad) {
    const error = (() => {
      try {
        selectProxy(new URL("https://a.example/"), reader(vars), explicit);
      } catch (error) {
        return error;
      }
      assert.fail("expected PROXY_INVALID");
    })() as KognicAuthError;
    assert.equal(error.code, "PROXY_INVALID");
    assert.match(error.message, message);
    assert.match(error.message, /^[A-Z]/);
    assertNoSecrets(error, SECRETS);
  }
  assert.equal(
    redactProxyUrl(`http://kognic:${PROXY_CANARY}@proxy.corp:1`),
    "http://kognic:***@proxy.corp:1",
  );
  assert.equal(redactProxyUrl(`kognic:p@ss@proxy.corp:1`), "kognic:***@proxy.corp:1");
  assert.equal(redactProxyUrl("http://proxy.corp:1"), "http://proxy.corp:1");
  // What a runtime's message may quote of the proxy: the URL with or without its final slash,
  // the password, or a user name that stands alone; a short one is left (hiding it garbles).
  const withPassword = new URL(`http://kognic:${PROXY_CANARY}@proxy.corp:3128`);
  assert.equal(
    scrub(
      `tunnel to ${withPassword.href} and ${withPassword.href.slice(0, -1)}: ${PROXY_CANARY}`,
      withPassword,
    ),
    "tunnel to http://kognic:***@proxy.corp:3128/ and http://kognic:***@proxy.corp:3128: ***",
  );
  const userOnly = new URL(`http://${PROXY_CANARY}@proxy.corp:3128`);
  assert.equal(
    scrub(`tunnel to http://${PROXY_CANARY}@proxy.corp:3128 failed (${PROXY_CANARY})`, userOnly),
    "tunnel to http://***@proxy.corp:3128 failed (***)",
  );
  // The Basic credentials a runtime builds from the URL (user and password decoded, as UTF-8).
  const encoded = new URL(`http://CORP%5Ck%C3%B6gnic:pr%25x%3A${PROXY_CANARY}@proxy.corp:3128`);
  const basic = btoa(String.fromCharCode(
    ...new TextEncoder().encode(`CORP\\kögnic:pr%x:${PROXY_CANARY}`),
  ));
  assert.equal(
    scrub(`sent Proxy-Authorization: Basic ${basic}`, encoded),
    "sent Proxy-Authorization: Basic ***",
  );
  const short = new URL("http://kognic:ab@proxy.corp:3128");
  assert.equal(scrub("ECONNREFUSED absent", short), "ECONNREFUSED absent");
});

test("proxy: failures through a proxy name its host and port and never its password", async () => {
  const proxy = `http://kognic:${PROXY_CANARY}@proxy.corp:3128`;
  const failing = (error: unknown) =>
    proxyAwareFetch({
      env: reader({}),
      direct: () => Promise.reject(new Error("direct must not be used")),
      through: () => () => Promise.reject(error),
    }, proxy);
  const refused = Object.assign(new TypeError("fetch failed"), {
    cause: Object.assign(new Error(`connect ECONNREFUSED via ${proxy}`), { code: "ECONNREFUSED" }),
  });
  const unreachable = await thrown(() => failing(refused)("https://auth.kognic.test/token"));
  assert.equal((unreachable as KognicAuthError).code, "PROXY_UNREACHABLE");
  assert.match((unreachable as Error).message, /"proxy\.corp:3128".*the proxy option/);
  assert.match((unreachable as Error).message, /"https:\/\/auth\.kognic\.test"/);
  assertNoSecrets(unreachable, SECRETS);
  const tunnel = new TypeError(`Proxy response (403) !== 200 when HTTP Tunneling ${PROXY_CANARY}`);
  const failed = await thrown(() => failing(tunnel)("https://auth.kognic.test/token"));
  assert.equal((failed as KognicAuthError).code, "PROXY_FAILED");
  assert.match((failed as Error).message, /403.*Tunneling/);
  assertNoSecrets(failed, SECRETS);
  // A 407, in the words of undici, Bun and Deno: its own code, without the runtime's text.
  for (
    const words of [
      `Proxy response (407) !== 200 when HTTP Tunneling ${PROXY_CANARY}`,
      `Proxy refused to open a tunnel: 407 Proxy Authentication Required ${PROXY_CANARY}`,
      `client error (Connect): proxy authentication required ${PROXY_CANARY}`,
    ]
  ) {
    const auth = await thrown(() => failing(new TypeError(words))("https://auth.kognic.test/t"));
    assert.equal((auth as KognicAuthError).code, "PROXY_AUTH_REQUIRED", words);
    assert.match((auth as Error).message, /^Proxy "proxy\.corp:3128" \(from the proxy option\)/);
    assertNoSecrets(auth, SECRETS);
  }
  // An abort stays the caller's abort.
  const controller = new AbortController();
  controller.abort(new Error("stop"));
  const aborted = await thrown(() =>
    failing(new Error("aborted"))("https://a.test/", { signal: controller.signal })
  );
  assert.equal((aborted as Error).message, "aborted");
});

test("proxy: a refused tunnel is final in every runtime's words; only a 502, 503 or 504 is passing", async () => {
  const proxy = `http://kognic:${PROXY_CANARY}@proxy.corp:3128`;
  const attempt = (words: string) =>
    thrown(() =>
      proxyAwareFetch({
        env: reader({}),
        direct: () => Promise.reject(new Error("direct must not be used")),
        through: () => () => Promise.reject(new TypeError(`fetch failed: ${words}`)),
      }, proxy)("https://auth.kognic.test/token")
    ) as Promise<KognicAuthError>;
  // undici, Bun and (for anything but an HTTP/1.1 407) Deno, which names no status.
  const words = (status: string) => [
    `Proxy response (${status.slice(0, 3)}) !== 200 when HTTP Tunneling: UND_ERR_ABORTED`,
    `Proxy refused to open a tunnel: ${status}: ERR_PROXY_TUNNEL`,
  ];
  for (const status of ["401 Unauthorized", "407 Proxy Authentication Required"]) {
    for (const text of words(status)) {
      const error = await attempt(text);
      assert.equal(error.code, "PROXY_AUTH_REQUIRED", text);
      assert.ok(!isTransient(error), text);
      assert.match(error.message, new RegExp(`answered ${status}`), text);
      assert.match(error.message, /it refused the user name and password in its URL/);
    }
  }
  for (
    const text of [
      ...words("403 Forbidden"),
      ...words("400 Bad Request"),
      ...words("500 Internal Server Error"),
      "client error (Connect): unsuccessful tunnel",
    ]
  ) {
    const error = await attempt(text);
    assert.equal(error.code, "PROXY_FAILED", text);
    assert.ok(!isTransient(error), `${text}: not retried`);
    assert.match(error.message, /^Proxy "proxy\.corp:3128" \(from the proxy option\) refused/);
    assert.match(error.message, /not retried/);
    assertNoSecrets(error, SECRETS);
  }
  // Deno's words name no status: the message says so, and how to give credentials.
  const deno = await attempt("client error (Connect): unsuccessful tunnel");
  assert.match(deno.message, /does not say why.*percent-encoded/);
  for (const status of ["502 Bad Gateway", "503 Service Unavailable", "504 Gateway Timeout"]) {
    for (const text of words(status)) {
      const error = await attempt(text);
      assert.equal(error.code, "PROXY_FAILED", text);
      assert.ok(isTransient(error), `${text}: passing`);
    }
  }
  // The mark is not printed: it is no property a log or JSON would show.
  assert.deepEqual(Object.keys(deno), Object.keys(await attempt(words("502 Bad Gateway")[0])));
});

test("proxy: the variables are read when the fetch is made; NO_PROXY still applies per request URL", async () => {
  const calls: string[] = [];
  let reads = 0;
  const vars: Record<string, string> = {};
  const transport: ProxyTransport = {
    env: (name) => (reads++, vars[name]),
    direct: (
      input,
    ) => (calls.push(`direct ${input instanceof Request ? input.url : input}`),
      Promise.resolve(new Response("d"))),
    through: (proxy) =>
    (
      input,
    ) => (calls.push(`${proxy.host} ${input instanceof Request ? input.url : input}`),
      Promise.resolve(new Response("p"))),
  };
  const before = proxyAwareFetch(transport);
  await before("https://a.test/");
  vars.HTTPS_PROXY = "http://p.corp:1";
  vars.NO_PROXY = "b.test";
  // Made before the change: keeps connecting directly.
  await before(new URL("https://a.test/"));
  // Made after it: the proxy, except for the URLs NO_PROXY names, decided per request URL.
  const after = proxyAwareFetch(transport);
  assert.notEqual(after, before);
  assert.equal(proxyAwareFetch(transport), after, "the same values give the same fetch");
  await after(new URL("https://a.test/"));
  await after(new Request("https://b.test/"));
  await after("https://x.b.test/");
  await after("https://a.test/again");
  await after("http://a.test/"); // no HTTP_PROXY
  await after("https://b.test/");
  // Requests read no variable, and a later change does not reach `after` either.
  const readsSoFar = reads;
  vars.NO_PROXY = "a.test";
  await after("https://a.test/");
  await after("https://b.test/");
  assert.equal(reads, readsSoFar);
  assert.deepEqual(calls, [
    "direct https://a.test/",
    "direct https://a.test/",
    "p.corp:1 https://a.test/",
    "direct https://b.test/",
    "direct https://x.b.test/",
    "p.corp:1 https://a.test/again",
    "direct http://a.test/",
    "direct https://b.test/",
    "p.corp:1 https://a.test/",
    "direct https://b.test/",
  ]);
  // An environment that cannot be read (Deno without --allow-env) counts as empty.
  calls.length = 0;
  const denied = proxyAwareFetch({
    ...transport,
    env: () => {
      throw new Error("Requires env access");
    },
  });
  await denied("https://a.test/");
  assert.deepEqual(calls, ["direct https://a.test/"]);
});

// ---------------------------------------------------------------------------------------------
// Through a real proxy (tinyproxy) on this runtime's adapter.

/** A real forward proxy: what the cases need of it. */
interface RealProxy {
  url: string;
  /** The requests it logged: `GET http://…`, `CONNECT host:port`, each maybe followed by more. */
  requests(): Promise<string[]>;
  close(): Promise<void>;
}

type ProxyAuth = { auth?: { user: string; password: string } };

/** The proxies the real cases run on: the npm package always, tinyproxy and squid where installed. */
const PROXIES = [
  {
    name: "the proxy package",
    via: /\(proxy\//,
    // The user name of the authenticated case: a Windows domain user where the proxy takes one.
    user: "CORP\\kognic",
    options: { needs: ["sockets", "subprocess"] as const, timeout: 20_000 },
    start: async (options: ProxyAuth): Promise<RealProxy> => {
      const proxy = await startForwardProxy(options);
      return { url: proxy.url, requests: proxy.lines, close: proxy.close };
    },
  },
  {
    name: "tinyproxy",
    via: /tinyproxy/,
    // Its configuration's BasicAuth line takes letters, digits, "-", "_" and "." only.
    user: "kognic",
    options: { needs: ["sockets", "subprocess", "tinyproxy"] as const, timeout: 20_000 },
    start: (options: ProxyAuth): Promise<RealProxy> => startTinyproxy(options),
  },
  {
    name: "squid",
    via: /squid/,
    user: "CORP\\kognic",
    options: { needs: ["sockets", "subprocess", "squid"] as const, timeout: 20_000 },
    start: async (options: ProxyAuth): Promise<RealProxy> => {
      const squid = await startSquid(options);
      return {
        url: squid.url,
        requests: squid.requests,
        close: async () => {
          // Its access.log never holds a password in any form.
          assertNoSecrets(await squid.accessLog(), SECRETS);
          await squid.close();
        },
      };
    },
  },
];
type ProxyKind = typeof PROXIES[number];

interface Rig {
  proxy: RealProxy;
  server: KognicServer;
  served: Served;
  /** A closed loopback port: a proxy there is unreachable. */
  dead: string;
}

async function withRig(
  kind: ProxyKind,
  fn: (rig: Rig) => Promise<void>,
  options: ProxyAuth = {},
): Promise<void> {
  const proxy = await kind.start(options);
  const server = createKognicServer();
  const served = await serve(server.fetch);
  try {
    await fn({ proxy, server, served, dead: `http://127.0.0.1:${await freePort()}` });
  } finally {
    await served.close();
    await proxy.close();
  }
}

/** Gets a token and calls the API with a fresh client; returns the `via` headers seen. */
async function roundTrip(rig: Rig, proxy?: string): Promise<[string, string]> {
  rig.server.reset();
  const client = await createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    runtime: await detectRuntime(),
    authHost: rig.served.url,
    baseUrl: rig.served.url,
    proxy,
    // A clock of its own gives this client its own token provider (clients sharing every
    // option share one), so the token it gets is one the reset server knows.
    clock: { now: () => Date.now() },
  });
  const response = await client.request("GET", "/v1/items");
  await response.body?.cancel();
  assert.equal(rig.server.tokenRequests.length, 1);
  assert.equal(rig.server.apiRequests.length, 1);
  return [
    rig.server.tokenRequests[0].headers.via ?? "direct",
    rig.server.apiRequests[0].headers.via ?? "direct",
  ];
}

test(
  "proxy: a TokenProvider given no fetch keeps the proxy variables of its creation, as a client does",
  async () => {
    await withRig(PROXIES[0], async (rig) => {
      const credentials = new Credentials({
        clientId: TEST_CLIENT_ID,
        clientSecret: CANARY_SECRET,
      });
      const made = (vars: Record<string, string>) =>
        withProxyEnv(
          vars,
          () => Promise.resolve(new TokenProvider({ credentials, authHost: rig.served.url })),
        );
      const proxied = await made({ HTTP_PROXY: rig.proxy.url });
      const direct = await made({});
      // The variables change after the providers were made: a dead proxy for everything.
      await withProxyEnv({ HTTP_PROXY: rig.dead, HTTPS_PROXY: rig.dead }, async () => {
        await proxied.getToken();
        await direct.getToken();
      });
      const via = rig.server.tokenRequests.map(({ headers }) => headers.via ?? "direct");
      assert.equal(via.length, 2);
      assert.match(via[0], PROXIES[0].via, "made with HTTP_PROXY: through that proxy");
      assert.equal(via[1], "direct", "made without proxy variables: direct");
      const logged = await rig.proxy.requests();
      assert.equal(logged.filter((line) => line.startsWith("POST ")).length, 1);
    });
  },
  PROXIES[0].options,
);

for (const kind of PROXIES) {
  test(
    `proxy via ${kind.name}: HTTP_PROXY / http_proxy carry token and API requests through a real proxy`,
    async () => {
      await withRig(kind, async (rig) => {
        await withProxyEnv({ HTTP_PROXY: rig.proxy.url }, async () => {
          const [token, api] = await roundTrip(rig);
          assert.match(token, kind.via, "token request through the proxy");
          assert.match(api, kind.via, "API request through the proxy");
        });
        const logged = await rig.proxy.requests();
        assert.ok(
          logged.some((line) => line.startsWith(`POST ${rig.served.url}/v1/auth/oauth/token`)),
        );
        assert.ok(logged.some((line) => line.startsWith(`GET ${rig.served.url}/v1/items`)));
        // Lower case wins: the upper-case variable names a dead proxy.
        await withProxyEnv({ HTTP_PROXY: rig.dead, http_proxy: rig.proxy.url }, async () => {
          assert.deepEqual((await roundTrip(rig)).map((via) => kind.via.test(via)), [true, true]);
        });
      });
    },
    kind.options,
  );

  test(
    `proxy via ${kind.name}: NO_PROXY (IP, IP:port, *, domain) bypasses the real proxy; other entries do not`,
    async () => {
      await withRig(kind, async (rig) => {
        const port = new URL(rig.served.url).port;
        for (const noProxy of ["127.0.0.1", `127.0.0.1:${port}`, "*", "example.com, .127.0.0.1"]) {
          await withProxyEnv({ HTTP_PROXY: rig.proxy.url, NO_PROXY: noProxy }, async () => {
            assert.deepEqual(await roundTrip(rig), ["direct", "direct"], `NO_PROXY=${noProxy}`);
          });
        }
        const before = (await rig.proxy.requests()).length;
        assert.equal(before, 0, "nothing went through the proxy");
        await withProxyEnv(
          { HTTP_PROXY: rig.proxy.url, no_proxy: "127.0.0.1:1,example.com" },
          async () => {
            assert.deepEqual((await roundTrip(rig)).map((via) => kind.via.test(via)), [true, true]);
          },
        );
      });
    },
    kind.options,
  );

  test(
    `proxy via ${kind.name}: https URLs go through HTTPS_PROXY as a CONNECT tunnel, HTTP_PROXY is not used`,
    async () => {
      await withRig(kind, async (rig) => {
        // The loopback server speaks plain http, so TLS through the tunnel fails; what counts is
        // that the tunnel was asked of the proxy named by HTTPS_PROXY, and what the error says.
        const port = new URL(rig.served.url).port;
        const url = new URL(rig.proxy.url);
        url.username = "kognic";
        url.password = PROXY_CANARY;
        const error = await withProxyEnv(
          { HTTPS_PROXY: url.href, HTTP_PROXY: rig.dead },
          async () => {
            const client = await createClient({
              auth: [TEST_CLIENT_ID, CANARY_SECRET],
              runtime: await detectRuntime(),
              authHost: `https://127.0.0.1:${port}`,
              baseUrl: `https://127.0.0.1:${port}`,
            });
            return await thrown(() => client.request("GET", "/v1/items"));
          },
        );
        const logged = await rig.proxy.requests();
        assert.ok(
          logged.some((line) => line.startsWith(`CONNECT 127.0.0.1:${port}`)),
          String(logged),
        );
        assert.equal((error as KognicAuthError).code, "PROXY_FAILED", String(error));
        assert.match((error as Error).message, /proxy "127\.0\.0\.1:\d+" \(from HTTPS_PROXY\)/);
        assertNoSecrets(error, SECRETS);
        assert.equal(rig.server.tokenRequests.length, 0);
      });
    },
    kind.options,
  );

  test(
    `proxy via ${kind.name}: the explicit proxy option wins over HTTP_PROXY and NO_PROXY`,
    async () => {
      await withRig(kind, async (rig) => {
        // 127.0.0.1 itself: Deno does not apply "*" to IP addresses.
        await withProxyEnv({ HTTP_PROXY: rig.dead, NO_PROXY: "127.0.0.1,*" }, async () => {
          // A Request object with a body, through the runtime's fetchWith, as TokenProvider gets it.
          const fetchWith = (await detectRuntime()).fetchWith!(rig.proxy.url);
          rig.server.reset();
          const response = await fetchWith(
            new Request(`${rig.served.url}/v1/auth/oauth/token`, {
              method: "POST",
              headers: { "content-type": "application/x-www-form-urlencoded" },
              body: new URLSearchParams({
                grant_type: "client_credentials",
                client_id: TEST_CLIENT_ID,
                client_secret: CANARY_SECRET,
              }).toString(),
            }),
          );
          assert.equal(response.status, 200);
          assert.ok((await response.json()).access_token);
          assert.match(rig.server.tokenRequests[0].headers.via ?? "direct", kind.via);
          assert.deepEqual((await roundTrip(rig, rig.proxy.url)).map((via) => kind.via.test(via)), [
            true,
            true,
          ]);
        });
      });
    },
    kind.options,
  );

  test(
    `proxy via ${kind.name}: an authenticated proxy works from the option and from HTTP_PROXY (user ${kind.user})`,
    async () => {
      await withRig(kind, async (rig) => {
        const url = new URL(rig.proxy.url);
        url.username = encodeURIComponent(kind.user); // CORP%5Ckognic
        url.password = PROXY_CANARY;
        await withProxyEnv({}, async () => {
          assert.deepEqual((await roundTrip(rig, url.href)).map((via) => kind.via.test(via)), [
            true,
            true,
          ]);
        });
        await withProxyEnv({ HTTP_PROXY: url.href }, async () => {
          assert.deepEqual((await roundTrip(rig)).map((via) => kind.via.test(via)), [true, true]);
        });
        // A wrong password: the proxy refuses (407; tinyproxy answers 401 and closes the
        // connection, which Deno reports as a broken body), and no message shows either password.
        url.password = `wrong-${PROXY_CANARY}`;
        const error = await withProxyEnv({}, () => thrown(() => roundTrip(rig, url.href)));
        if ((error as KognicAuthError).code === "PROXY_AUTH_REQUIRED") {
          assert.notEqual(kind.name, "tinyproxy");
        } else if (error instanceof TokenError) assert.match(error.message, /401/);
        else assert.match(String(error), /body|connection/i);
        assertNoSecrets(error, SECRETS);
        assert.equal(rig.server.tokenRequests.length, 0);
      }, { auth: { user: kind.user, password: PROXY_CANARY } });
    },
    kind.options,
  );
}

test(
  "proxy: an unreachable proxy is PROXY_UNREACHABLE naming host and port, never the password",
  async () => {
    const port = await freePort();
    const proxy = `http://kognic:${PROXY_CANARY}@127.0.0.1:${port}`;
    const target = `http://127.0.0.1:${await freePort()}`;
    const options = {
      auth: [TEST_CLIENT_ID, CANARY_SECRET] as [string, string],
      runtime: await detectRuntime(),
      authHost: target,
      baseUrl: target,
    };
    for (
      const [vars, explicit, source] of [
        [{}, proxy, "the proxy option"],
        [{ HTTP_PROXY: proxy }, undefined, "HTTP_PROXY"],
      ] as const
    ) {
      const error = await withProxyEnv(vars, async () => {
        const client = await createClient({ ...options, proxy: explicit });
        return await thrown(() => client.request("GET", "/v1/items"));
      });
      assert.equal((error as KognicAuthError).code, "PROXY_UNREACHABLE", String(error));
      assert.match(
        (error as Error).message,
        new RegExp(`"127\\.0\\.0\\.1:${port}" \\(from ${source}\\)`),
      );
      assertNoSecrets(error, SECRETS);
    }
    const invalid = await thrown(() =>
      createClient({ ...options, proxy: `http://kognic:${PROXY_CANARY}@proxy.corp:notaport` })
    );
    assert.equal((invalid as KognicAuthError).code, "PROXY_INVALID");
    assertNoSecrets(invalid, SECRETS);
  },
  // Two calls that each retry with backoff (about 4 s): room for a loaded machine.
  { needs: ["sockets"], timeout: 30_000 },
);

// ---------------------------------------------------------------------------------------------
// Node: undici is loaded only when a proxy is configured.

const NODE_PROBE = `
import { registerHooks } from "node:module";
const loaded = [];
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context);
    if (/undici/.test(result.url)) loaded.push(result.url);
    return result;
  },
});
const { nodeRuntime } = await import(process.argv[1]);
const runtime = nodeRuntime();
const code = await runtime.fetch("http://127.0.0.1:9/").then(() => "", (error) => error.code);
console.log(JSON.stringify({ loaded, code }));
`;
// The same with undici not installed: resolving it fails.
const HIDE_UNDICI = `
import { registerHooks as hide } from "node:module";
hide({
  resolve(specifier, context, next) {
    if (specifier === "undici") throw Object.assign(new Error("Cannot find module 'undici'"), { code: "MODULE_NOT_FOUND" });
    return next(specifier, context);
  },
});
`;

function runNode(
  node: string,
  env: Record<string, string | undefined>,
  prelude = "",
): Promise<{ loaded: string[]; code: string }> {
  const adapter = new URL("../../src/runtime/node.ts", import.meta.url).href;
  return new Promise((resolve, reject) => {
    execFile(
      node,
      ["--input-type=module", "-e", prelude + NODE_PROBE, adapter],
      { env: env as Record<string, string>, timeout: 10_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${error.message}\n${stderr}`));
        resolve(JSON.parse(stdout.trim().split("\n").pop()!));
      },
    );
  });
}

test(
  "proxy: on Node undici is loaded only with a proxy, and its absence is PROXY_UNAVAILABLE",
  async () => {
    const node = globalThis.navigator?.userAgent?.startsWith("Node.js/")
      ? process.execPath
      : new URL("../../node_modules/node24/bin/node", import.meta.url).pathname;
    const env: Record<string, string | undefined> = { ...process.env };
    for (const name of PROXY_VARIABLES) delete env[name];
    assert.deepEqual((await runNode(node, env)).loaded, [], "no proxy: nothing loaded");
    const { loaded } = await runNode(node, { ...env, HTTP_PROXY: "http://127.0.0.1:9" });
    assert.ok(loaded.some((url) => url.includes("/node_modules/undici/")), "with a proxy: undici");
    const missing = await runNode(node, { ...env, HTTP_PROXY: "http://127.0.0.1:9" }, HIDE_UNDICI);
    assert.equal(missing.code, "PROXY_UNAVAILABLE", "with a proxy but no undici: a clear error");
  },
  { needs: ["sockets", "subprocess"], timeout: 20_000 },
);

test(
  "proxy: a client keeps the proxy variables it was created with; NO_PROXY applies per request URL",
  async () => {
    // The token endpoint and the API on two ports of one server: NO_PROXY names the first.
    await withRig(PROXIES[0], async (rig) => {
      const second = await serve(rig.server.fetch);
      const authPort = new URL(rig.served.url).port;
      const create = () =>
        detectRuntime().then((runtime) =>
          createClient({
            auth: [TEST_CLIENT_ID, CANARY_SECRET],
            runtime,
            authHost: rig.served.url,
            baseUrl: second.url,
            clock: { now: () => Date.now() }, // a token provider of its own
          })
        );
      const via = async (client: Awaited<ReturnType<typeof create>>) => {
        const [tokens, calls] = [rig.server.tokenRequests.length, rig.server.apiRequests.length];
        const response = await client.request("GET", "/v1/items");
        await response.body?.cancel();
        const seen = (requests: { headers: Record<string, string> }[], from: number) =>
          requests.slice(from).map((request) => request.headers.via ?? "direct");
        const token = seen(rig.server.tokenRequests, tokens);
        const api = seen(rig.server.apiRequests, calls);
        return [...token, ...api].map((via) => PROXIES[0].via.test(via) ? "proxy" : via);
      };
      try {
        await withProxyEnv({}, async () => {
          const before = await create();
          process.env.HTTP_PROXY = rig.proxy.url;
          process.env.NO_PROXY = `127.0.0.1:${authPort}`;
          const after = await create();
          // Token request direct (NO_PROXY names its port), API request through the proxy.
          assert.deepEqual(await via(after), ["direct", "proxy"]);
          // Created before the variables were set: direct, both.
          assert.deepEqual(await via(before), ["direct", "direct"]);
          // Changed again: the clients keep their choice, a new client takes the new values.
          process.env.HTTP_PROXY = rig.dead;
          delete process.env.NO_PROXY;
          assert.deepEqual(await via(after), ["proxy"], "cached token, API through the proxy");
          assert.deepEqual(await via(before), ["direct"]);
          const later = await create();
          const error = await thrown(() => later.request("GET", "/v1/items"));
          assert.equal((error as KognicAuthError).code, "PROXY_UNREACHABLE", String(error));
        });
      } finally {
        await second.close();
      }
    });
  },
  PROXIES[0].options,
);

test("proxy: clients with the same proxy option share one token provider", async () => {
  const options = {
    auth: [TEST_CLIENT_ID, CANARY_SECRET] as [string, string],
    runtime: await detectRuntime(),
    authHost: "https://auth-shared-proxy.kognic.test",
  };
  const proxy = "http://proxy.corp:3128";
  const [one, two, other] = await Promise.all([
    createClient({ ...options, proxy }),
    createClient({ ...options, proxy }),
    createClient({ ...options, proxy: "http://other-proxy.corp:3128" }),
  ]);
  assert.equal(one.provider, two.provider);
  assert.notEqual(one.provider, other.provider);
  // Not on workerd: no forward proxies there (and a provider per client anyway).
}, { needs: ["sockets"] });

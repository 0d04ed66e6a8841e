// Network failures as every runtime reports them: a proxy that answers 407, an untrusted TLS
// certificate, a refused connection, a name that does not resolve. Each is a KognicAuthError
// with its own code, naming the host, never a secret; the ones a retry cannot fix are tried
// exactly once, counted where they land (at the proxy, or at the fetch).
import assert from "node:assert/strict";
import process from "node:process";
import { createClient, Credentials, KognicAuthError } from "../../mod.ts";
import { requestToken, TokenProvider } from "../../src/core.ts";
import { detectRuntime } from "../../src/runtime/mod.ts";
import { test } from "../support/harness.ts";
import { assertNoSecrets, CANARY_SECRET, TEST_CLIENT_ID, thrown } from "../support/fixtures.ts";
import { createKognicServer } from "../support/kognic_server.ts";
import { serve } from "../support/serve.ts";
import { repoPath, runProgram, sandbox } from "../support/cli.ts";
import {
  type ForwardProxy,
  nodeBinary,
  startForwardProxy,
  withProxyEnv,
} from "../support/forward_proxy.ts";
import { makeTestCa, startTlsFront } from "../support/tls.ts";
import { startSquid } from "../support/squid.ts";
import { startTinyproxy } from "../support/tinyproxy.ts";
import { rawServer } from "../support/raw_server.ts";
import { freePort } from "../support/service.ts";

/** A proxy password with every character that needs percent-encoding in a URL. */
const PROXY_PASSWORD = "pr%x:y/z@w#q?r+s-canary-9d1f";
const PROXY_USER = "CORP\\kognic";
/** tinyproxy's BasicAuth password: its configuration takes letters, digits, "-", "_" and "." only. */
const TINYPROXY_PASSWORD = "tinyproxy-canary-2b8e5d-DO-NOT-PRINT";
/** The password in every form a message could echo it in. */
const PROXY_SECRETS = [
  PROXY_PASSWORD,
  encodeURIComponent(PROXY_PASSWORD),
  btoa(`${PROXY_USER}:${PROXY_PASSWORD}`),
  btoa(`${PROXY_USER}:wrong-${PROXY_PASSWORD}`),
  `wrong-${PROXY_PASSWORD}`,
  encodeURIComponent(`wrong-${PROXY_PASSWORD}`),
  TINYPROXY_PASSWORD,
  btoa(`kognic:${TINYPROXY_PASSWORD}`),
  btoa(`kognic:wrong-${TINYPROXY_PASSWORD}`),
];
const SECRETS = [CANARY_SECRET, ...PROXY_SECRETS];

/** The proxy URL with the wrong password, percent-encoded as it must be. */
function wrongProxyUrl(proxy: ForwardProxy): string {
  const url = new URL(proxy.url);
  url.username = encodeURIComponent(PROXY_USER);
  url.password = encodeURIComponent(`wrong-${PROXY_PASSWORD}`);
  return url.href;
}

function assertProxyAuth(error: unknown, proxy: ForwardProxy, what: string): void {
  assert.ok(error instanceof KognicAuthError, `${what}: ${error}`);
  assert.equal(error.code, "PROXY_AUTH_REQUIRED", `${what}: ${error}`);
  assert.match(error.message, new RegExp(`"127\\.0\\.0\\.1:${proxy.port}"`), what);
  assert.match(error.message, /percent-encoded/, what);
  assert.doesNotMatch(error.message, /kognic/i, `${what}: no user name`);
  assertNoSecrets(error, SECRETS);
}

const WIRE = { needs: ["sockets", "subprocess"] as const, timeout: 30_000 };
/** Cases that make a CA with the `openssl` command. */
const TLS_WIRE = { needs: ["sockets", "subprocess", "openssl"] as const, timeout: 30_000 };

test(
  "network: a proxy answering 407 is asked exactly once per call, at every entry point",
  async () => {
    const proxy = await startForwardProxy({ auth: { user: PROXY_USER, password: PROXY_PASSWORD } });
    // Nothing needs to listen there: the proxy refuses before it connects.
    const target = `https://127.0.0.1:${await freePort()}`;
    const host = new URL(target).host;
    const tokenUrl = `${target}/v1/auth/oauth/token`;
    const credentials = new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET });
    const runtime = await detectRuntime();
    const once = async (what: string, call: () => Promise<unknown>) => {
      const before = await proxy.connects(host);
      const error = await thrown(call);
      assert.equal(await proxy.connects(host) - before, 1, `${what}: one CONNECT`);
      assertProxyAuth(error, proxy, what);
    };
    try {
      const wrong = wrongProxyUrl(proxy);
      await withProxyEnv({ HTTPS_PROXY: wrong }, async () => {
        // No fetch given: the runtime's transport applies HTTPS_PROXY (on Node too).
        await once("requestToken", () => requestToken(credentials, { tokenUrl }));
        await once(
          "TokenProvider",
          () => new TokenProvider({ credentials, authHost: target }).getToken(),
        );
        const client = await createClient({
          auth: [TEST_CLIENT_ID, CANARY_SECRET],
          runtime,
          authHost: target,
          baseUrl: target,
        });
        await once("createClient().get from HTTPS_PROXY", () => client.get("/v1/items"));
      });
      await withProxyEnv({}, async () => {
        const client = await createClient({
          auth: [TEST_CLIENT_ID, CANARY_SECRET],
          runtime,
          authHost: target,
          baseUrl: target,
          proxy: wrong,
        });
        await once("createClient().get with the proxy option", () => client.get("/v1/items"));
        // No credentials at all: the same code, the same single attempt.
        const open = await createClient({
          auth: [TEST_CLIENT_ID, CANARY_SECRET],
          runtime,
          authHost: target,
          proxy: proxy.url,
        });
        await once("no proxy credentials", () => open.get("/v1/items"));
      });
      // A kog run: the CLI through HTTPS_PROXY.
      const box = await sandbox();
      try {
        await box.write(
          "config/kognic/environments.json",
          JSON.stringify({
            environments: { local: { host: "127.0.0.1", auth_server: target } },
          }),
        );
        Object.assign(box.env, {
          HTTPS_PROXY: wrong,
          KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
          KOGNIC_CLIENT_SECRET: CANARY_SECRET,
        });
        const before = await proxy.connects(host);
        const ran = await box.run("kog", ["get", `${target}/v1/things`]);
        assert.notEqual(ran.code, 0);
        assert.match(ran.stderr, /407/, ran.stderr);
        assert.match(ran.stderr, new RegExp(`127\\.0\\.0\\.1:${proxy.port}`), ran.stderr);
        assertNoSecrets(ran.stdout + ran.stderr, SECRETS);
        assert.equal(await proxy.connects(host) - before, 1, "kog: one CONNECT");
      } finally {
        await box.close();
      }
      assert.ok((await proxy.lines()).every((line) => line.endsWith(" 407")));
      assert.equal(await proxy.connects(host), 6);
    } finally {
      await proxy.close();
    }
  },
  WIRE,
);

test(
  "network: an untrusted certificate is TLS_CERTIFICATE, tried once, directly and through a proxy",
  async () => {
    const ca = await makeTestCa();
    const server = createKognicServer();
    const served = await serve(server.fetch);
    const front = await startTlsFront(ca, served.url);
    const proxy = await startForwardProxy();
    const runtime = await detectRuntime();
    try {
      for (const via of [undefined, proxy.url]) {
        let calls = 0;
        const base = via ? runtime.fetchWith!(via) : runtime.fetch;
        const counted: typeof fetch = (input, init) => (calls++, base(input, init));
        const credentials = new Credentials({
          clientId: TEST_CLIENT_ID,
          clientSecret: CANARY_SECRET,
        });
        const what = via ? "through a proxy" : "directly";
        const token = await thrown(() =>
          requestToken(credentials, {
            tokenUrl: `${front.url}/v1/auth/oauth/token`,
            fetch: counted,
          })
        );
        assert.equal((token as KognicAuthError).code, "TLS_CERTIFICATE", `${what}: ${token}`);
        assert.match((token as Error).message, /"127\.0\.0\.1:\d+"/);
        assert.match((token as Error).message, /ca option.*NODE_EXTRA_CA_CERTS.*DENO_CERT/);
        assert.equal(calls, 1, `${what}: the token request is not retried`);
        assertNoSecrets(token, SECRETS);
        calls = 0;
        const client = await createClient({
          auth: [TEST_CLIENT_ID, CANARY_SECRET],
          runtime,
          authHost: served.url, // The token comes from plain http; the API is the TLS one.
          baseUrl: front.url,
          fetch: counted,
        });
        const api = await thrown(() => client.get("/v1/items?secret=1"));
        assert.equal((api as KognicAuthError).code, "TLS_CERTIFICATE", `${what}: ${api}`);
        assert.equal(calls, 2, `${what}: one token request and one API attempt`);
        assert.doesNotMatch((api as Error).message, /secret=1/);
      }
      assert.equal(server.apiRequests.length, 0);
    } finally {
      await proxy.close();
      await front.close();
      await served.close();
      await ca.remove();
    }
  },
  TLS_WIRE,
);

test(
  "network: refused connections and unknown names have their own codes, after the retries",
  async () => {
    const runtime = await detectRuntime();
    const port = await freePort();
    const credentials = new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET });
    const quick = { sleep: () => Promise.resolve() };
    for (
      const [host, code] of [
        [`127.0.0.1:${port}`, "CONNECTION_REFUSED"],
        // `.invalid` never resolves, and asking makes no network traffic.
        ["auth.kognic.invalid", "DNS_FAILED"],
      ] as const
    ) {
      let calls = 0;
      const counted: typeof fetch = (input, init) => (calls++, runtime.fetch(input, init));
      const token = await thrown(() =>
        requestToken(credentials, {
          tokenUrl: `https://${host}/v1/auth/oauth/token`,
          fetch: counted,
          ...quick,
        })
      );
      assert.equal((token as KognicAuthError).code, code, String(token));
      assert.match((token as Error).message, /after 3 attempts/);
      assert.equal(calls, 3);
      assertNoSecrets(token, SECRETS);
      // The API, with its own token from a server that works.
      const server = createKognicServer();
      const served = await serve(server.fetch);
      try {
        const client = await createClient({
          auth: [TEST_CLIENT_ID, CANARY_SECRET],
          runtime,
          authHost: served.url,
          baseUrl: `https://${host}`,
          retry: { baseDelay: 1 },
        });
        const api = await thrown(() => client.get("/v1/items?page=2"));
        assert.ok(api instanceof KognicAuthError, String(api));
        assert.equal(api.code, code, String(api));
        assert.match(
          api.message,
          new RegExp(`^GET "https://${host.replace(/\./g, "\\.")}/v1/items" `),
        );
        assert.match(api.message, /after 4 attempts/);
        assert.ok(api.cause instanceof Error, "the runtime's error is the cause");
        const post = await thrown(() => client.request("POST", "/v1/items", { json: { a: 1 } }));
        assert.equal((post as KognicAuthError).code, code, "a POST is tried once");
        assert.doesNotMatch((post as Error).message, /attempts/);
      } finally {
        await served.close();
      }
    }
  },
  { needs: ["sockets"], timeout: 30_000 },
);

// Node with its own proxy support on and no undici: requestToken goes through the proxy of
// HTTPS_PROXY with Node's fetch (before: PROXY_UNAVAILABLE), and a 407 is still final.
const NODE_BUILT_IN = `
import { registerHooks } from "node:module";
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === "undici") throw Object.assign(new Error("Cannot find module 'undici'"), { code: "MODULE_NOT_FOUND" });
    return next(specifier, context);
  },
});
const { Credentials } = await import(process.argv[1]);
const { requestToken } = await import(process.argv[4]);
const credentials = new Credentials({ clientId: process.argv[5] ?? "id", clientSecret: process.argv[3] });
const error = await requestToken(credentials, { tokenUrl: process.argv[2] }).then(() => ({}), (e) => e);
console.log(JSON.stringify({ code: error.code, message: error.message }));
`;

test(
  "network: on Node, NODE_USE_ENV_PROXY=1 without undici sends through Node's own proxy support",
  async () => {
    const proxy = await startForwardProxy({ auth: { user: PROXY_USER, password: PROXY_PASSWORD } });
    try {
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HTTPS_PROXY: wrongProxyUrl(proxy),
      };
      const tokenUrl = `https://127.0.0.1:${await freePort()}/token`;
      const host = new URL(tokenUrl).host;
      const run = (extra: Record<string, string>) =>
        runProgram(
          nodeBinary(),
          [
            "--no-warnings",
            "--input-type=module",
            "-e",
            NODE_BUILT_IN,
            repoPath("mod.ts"),
            tokenUrl,
            CANARY_SECRET,
            repoPath("src/core.ts"),
          ],
          { env: { ...env, ...extra } },
        );
      const off = await run({});
      assert.equal(JSON.parse(off.stdout).code, "PROXY_UNAVAILABLE", off.stdout + off.stderr);
      assert.match(JSON.parse(off.stdout).message, /NODE_USE_ENV_PROXY=1/);
      assert.equal(await proxy.connects(host), 0);
      const on = await run({ NODE_USE_ENV_PROXY: "1" });
      const result = JSON.parse(on.stdout);
      assert.equal(result.code, "PROXY_AUTH_REQUIRED", on.stdout + on.stderr);
      assertNoSecrets(on.stdout + on.stderr, SECRETS);
      assert.equal(await proxy.connects(host), 1, "one CONNECT, by Node's own fetch");
    } finally {
      await proxy.close();
    }
  },
  WIRE,
);

test(
  "network: HTTPS round trips trust a CA given by the ca option, directly and through proxies",
  async () => {
    const ca = await makeTestCa();
    const server = createKognicServer();
    const served = await serve(server.fetch);
    const front = await startTlsFront(ca, served.url);
    const open = await startForwardProxy();
    const closed = await startForwardProxy({
      auth: { user: PROXY_USER, password: PROXY_PASSWORD },
    });
    const runtime = await detectRuntime();
    try {
      const authenticated = new URL(closed.url);
      authenticated.username = encodeURIComponent(PROXY_USER);
      authenticated.password = encodeURIComponent(PROXY_PASSWORD);
      for (const proxy of [undefined, open.url, authenticated.href]) {
        await withProxyEnv({}, async () => {
          server.reset();
          const client = await createClient({
            auth: [TEST_CLIENT_ID, CANARY_SECRET],
            runtime,
            authHost: front.url,
            baseUrl: front.url,
            proxy,
            ca: ca.caPem,
          });
          const items = await client.get("/v1/items");
          assert.ok(Array.isArray(items), String(proxy));
          assert.equal(server.tokenRequests.length, 1);
          assert.equal(server.apiRequests.length, 1);
        });
      }
      assert.ok((await open.connects(new URL(front.url).host)) >= 1, "through the open proxy");
      assert.ok((await closed.lines()).some((line) => line.endsWith(" 200")), "authenticated");
      assert.ok((await closed.lines()).every((line) => line.endsWith(" 200")));
      // HTTPS_PROXY and the ca option together; and the same CA without the option fails.
      const url = `${front.url}/v1/auth/oauth/token`;
      const credentials = new Credentials({
        clientId: TEST_CLIENT_ID,
        clientSecret: CANARY_SECRET,
      });
      await withProxyEnv({ HTTPS_PROXY: authenticated.href }, async () => {
        const token = await requestToken(credentials, {
          tokenUrl: url,
          fetch: runtime.fetchWith!(undefined, { ca: ca.caPem }),
        });
        assert.ok(token.access_token);
        const error = await thrown(() => requestToken(credentials, { tokenUrl: url }));
        assert.equal((error as KognicAuthError).code, "TLS_CERTIFICATE", String(error));
        assertNoSecrets(error, SECRETS);
      });
    } finally {
      await closed.close();
      await open.close();
      await front.close();
      await served.close();
      await ca.remove();
    }
  },
  TLS_WIRE,
);

test(
  "network: a kog run trusts a CA named by NODE_EXTRA_CA_CERTS (Node, Bun) or DENO_CERT (Deno)",
  async () => {
    const ca = await makeTestCa();
    const server = createKognicServer();
    const served = await serve(server.fetch);
    const front = await startTlsFront(ca, served.url);
    const box = await sandbox();
    try {
      await box.write(
        "config/kognic/environments.json",
        JSON.stringify({ environments: { local: { host: "127.0.0.1", auth_server: front.url } } }),
      );
      Object.assign(box.env, {
        KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
        KOGNIC_CLIENT_SECRET: CANARY_SECRET,
      });
      const kog = (extra: Record<string, string>) => {
        const env = { ...box.env, ...extra };
        return sandboxRun(box, env);
      };
      const trusted = await kog({ NODE_EXTRA_CA_CERTS: ca.caFile, DENO_CERT: ca.caFile });
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.equal(server.apiRequests.length, 1);
      // SSL_CERT_FILE alone: Bun reads it, Node's and Deno's fetch do not.
      const sslCertFile = await kog({ SSL_CERT_FILE: ca.caFile });
      assert.equal(sslCertFile.code === 0, "Bun" in globalThis, sslCertFile.stderr);
      // Without any: a clear refusal, saying how to trust the CA.
      const untrusted = await kog({});
      assert.notEqual(untrusted.code, 0);
      assert.match(untrusted.stderr, /not trusted.*NODE_EXTRA_CA_CERTS/s, untrusted.stderr);
      assertNoSecrets(
        [trusted, sslCertFile, untrusted].map((ran) => ran.stdout + ran.stderr).join("\n"),
        SECRETS,
      );
    } finally {
      await box.close();
      await front.close();
      await served.close();
      await ca.remove();
    }

    function sandboxRun(sandboxed: typeof box, env: Record<string, string>) {
      const saved = { ...sandboxed.env };
      Object.assign(sandboxed.env, env);
      return sandboxed.run("kog", ["get", `${front.url}/v1/items`]).finally(() => {
        for (const name of Object.keys(sandboxed.env)) delete sandboxed.env[name];
        Object.assign(sandboxed.env, saved);
      });
    }
  },
  TLS_WIRE,
);

/** A real proxy with Basic auth: its URL, the CONNECTs it logged for a target, its raw log. */
interface AuthProxy {
  url: string;
  port: number;
  connects(host: string): Promise<number>;
  log(): Promise<string>;
}

/**
 * Every entry point, from HTTPS_PROXY and from the proxy option, with a wrong password and with
 * none: each call is refused with `code` (a function of the runtime) and costs exactly one
 * CONNECT in the proxy's own log, the CLIs' runs too; no output and no log line holds a password.
 */
async function refusedOncePerCall(
  proxy: AuthProxy,
  user: string,
  password: string,
  code: (runtime: string) => string,
): Promise<void> {
  const target = `https://127.0.0.1:${await freePort()}`;
  const host = new URL(target).host;
  const tokenUrl = `${target}/v1/auth/oauth/token`;
  const credentials = new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET });
  const runtime = await detectRuntime();
  const expected = code(runtime.name);
  const options = {
    auth: [TEST_CLIENT_ID, CANARY_SECRET] as [string, string],
    runtime,
    authHost: target,
    baseUrl: target,
    // A clock of its own: a token provider of its own (clients sharing every option share one).
    clock: { now: () => Date.now() },
  };
  const once = async (what: string, call: () => Promise<unknown>) => {
    const before = await proxy.connects(host);
    const error = await thrown(call);
    assert.ok(error instanceof KognicAuthError, `${what}: ${error}`);
    assert.equal(error.code, expected, `${what}: ${error}`);
    assert.match(error.message, new RegExp(`"127\\.0\\.0\\.1:${proxy.port}"`), what);
    assertNoSecrets(error, SECRETS);
    assert.equal(await proxy.connects(host) - before, 1, `${what}: one CONNECT`);
  };
  const wrong = new URL(proxy.url);
  wrong.username = encodeURIComponent(user);
  wrong.password = encodeURIComponent(`wrong-${password}`);
  const box = await sandbox();
  try {
    await box.write(
      "config/kognic/environments.json",
      JSON.stringify({ environments: { local: { host: "127.0.0.1", auth_server: target } } }),
    );
    Object.assign(box.env, {
      KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
      KOGNIC_CLIENT_SECRET: CANARY_SECRET,
    });
    for (const [given, url] of [["a wrong password", wrong.href], ["no credentials", proxy.url]]) {
      await withProxyEnv({ HTTPS_PROXY: url }, async () => {
        await once(
          `${given}, HTTPS_PROXY: requestToken`,
          () => requestToken(credentials, { tokenUrl }),
        );
        await once(
          `${given}, HTTPS_PROXY: TokenProvider`,
          () => new TokenProvider({ credentials, authHost: target }).getToken(),
        );
        const client = await createClient(options);
        await once(`${given}, HTTPS_PROXY: createClient().get`, () => client.get("/v1/items"));
      });
      await withProxyEnv({}, async () => {
        await once(
          `${given}, the proxy option: requestToken through fetchWith`,
          () => requestToken(credentials, { tokenUrl, fetch: runtime.fetchWith!(url) }),
        );
        const client = await createClient({ ...options, proxy: url });
        await once(`${given}, the proxy option: createClient().get`, () => client.get("/v1/items"));
      });
      box.env.HTTPS_PROXY = url;
      for (
        const [program, args] of [
          ["kog", ["get", `${target}/v1/things`]],
          ["kognic-auth", ["get-access-token", "--server", target, "--token-cache", "none"]],
        ] as const
      ) {
        const before = await proxy.connects(host);
        const ran = await box.run(program, args);
        const what = `${given}, HTTPS_PROXY: ${program}`;
        assert.notEqual(ran.code, 0, `${what}: ${ran.stdout}`);
        assert.match(
          ran.stderr,
          new RegExp(`127\\.0\\.0\\.1:${proxy.port}`),
          `${what}: ${ran.stderr}`,
        );
        assertNoSecrets(ran.stdout + ran.stderr, SECRETS);
        assert.equal(await proxy.connects(host) - before, 1, `${what}: one CONNECT`);
      }
    }
    assertNoSecrets(await proxy.log(), SECRETS);
  } finally {
    await box.close();
  }
}

test(
  "network: squid refusing the credentials (TCP_DENIED/407) sees one CONNECT per call",
  async () => {
    // basic_ncsa_auth; a DOMAIN\user name, and a password with every character that needs
    // percent-encoding.
    const squid = await startSquid({ auth: { user: PROXY_USER, password: PROXY_PASSWORD } });
    try {
      const refused = async (host: string) =>
        (await squid.requests()).filter((line) =>
          line.startsWith(`CONNECT ${host} `) && line.includes("TCP_DENIED/407")
        ).length;
      // squid answers HTTP/1.1 407, which every runtime names.
      await refusedOncePerCall(
        { url: squid.url, port: squid.port, connects: refused, log: squid.accessLog },
        PROXY_USER,
        PROXY_PASSWORD,
        () => "PROXY_AUTH_REQUIRED",
      );
      // The right password passes squid (which then cannot reach the closed port): the
      // DOMAIN\user name arrives as it is.
      const target = `https://127.0.0.1:${await freePort()}`;
      const right = new URL(squid.url);
      right.username = encodeURIComponent(PROXY_USER);
      right.password = encodeURIComponent(PROXY_PASSWORD);
      const through = await thrown(() =>
        (async () => (await detectRuntime()).fetchWith!(right.href)(`${target}/`))()
      );
      assert.notEqual((through as KognicAuthError).code, "PROXY_AUTH_REQUIRED", String(through));
      const host = new URL(target).host;
      const accepted = (await squid.requests()).filter((line) =>
        line.startsWith(`CONNECT ${host} `) && !line.includes("TCP_DENIED")
      );
      assert.equal(accepted.length, 1, "squid let the CONNECT through");
      assertNoSecrets(await squid.accessLog(), SECRETS);
    } finally {
      await squid.close();
    }
  },
  { needs: ["sockets", "subprocess", "squid"], timeout: 60_000 },
);

test(
  "network: tinyproxy with BasicAuth refusing a wrong or missing password sees one CONNECT per call",
  async () => {
    const tinyproxy = await startTinyproxy({
      auth: { user: "kognic", password: TINYPROXY_PASSWORD },
    });
    try {
      const connects = async (host: string) =>
        (await tinyproxy.requests()).filter((line) => line.startsWith(`CONNECT ${host} `)).length;
      // tinyproxy answers HTTP/1.0 401 to a wrong password and HTTP/1.0 407 to none: Bun and
      // Node name both, Deno says only "unsuccessful tunnel", a refusal all the same.
      await refusedOncePerCall(
        { url: tinyproxy.url, port: tinyproxy.port, connects, log: tinyproxy.log },
        "kognic",
        TINYPROXY_PASSWORD,
        (runtime) => runtime === "deno" ? "PROXY_FAILED" : "PROXY_AUTH_REQUIRED",
      );
    } finally {
      await tinyproxy.close();
    }
  },
  { needs: ["sockets", "subprocess", "tinyproxy"], timeout: 60_000 },
);

test(
  "network: a tunnel refused with 401, 403 or an HTTP/1.0 407 is tried once per call; a 502 only within the call's one budget",
  async () => {
    // A proxy that answers every CONNECT with one status line, as proxies word them.
    let answer = "";
    let connects = 0;
    const proxy = await rawServer((socket, head) => {
      if (!head.startsWith("CONNECT ")) return socket.destroy();
      connects++;
      socket.end(`${answer}\r\nContent-Length: 0\r\n\r\n`);
    });
    const runtime = await detectRuntime();
    const deno = runtime.name === "deno";
    const target = `https://127.0.0.1:${await freePort()}`;
    const credentials = new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET });
    try {
      for (
        const [line, code, retried] of [
          ["HTTP/1.0 407 Proxy Authentication Required", "PROXY_AUTH_REQUIRED", false],
          ["HTTP/1.1 401 Unauthorized", "PROXY_AUTH_REQUIRED", false],
          ["HTTP/1.1 403 Forbidden", "PROXY_FAILED", false],
          ["HTTP/1.1 502 Bad Gateway", "PROXY_FAILED", true],
        ] as const
      ) {
        answer = line;
        // Deno names no status but that of an HTTP/1.1 407: a refusal all the same, never retried.
        const [want, again] = deno ? ["PROXY_FAILED", false] : [code, retried];
        let before = connects;
        const token = await thrown(() =>
          requestToken(credentials, {
            tokenUrl: `${target}/v1/auth/oauth/token`,
            fetch: runtime.fetchWith!(proxy.url),
            sleep: () => Promise.resolve(),
          })
        );
        assert.equal((token as KognicAuthError).code, want, `${line}: ${token}`);
        // The token endpoint's own 2 retries.
        assert.equal(connects - before, again ? 3 : 1, `${line}: requestToken`);
        before = connects;
        const client = await createClient({
          auth: [TEST_CLIENT_ID, CANARY_SECRET],
          runtime,
          authHost: target,
          baseUrl: target,
          proxy: proxy.url,
          clock: { now: () => Date.now(), sleep: () => Promise.resolve() },
        });
        const api = await thrown(() => client.get("/v1/items"));
        assert.equal((api as KognicAuthError).code, want, `${line}: ${api}`);
        // One budget for the call: 4 attempts in all, not the token request's 3 in each of the
        // client's 4.
        assert.equal(connects - before, again ? 4 : 1, `${line}: client.get`);
        assertNoSecrets([token, api], SECRETS);
      }
    } finally {
      await proxy.close();
    }
  },
  WIRE,
);

// ---------------------------------------------------------------------------------------------
// HTTPS proxies: the proxy itself listens on TLS (`https://` proxy URLs), so a request to an
// https URL makes two handshakes, one with the proxy and one with the target through the tunnel.
// The proxy's certificate comes from a CA of its own, so the ca option must hold both CAs.

/** The proxy's URL with the DOMAIN\user name and `password`, percent-encoded as they must be. */
function withCredentials(proxy: ForwardProxy, password = PROXY_PASSWORD): string {
  const url = new URL(proxy.url);
  url.username = encodeURIComponent(PROXY_USER);
  url.password = encodeURIComponent(password);
  return url.href;
}

/** An untrusted certificate through an HTTPS proxy: the message names the proxy, and what to do. */
function assertUntrustedThroughProxy(error: unknown, proxy: ForwardProxy, what: string): void {
  assert.ok(error instanceof KognicAuthError, `${what}: ${error}`);
  assert.equal(error.code, "TLS_CERTIFICATE", `${what}: ${error}`);
  assert.match(
    error.message,
    new RegExp(`the TLS certificate of the HTTPS proxy "127\\.0\\.0\\.1:${proxy.port}" or of`),
    what,
  );
  assert.match(error.message, /ca option may hold several certificates/, what);
  assert.doesNotMatch(error.message, /kognic/i, `${what}: no user name`);
  assertNoSecrets(error, SECRETS);
}

test(
  "network: HTTPS proxies carry token and API requests over TLS; the ca option trusts proxy and target",
  async () => {
    const ca = await makeTestCa(); // signs the target's certificate
    const proxyCa = await makeTestCa("Kognic Test Proxy CA"); // signs the proxy's
    const server = createKognicServer();
    const served = await serve(server.fetch);
    const front = await startTlsFront(ca, served.url);
    // A second port for the same server: a target no earlier request has a tunnel to (Bun keeps
    // a tunnel per proxy and target).
    const second = await startTlsFront(ca, served.url);
    const closed = await startForwardProxy({
      tls: proxyCa,
      auth: { user: PROXY_USER, password: PROXY_PASSWORD },
    });
    const runtime = await detectRuntime();
    const host = new URL(front.url).host;
    const both = ca.caPem + proxyCa.caPem;
    const authenticated = withCredentials(closed);
    const tokenUrl = `${front.url}/v1/auth/oauth/token`;
    const credentials = new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET });
    const client = (
      options: { proxy?: string; ca?: string; fetch?: typeof fetch },
      target = front.url,
    ) =>
      createClient({
        auth: [TEST_CLIENT_ID, CANARY_SECRET],
        runtime,
        authHost: target,
        baseUrl: target,
        clock: { now: () => Date.now() }, // a token provider of its own
        ...options,
      });
    try {
      assert.match(closed.url, /^https:\/\//);
      // Round trips: the proxy option, then HTTPS_PROXY, each with the ca option holding both CAs.
      for (
        const [vars, proxy, target] of [
          [{}, authenticated, front.url],
          [{ HTTPS_PROXY: authenticated }, undefined, second.url],
        ] as const
      ) {
        await withProxyEnv(vars, async () => {
          server.reset();
          const items = await (await client({ proxy, ca: both }, target)).get("/v1/items");
          assert.ok(Array.isArray(items), `${JSON.stringify(vars)}: ${items}`);
          assert.equal(server.tokenRequests.length, 1);
          assert.equal(server.apiRequests.length, 1);
          // Bun sends the API request through the token request's tunnel.
          assert.ok(await closed.connects(new URL(target).host) >= 1, "through the HTTPS proxy");
        });
      }
      await withProxyEnv({ https_proxy: authenticated }, async () => {
        const token = await requestToken(credentials, {
          tokenUrl,
          fetch: runtime.fetchWith!(undefined, { ca: both }),
        });
        assert.ok(token.access_token);
      });
      assert.ok((await closed.lines()).every((line) => line.endsWith(" 200")));
      server.reset();

      // A wrong password, or none: the HTTPS proxy answers 407, asked once per call.
      const wrong = withCredentials(closed, `wrong-${PROXY_PASSWORD}`);
      const once = async (what: string, call: () => Promise<unknown>) => {
        const before = await closed.connects(host);
        const error = await thrown(call);
        assert.equal(await closed.connects(host) - before, 1, `${what}: one CONNECT`);
        assertProxyAuth(error, closed, what);
      };
      await withProxyEnv({}, async () => {
        const refused = await client({ proxy: wrong, ca: both });
        await once("the proxy option", () => refused.get("/v1/items"));
        const anonymous = await client({ proxy: closed.url, ca: both });
        await once("no proxy credentials", () => anonymous.get("/v1/items"));
      });
      await withProxyEnv({ HTTPS_PROXY: wrong }, async () => {
        const refused = await client({ ca: both });
        await once("HTTPS_PROXY", () => refused.get("/v1/items"));
        await once("requestToken", () =>
          requestToken(credentials, {
            tokenUrl,
            fetch: runtime.fetchWith!(undefined, { ca: both }),
          }));
      });

      // The proxy's certificate not trusted (the ca option holds the target's CA only): one try,
      // no CONNECT (the handshake with the proxy failed), a message naming the proxy.
      for (
        const [vars, proxy, what] of [
          [{}, authenticated, "the proxy option"],
          [{ HTTPS_PROXY: authenticated }, undefined, "HTTPS_PROXY"],
        ] as const
      ) {
        await withProxyEnv(vars, async () => {
          let calls = 0;
          const base = runtime.fetchWith!(proxy, { ca: ca.caPem });
          const counted: typeof fetch = (input, init) => (calls++, base(input, init));
          const before = await closed.connects();
          const token = await thrown(() => requestToken(credentials, { tokenUrl, fetch: counted }));
          assertUntrustedThroughProxy(token, closed, `${what}: requestToken`);
          assert.equal(calls, 1, `${what}: the token request is not retried`);
          calls = 0;
          const api = await thrown(async () => (await client({ fetch: counted })).get("/v1/items"));
          assertUntrustedThroughProxy(api, closed, `${what}: client.get`);
          assert.equal(calls, 1, `${what}: one token request, no API attempt`);
          assert.equal(await closed.connects(), before, `${what}: no CONNECT reached the proxy`);
        });
      }
      // The proxy trusted, the target not (the ca option holds the proxy's CA only): the tunnel
      // is made, once, and the same code names both.
      await withProxyEnv({}, async () => {
        let calls = 0;
        const base = runtime.fetchWith!(authenticated, { ca: proxyCa.caPem });
        const counted: typeof fetch = (input, init) => (calls++, base(input, init));
        const before = await closed.connects(host);
        const token = await thrown(() => requestToken(credentials, { tokenUrl, fetch: counted }));
        assertUntrustedThroughProxy(token, closed, "the target untrusted");
        assert.equal(calls, 1);
        assert.equal(await closed.connects(host) - before, 1, "one CONNECT");
      });
      assert.equal(server.tokenRequests.length, 0, "no failing call reached the server");
    } finally {
      await closed.close();
      await second.close();
      await front.close();
      await served.close();
      await ca.remove();
      await proxyCa.remove();
    }
  },
  TLS_WIRE,
);

test(
  "network: a kog run through an HTTPS proxy trusts NODE_EXTRA_CA_CERTS (Node, Bun) or DENO_CERT (Deno) for proxy and target",
  async () => {
    const ca = await makeTestCa();
    const proxyCa = await makeTestCa("Kognic Test Proxy CA");
    const server = createKognicServer();
    const served = await serve(server.fetch);
    const front = await startTlsFront(ca, served.url);
    const proxy = await startForwardProxy({
      tls: proxyCa,
      auth: { user: PROXY_USER, password: PROXY_PASSWORD },
    });
    const host = new URL(front.url).host;
    const box = await sandbox();
    try {
      const bundle = await box.write("cas.pem", ca.caPem + proxyCa.caPem);
      await box.write(
        "config/kognic/environments.json",
        JSON.stringify({ environments: { local: { host: "127.0.0.1", auth_server: front.url } } }),
      );
      Object.assign(box.env, {
        KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
        KOGNIC_CLIENT_SECRET: CANARY_SECRET,
      });
      const kog = async (extra: Record<string, string>) => {
        const saved = { ...box.env };
        Object.assign(box.env, extra);
        try {
          return await box.run("kog", ["get", `${front.url}/v1/items`]);
        } finally {
          for (const name of Object.keys(box.env)) delete box.env[name];
          Object.assign(box.env, saved);
        }
      };
      const trust = { NODE_EXTRA_CA_CERTS: bundle, DENO_CERT: bundle };
      const trusted = await kog({ ...trust, HTTPS_PROXY: withCredentials(proxy) });
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.equal(server.tokenRequests.length, 1);
      assert.equal(server.apiRequests.length, 1);
      assert.ok(await proxy.connects(host) >= 1, "through the HTTPS proxy");
      assert.ok((await proxy.lines()).every((line) => line.endsWith(" 200")));
      // A wrong password: one CONNECT, refused.
      const before = await proxy.connects(host);
      const refused = await kog({
        ...trust,
        HTTPS_PROXY: withCredentials(proxy, `wrong-${PROXY_PASSWORD}`),
      });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /407/, refused.stderr);
      assert.equal(await proxy.connects(host) - before, 1, "one CONNECT");
      // Neither CA named: the proxy's certificate is refused first, and the message names it.
      const untrusted = await kog({ HTTPS_PROXY: withCredentials(proxy) });
      assert.notEqual(untrusted.code, 0);
      assert.match(
        untrusted.stderr,
        new RegExp(`HTTPS proxy "127\\.0\\.0\\.1:${proxy.port}".*not trusted.*NODE_EXTRA_CA_CERTS`),
        untrusted.stderr,
      );
      assert.equal(await proxy.connects(host) - before, 1, "no CONNECT without trust");
      assertNoSecrets(
        [trusted, refused, untrusted].map((ran) => ran.stdout + ran.stderr).join("\n"),
        SECRETS,
      );
    } finally {
      await box.close();
      await proxy.close();
      await front.close();
      await served.close();
      await ca.remove();
      await proxyCa.remove();
    }
  },
  TLS_WIRE,
);

test(
  "network: on Node, NODE_USE_ENV_PROXY=1 without undici goes through an HTTPS proxy NODE_EXTRA_CA_CERTS trusts",
  async () => {
    const ca = await makeTestCa();
    const server = createKognicServer();
    const served = await serve(server.fetch);
    const front = await startTlsFront(ca, served.url);
    // The proxy's certificate from the target's CA: one file trusts both.
    const proxy = await startForwardProxy({
      tls: ca,
      auth: { user: PROXY_USER, password: PROXY_PASSWORD },
    });
    const tokenUrl = `${front.url}/v1/auth/oauth/token`;
    const host = new URL(tokenUrl).host;
    const run = (extra: Record<string, string>) =>
      runProgram(
        nodeBinary(),
        [
          "--no-warnings",
          "--input-type=module",
          "-e",
          NODE_BUILT_IN,
          repoPath("mod.ts"),
          tokenUrl,
          CANARY_SECRET,
          repoPath("src/core.ts"),
          TEST_CLIENT_ID,
        ],
        {
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NODE_USE_ENV_PROXY: "1", ...extra },
        },
      );
    try {
      const ok = await run({ HTTPS_PROXY: withCredentials(proxy), NODE_EXTRA_CA_CERTS: ca.caFile });
      assert.equal(JSON.parse(ok.stdout).code, undefined, ok.stdout + ok.stderr);
      assert.equal(server.tokenRequests.length, 1, "a token, through Node's own fetch");
      assert.equal(await proxy.connects(host), 1);
      const refused = await run({
        HTTPS_PROXY: withCredentials(proxy, `wrong-${PROXY_PASSWORD}`),
        NODE_EXTRA_CA_CERTS: ca.caFile,
      });
      assert.equal(JSON.parse(refused.stdout).code, "PROXY_AUTH_REQUIRED", refused.stdout);
      assert.equal(await proxy.connects(host), 2, "one CONNECT");
      const untrusted = await run({ HTTPS_PROXY: withCredentials(proxy) });
      const result = JSON.parse(untrusted.stdout);
      assert.equal(result.code, "TLS_CERTIFICATE", untrusted.stdout + untrusted.stderr);
      assert.match(result.message, new RegExp(`HTTPS proxy "127\\.0\\.0\\.1:${proxy.port}"`));
      assert.equal(await proxy.connects(host), 2, "no CONNECT without trust");
      assertNoSecrets([ok, refused, untrusted].map((ran) => ran.stdout + ran.stderr), SECRETS);
    } finally {
      await proxy.close();
      await front.close();
      await served.close();
      await ca.remove();
    }
  },
  TLS_WIRE,
);

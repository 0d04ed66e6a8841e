import assert from "node:assert/strict";
import { Hono } from "hono";
import { createClient, type KognicAuthError, type KognicClient } from "../../mod.ts";
import { kognicClient, type KognicEnv, kognicProxy } from "../../src/hono/mod.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import { test } from "../support/harness.ts";
import { redact } from "../../src/_util.ts";
import {
  API_BASE,
  assertNoSecrets,
  AUTH_HOST,
  CANARY_SECRET,
  TEST_CLIENT_ID,
  thrown,
} from "../support/fixtures.ts";
import { createKognicServer, type KognicServer } from "../support/kognic_server.ts";

const PROXY = "https://proxy.example";

interface ProxySetup {
  server: KognicServer;
  app: Hono;
  client: KognicClient;
  /** Every URL the library fetched, token endpoint included. */
  fetched: string[];
  call(path: string, init?: RequestInit): Promise<Response>;
}

/** A proxy at /kognic/* in front of the in-process Kognic server; access needs `x-key: ok`. */
async function proxySetup(
  upstream?: (request: Request, server: KognicServer) => Promise<Response> | undefined,
): Promise<ProxySetup> {
  const server = createKognicServer();
  const fetched: string[] = [];
  const client = await createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    runtime: memoryRuntime(),
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    fetch: (input, init) => {
      const request = new Request(input, init);
      fetched.push(request.url);
      return upstream?.(request, server) ?? server.fetch(request);
    },
  });
  const app = new Hono();
  app.all(
    "/kognic/*",
    kognicProxy({
      client,
      access: (c) => c.req.header("x-key") === "ok",
      paths: ["/v1/whoami", "/v1/echo", "/v1/reflect"],
      mount: "/kognic",
    }),
  );
  return {
    server,
    app,
    client,
    fetched,
    call: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (!headers.has("x-key")) headers.set("x-key", "ok");
      return Promise.resolve(app.fetch(new Request(new URL(path, PROXY), { ...init, headers })));
    },
  };
}

/** Fails if a response's headers or body hold the token or the secret; returns the body. */
async function assertClean(response: Response, server: KognicServer): Promise<string> {
  const text = await response.text();
  assertNoSecrets([text, [...response.headers]], [CANARY_SECRET, ...server.issuedTokens]);
  return text;
}

test("hono proxy: refuses to be created without an access check or allowed paths", async () => {
  const noAccess = await thrown(() => kognicProxy({ paths: ["/v1"] } as never));
  assert.equal((noAccess as KognicAuthError).code, "INVALID_OPTIONS");
  assert.match((noAccess as Error).message, /needs an access check/);
  const noPaths = await thrown(() => kognicProxy({ access: "public", paths: [] }));
  assert.match((noPaths as Error).message, /needs the upstream paths/);
  for (const path of ["v1", "/v1/../admin", "/v1/%2e%2e", "//evil.example"]) {
    const error = await thrown(() => kognicProxy({ access: "public", paths: [path] }));
    assert.equal((error as KognicAuthError).code, "INVALID_OPTIONS", path);
  }
  // The explicit opt-out is accepted.
  kognicProxy({ access: "public", paths: ["/v1/projects"] });
});

test("hono proxy: an authorised request reaches Kognic with a valid bearer token", async () => {
  const { server, call, fetched } = await proxySetup();
  const response = await call("/kognic/v1/whoami?x=1");
  assert.equal(response.status, 200);
  const body = await assertClean(response, server);
  assert.equal(JSON.parse(body).data.clientId, TEST_CLIENT_ID);
  const [request] = server.apiRequests;
  assert.equal(request.url, `${API_BASE}/v1/whoami?x=1`);
  assert.equal(request.headers.authorization, `Bearer ${server.issuedTokens[0]}`);
  assert.deepEqual(fetched.map((url) => new URL(url).origin), [AUTH_HOST, API_BASE]);
});

test("hono proxy: a request without access is refused before anything is fetched", async () => {
  const { server, call, fetched } = await proxySetup();
  const response = await call("/kognic/v1/whoami", { headers: { "x-key": "wrong" } });
  assert.equal(response.status, 403);
  await assertClean(response, server);
  assert.deepEqual(fetched, []);
});

test("hono proxy: paths outside the allow-list, traversal and absolute URLs never leave", async () => {
  const { server, app, call, fetched } = await proxySetup();
  const refused = [
    "/kognic/v1/items", // not allowed
    "/kognic/v1/whoamiX", // a prefix is a whole segment
    "/kognic/v1/whoami/../items", // normalised to /kognic/v1/items
    "/kognic/v1/whoami/..%2Fitems",
    "/kognic/v1/whoami/%2e%2e/%2e%2e/items",
    "/kognic/v1/whoami/%252e%252e/items",
    "/kognic/v1/whoami/..%5Citems",
    "/kognic//evil.example/v1/whoami",
    "/kognic/https://evil.example/v1/whoami",
    "/kognic/v1/whoami\\..\\items",
    "/other/v1/whoami",
  ];
  for (const path of refused) {
    const response = await call(path);
    assert.ok([400, 403, 404].includes(response.status), `${path} answered ${response.status}`);
    await assertClean(response, server);
  }
  // An absolute-form request target names another host: it still goes to the fixed origin.
  const absolute = await app.fetch(
    new Request("http://evil.example/kognic/v1/whoami", { headers: { "x-key": "ok" } }),
  );
  assert.equal(absolute.status, 200);
  await absolute.body?.cancel();
  assert.deepEqual([...new Set(fetched.map((url) => new URL(url).origin))], [AUTH_HOST, API_BASE]);
  assert.deepEqual(server.apiRequests.map((request) => request.url), [`${API_BASE}/v1/whoami`]);
});

test("hono proxy: Host and X-Forwarded headers never choose the upstream", async () => {
  const { server, call, fetched } = await proxySetup();
  const response = await call("/kognic/v1/echo", {
    headers: {
      Host: "evil.example",
      "X-Forwarded-Host": "evil.example",
      "X-Forwarded-Proto": "http",
      Forwarded: "host=evil.example",
    },
  });
  assert.equal(response.status, 200);
  const echoed = JSON.parse(await assertClean(response, server)).data;
  assert.equal(server.apiRequests[0].url, `${API_BASE}/v1/echo`);
  for (const name of ["x-forwarded-host", "x-forwarded-proto", "forwarded"]) {
    assert.equal(echoed.headers[name], undefined, name);
  }
  assert.notEqual(echoed.headers.host, "evil.example");
  assert.ok(fetched.every((url) => !url.includes("evil.example")));
});

test("hono proxy: the caller's Authorization, Cookie and hop-by-hop headers never reach Kognic", async () => {
  const { server, call } = await proxySetup();
  const response = await call("/kognic/v1/echo", {
    headers: {
      Authorization: "Bearer forged-by-the-caller",
      Cookie: "session=caller-session",
      "Proxy-Authorization": "Basic Zm9vOmJhcg==",
      Connection: "keep-alive, X-Hop",
      "X-Hop": "1",
      "X-Kept": "yes",
    },
  });
  assert.equal(response.status, 200);
  await assertClean(response, server);
  const seen = server.apiRequests[0].headers;
  assert.equal(seen.authorization, `Bearer ${server.issuedTokens[0]}`);
  for (const name of ["cookie", "proxy-authorization", "x-hop"]) {
    assert.equal(seen[name], undefined, name);
  }
  assert.equal(seen["x-kept"], "yes");
});

test("hono proxy: no response body or header holds the token or the secret", async () => {
  const { server, call } = await proxySetup((request) => {
    if (!request.url.endsWith("/v1/reflect")) return undefined;
    // An upstream that reflects the token in small chunks, a header and a cookie.
    const auth = request.headers.get("authorization") ?? "";
    const text = `you sent ${auth}; again: ${auth} and the secret ${CANARY_SECRET}`;
    const bytes = new TextEncoder().encode(text);
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(at, at += 7));
      },
    });
    return Promise.resolve(
      new Response(body, {
        statusText: `OK ${auth}`,
        headers: {
          "x-debug-authorization": auth,
          "set-cookie": "kognic_session=upstream; Secure",
          "x-other": "kept",
          // Hop-by-hop by naming: for the upstream connection only.
          connection: "x-internal",
          "x-internal": "upstream only",
        },
      }),
    );
  });
  const response = await call("/kognic/v1/reflect");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("set-cookie"), null);
  assert.equal(response.headers.get("x-debug-authorization"), null);
  assert.equal(response.headers.get("x-other"), "kept");
  assert.equal(response.headers.get("x-internal"), null);
  // Some runtimes drop a status text on the way; where it arrives, the token in it is redacted.
  assert.ok(!server.issuedTokens.some((token) => response.statusText.includes(token)));
  const text = await response.text();
  assert.equal(text.split("[REDACTED]").length - 1, 2, redact(text, [CANARY_SECRET]));
  // The upstream's own copy of the secret is its doing: the token is what the proxy guards.
  assert.ok(!server.issuedTokens.some((token) => text.includes(token)));
});

test("hono proxy: the token the request was sent with is redacted even if the provider moved on", async () => {
  const late: { client?: KognicClient } = {};
  const { server, call, client } = await proxySetup((request) => {
    if (!request.url.endsWith("/v1/reflect")) return undefined;
    // While the answer is on its way the token is replaced: redaction must not use the new one.
    const sent = request.headers.get("authorization")!.slice("Bearer ".length);
    late.client!.provider.invalidate(sent);
    return late.client!.provider.getToken().then(() =>
      new Response(`you sent ${sent}`, { headers: { "x-echo": sent } })
    );
  });
  late.client = client;
  const response = await call("/kognic/v1/reflect");
  assert.equal(server.issuedTokens.length, 2);
  assert.equal(response.headers.get("x-echo"), null);
  assert.equal(await assertClean(response, server), "you sent [REDACTED]");
});

test("hono proxy: streams bodies both ways; retries a 401 only when the body can be replayed", async () => {
  const { server, call } = await proxySetup();
  const chunks = ["first,", "second,", "third"];
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });
  const posted = await call("/kognic/v1/echo", {
    method: "POST",
    body,
    headers: { "content-type": "text/plain" },
    duplex: "half",
  } as RequestInit);
  assert.equal(posted.status, 200);
  assert.ok(posted.body instanceof ReadableStream);
  assert.equal(JSON.parse(await assertClean(posted, server)).data.body, chunks.join(""));

  // A GET has no body: after a 401 it goes again with a new token.
  server.apiFaults.push({ status: 401, json: { message: "Unauthorized" } });
  const retried = await call("/kognic/v1/whoami");
  assert.equal(retried.status, 200);
  await assertClean(retried, server);
  assert.equal(server.tokenRequests.length, 2);

  // A streamed POST cannot be sent twice: the 401 comes back as it came.
  server.apiFaults.push({ status: 401, json: { message: "Unauthorized" } });
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode("once"));
      controller.close();
    },
  });
  const notRetried = await call("/kognic/v1/echo", {
    method: "POST",
    body: stream,
    duplex: "half",
  } as RequestInit);
  assert.equal(notRetried.status, 401);
  await assertClean(notRetried, server);
  assert.equal(server.tokenRequests.length, 2);
});

test("hono proxy: a token endpoint failure answers 502 with the code only", async () => {
  const { server, call } = await proxySetup();
  server.tokenFaults.push({ status: 401, json: { error: "invalid_client" } });
  const response = await call("/kognic/v1/whoami");
  assert.equal(response.status, 502);
  const text = await assertClean(response, server);
  assert.match(text, /TOKEN_OAUTH_ERROR/);
  assert.equal(server.apiRequests.length, 0);
});

test("hono middleware: puts the client on the context, from a value or a factory", async () => {
  const server = createKognicServer();
  const options = {
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    runtime: memoryRuntime(),
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    fetch: server.fetch as typeof fetch,
  };
  const app = new Hono<KognicEnv>();
  app.get("/made", kognicClient(options), async (c) => {
    const response = await c.var.kognic.request("GET", "/v1/whoami");
    return c.json((await response.json()).data);
  });
  const seen: unknown[] = [];
  const client = await createClient(options);
  app.get(
    "/factory",
    kognicClient({
      client: (c) => {
        seen.push(new URL(c.req.url).pathname);
        return client;
      },
    }),
    (c) => c.text(String(c.var.kognic === client)),
  );
  for (let i = 0; i < 3; i++) {
    const response = await app.request("/made");
    assert.equal((await response.json()).clientId, TEST_CLIENT_ID);
  }
  assert.equal(server.tokenRequests.length, 1, "one client and one token for every request");
  assert.equal(await (await app.request("/factory")).text(), "true");
  assert.deepEqual(seen, ["/factory"]);
});

/** Sends raw HTTP/1.1 bytes, so no client library normalises the request target. */
async function rawRequest(url: string, head: string): Promise<{ status: number; text: string }> {
  const { connect } = await import("node:net");
  const { hostname, port } = new URL(url);
  return await new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(`${head}\r\nConnection: close\r\n\r\n`);
    });
    const chunks: Uint8Array[] = [];
    socket.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = new TextDecoder().decode(
        chunks.reduce((all, chunk) => {
          const joined = new Uint8Array(all.length + chunk.length);
          joined.set(all);
          joined.set(chunk, all.length);
          return joined;
        }, new Uint8Array(0)),
      );
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
  });
}

test(
  "hono proxy: over a real socket, raw request targets and Host headers never leave the origin",
  async () => {
    const { serve } = await import("../support/serve.ts");
    const { server, app, fetched } = await proxySetup();
    const served = await serve((request) => app.fetch(request));
    try {
      const cases: [string, number][] = [
        ["GET http://evil.example/kognic/v1/whoami HTTP/1.1\r\nHost: evil.example", 200],
        [
          "GET /kognic/v1/whoami HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-Host: evil.example",
          200,
        ],
        ["GET /kognic/v1/whoami/../../v1/items HTTP/1.1\r\nHost: proxy.example", 404],
        ["GET /kognic/v1/whoami/..%2f..%2fitems HTTP/1.1\r\nHost: proxy.example", 400],
        ["GET /kognic/v1/whoami/%2e%2e/%2e%2e/items HTTP/1.1\r\nHost: proxy.example", 403],
        ["GET /kognic//evil.example/v1/whoami HTTP/1.1\r\nHost: proxy.example", 400],
        ["GET /kognic/v1/items HTTP/1.1\r\nHost: proxy.example", 403],
      ];
      for (const [head, status] of cases) {
        const response = await rawRequest(served.url, `${head}\r\nx-key: ok`);
        assert.ok(
          response.status === status ||
            (status !== 200 && [400, 403, 404].includes(response.status)),
          `${head.split("\r\n")[0]} answered ${response.status}, expected ${status}`,
        );
        for (const secret of [CANARY_SECRET, ...server.issuedTokens]) {
          assert.ok(!response.text.includes(secret), "a secret in the answer");
        }
      }
      assert.deepEqual([...new Set(fetched.map((url) => new URL(url).origin))], [
        AUTH_HOST,
        API_BASE,
      ]);
      assert.deepEqual(
        [...new Set(server.apiRequests.map((request) => request.url))],
        [`${API_BASE}/v1/whoami`],
      );
    } finally {
      await served.close();
    }
  },
  { needs: ["sockets"] },
);

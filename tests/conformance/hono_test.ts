import assert from "node:assert/strict";
import { Hono } from "hono";
import { createClient, type KognicAuthError, type KognicClient } from "../../mod.ts";
import {
  kognicClient,
  type KognicEnv,
  kognicProxy,
  type KognicProxyOptions,
} from "../../src/hono/mod.ts";
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
import { createKognicProxy } from "../../src/http/proxy.ts";

const PROXY = "https://proxy.example";

interface ProxySetup {
  server: KognicServer;
  app: Hono;
  client: KognicClient;
  /** Every URL the library fetched, token endpoint included. */
  fetched: string[];
  call(path: string, init?: RequestInit): Promise<Response>;
}

/**
 * A proxy at /kognic/* in front of the in-process Kognic server; access needs `x-key: ok`
 * unless `more.proxy` says otherwise.
 */
async function proxySetup(
  upstream?: (request: Request, server: KognicServer) => Promise<Response> | undefined,
  more: { proxy?: Partial<KognicProxyOptions>; organizationId?: number } = {},
): Promise<ProxySetup> {
  const server = createKognicServer();
  const fetched: string[] = [];
  const client = await createClient({
    organizationId: more.organizationId,
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
      ...more.proxy,
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
  // The explicit opt-out is accepted, with the host names it answers for.
  kognicProxy({ access: "public", paths: ["/v1/projects"], hosts: ["app.example.com"] });
  const noHosts = await thrown(() => kognicProxy({ access: "public", paths: ["/v1/projects"] }));
  assert.equal((noHosts as KognicAuthError).code, "INVALID_OPTIONS");
  assert.match((noHosts as Error).message, /public Kognic proxy needs the host names/);
  for (const name of ["Cookie", "authorization", "range", "X-Organization-Id", "X-Original-URL"]) {
    const error = await thrown(() =>
      kognicProxy({ access: () => true, paths: ["/v1"], forwardHeaders: [name] })
    );
    assert.equal((error as KognicAuthError).code, "INVALID_OPTIONS", name);
  }
  for (const origin of ["evil.example", "https://a.example/path", "null"]) {
    const error = await thrown(() =>
      kognicProxy({ access: () => true, paths: ["/v1"], origins: [origin] })
    );
    assert.equal((error as KognicAuthError).code, "INVALID_OPTIONS", origin);
  }
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

test("proxy: without Hono, a Request → Response proxy checks access by the Request and adds the token", async () => {
  const { server, client } = await proxySetup();
  const proxy = createKognicProxy<Request>({
    client,
    access: (request) => request.headers.get("x-key") === "ok",
    paths: ["/v1/whoami"],
    mount: "/kognic",
  });
  const call = (key: string) => {
    const request = new Request(`${PROXY}/kognic/v1/whoami`, { headers: { "x-key": key } });
    return proxy(request, request);
  };
  const refused = await call("wrong");
  assert.equal(refused.status, 403);
  await assertClean(refused, server);
  assert.equal(server.apiRequests.length, 0);
  const response = await call("ok");
  assert.equal(response.status, 200);
  assert.equal(JSON.parse(await assertClean(response, server)).data.clientId, TEST_CLIENT_ID);
  assert.equal(server.apiRequests[0].headers.authorization, `Bearer ${server.issuedTokens[0]}`);
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

test("hono proxy: only allow-listed caller headers reach Kognic; never credentials or the access key", async () => {
  const { server, call } = await proxySetup(undefined, {
    proxy: { forwardHeaders: ["X-Kept", "X-Hop"] },
  });
  const response = await call("/kognic/v1/echo", {
    method: "POST",
    body: "{}",
    headers: {
      Authorization: "Bearer forged-by-the-caller",
      Cookie: "session=caller-session",
      "Proxy-Authorization": "Basic Zm9vOmJhcg==",
      Connection: "keep-alive, X-Hop",
      "X-Hop": "1",
      "X-Kept": "yes",
      "X-Other": "not listed",
      "Content-Type": "application/json",
      Accept: "application/json",
      "If-None-Match": '"v1"',
      "X-Api-Key": "the-access-key",
    },
  });
  assert.equal(response.status, 200);
  await assertClean(response, server);
  const seen = server.apiRequests[0].headers;
  assert.equal(seen.authorization, `Bearer ${server.issuedTokens[0]}`);
  // x-key is what this proxy's access check reads.
  for (const name of ["cookie", "proxy-authorization", "x-hop", "x-other", "x-key", "x-api-key"]) {
    assert.equal(seen[name], undefined, name);
  }
  assert.equal(seen["x-kept"], "yes");
  assert.equal(seen["content-type"], "application/json");
  assert.equal(seen["if-none-match"], '"v1"');
});

test("hono proxy: the configured organization wins over the caller's X-Organization-Id", async () => {
  const configured = await proxySetup(undefined, { organizationId: 42 });
  const response = await configured.call("/kognic/v1/echo", {
    headers: { "X-Organization-Id": "7" },
  });
  assert.equal(response.status, 200);
  await assertClean(response, configured.server);
  assert.equal(configured.server.apiRequests[0].headers["x-organization-id"], "42");
  // Without one configured, the caller still cannot pick one.
  const plain = await proxySetup();
  await (await plain.call("/kognic/v1/echo", { headers: { "X-Organization-Id": "7" } })).text();
  assert.equal(plain.server.apiRequests[0].headers["x-organization-id"], undefined);
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

/**
 * Sends raw HTTP/1.1 bytes, so no client library normalises the request target or the framing;
 * `head` ends without the blank line. Resolves with the final (non-1xx) status once its answer is
 * complete or the server closes the connection.
 */
async function rawRequest(
  url: string,
  head: string,
  body = "",
): Promise<{ status: number; text: string }> {
  const { connect } = await import("node:net");
  const { hostname, port } = new URL(url);
  return await new Promise((resolve, reject) => {
    let text = "";
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      const statuses = [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((match) => Number(match[1]));
      resolve({ status: statuses.filter((status) => status >= 200).pop() ?? 0, text });
    };
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(`${head}\r\nConnection: close\r\n\r\n${body}`);
    });
    const decoder = new TextDecoder();
    socket.on("data", (chunk: Uint8Array) => {
      text += decoder.decode(chunk, { stream: true });
      // The final answer is complete when its declared body is in.
      const final = /^HTTP\/1\.1 [2-5]\d\d[^]*?\r\n\r\n/m.exec(text);
      const length = final && /^content-length: *(\d+)/im.exec(final[0]);
      if (final && length && text.length >= final.index + final[0].length + Number(length[1])) {
        finish();
      }
    });
    socket.on("error", (error) => done || (text ? finish() : reject(error)));
    socket.on("close", finish);
  });
}

/** The body of the last answer in raw HTTP/1.1 text, chunked framing removed. */
function finalBody(text: string): string {
  const at = text.lastIndexOf("\r\nHTTP/1.1 ") + 2 || 0;
  const answer = text.slice(at);
  const split = answer.indexOf("\r\n\r\n");
  const [head, rest] = [answer.slice(0, split), answer.slice(split + 4)];
  if (!/^transfer-encoding: *chunked/im.test(head)) return rest;
  let body = "";
  for (let from = 0;;) {
    const line = rest.indexOf("\r\n", from);
    const size = parseInt(rest.slice(from, line), 16);
    if (!size) return body;
    body += rest.slice(line + 2, line + 2 + size);
    from = line + 2 + size + 2;
  }
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

/** A body stream of `size`-byte chunks up to `total`; with `end: false` it then stalls forever. */
function chunks(size: number, total: number, end = true): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return end ? controller.close() : new Promise<void>(() => {});
      sent += size;
      controller.enqueue(new Uint8Array(size).fill(97));
    },
  });
}

test("hono proxy: a body over maxBodyBytes gets 413, counted while it streams", async () => {
  const { server, call } = await proxySetup(undefined, { proxy: { maxBodyBytes: 1000 } });
  const post = (body: BodyInit, headers: HeadersInit = {}) =>
    call("/kognic/v1/echo", { method: "POST", body, headers, duplex: "half" } as RequestInit);
  // A declared length above the limit: refused before anything is read or fetched.
  const declared = await post("x".repeat(1001), { "content-length": "1001" });
  assert.equal(declared.status, 413);
  await assertClean(declared, server);
  assert.equal(server.tokenRequests.length, 0);
  // A stream without a length that never ends: cut as soon as it passes the limit.
  const endless = await post(chunks(300, 1200, false));
  assert.equal(endless.status, 413);
  assert.match(await assertClean(endless, server), /larger than 1000 bytes/);
  // At the limit it goes through.
  const fits = await post(chunks(250, 1000));
  assert.equal(fits.status, 200);
  assert.equal(JSON.parse(await assertClean(fits, server)).data.body, "a".repeat(1000));
});

test("hono proxy: cross-site browser requests are refused unless their origin is listed", async () => {
  const { server, call } = await proxySetup(undefined, {
    proxy: {
      // Access by session cookie: what a cross-site form post would carry along.
      access: (c) => (c.req.header("cookie") ?? "").includes("session=ok"),
      origins: ["https://admin.example"],
    },
  });
  const cases: [Record<string, string>, number][] = [
    [{ Origin: "https://evil.example" }, 403],
    [{ Origin: "http://proxy.example.evil.example" }, 403],
    [{ Origin: "null" }, 403],
    [{ "Sec-Fetch-Site": "cross-site" }, 403],
    [{ "Sec-Fetch-Site": "same-site" }, 403],
    [{ Origin: "https://evil.example", "Sec-Fetch-Site": "same-origin" }, 403],
    [{}, 200],
    [{ Origin: PROXY }, 200],
    [{ Origin: "https://admin.example", "Sec-Fetch-Site": "cross-site" }, 200],
    [{ "Sec-Fetch-Site": "same-origin" }, 200],
    [{ "Sec-Fetch-Site": "none" }, 200],
  ];
  for (const [headers, status] of cases) {
    const response = await call("/kognic/v1/echo", {
      method: "POST",
      body: "a=1",
      headers: { ...headers, Cookie: "session=ok", "content-type": "text/plain" },
    });
    assert.equal(response.status, status, JSON.stringify(headers));
    await assertClean(response, server);
  }
  assert.equal(server.apiRequests.length, 5);
});

test("hono proxy: only the listed Host names are served (DNS rebinding)", async () => {
  const { server, app, fetched } = await proxySetup(undefined, {
    proxy: { access: "public", hosts: ["proxy.example", "localhost:8787"] },
  });
  const send = (url: string, host?: string) =>
    app.fetch(new Request(url, { headers: host ? { host } : {} }));
  const cases: [string, string | undefined, number][] = [
    [`${PROXY}/kognic/v1/whoami`, undefined, 200],
    [`${PROXY}:8443/kognic/v1/whoami`, undefined, 200],
    ["http://localhost:8787/kognic/v1/whoami", undefined, 200],
    ["http://localhost:9999/kognic/v1/whoami", undefined, 421],
    ["http://rebound.attacker.example/kognic/v1/whoami", undefined, 421],
    ["http://127.0.0.1/kognic/v1/whoami", undefined, 421],
  ];
  for (const [url, host, status] of cases) {
    const response = await send(url, host);
    assert.equal(response.status, status, url);
    await assertClean(response, server);
  }
  assert.equal(server.apiRequests.length, 3);
  assert.ok(fetched.every((url) => new URL(url).origin !== "http://rebound.attacker.example"));
});

test("hono proxy: answers carry nosniff and no-store, never Kognic's CORS headers", async () => {
  const { server, call } = await proxySetup((request) =>
    request.url.endsWith("/v1/reflect")
      ? Promise.resolve(
        new Response("{}", {
          headers: {
            "content-type": "application/json",
            "access-control-allow-origin": "*",
            "access-control-allow-credentials": "true",
            "access-control-expose-headers": "x-secret",
            "cache-control": "public, max-age=3600",
          },
        }),
      )
      : undefined
  );
  for (const path of ["/kognic/v1/reflect", "/kognic/v1/items"]) {
    const response = await call(path);
    await assertClean(response, server);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(response.headers.get("cache-control"), "no-store", path);
    assert.deepEqual(
      [...response.headers.keys()].filter((name) => name.startsWith("access-control-")),
      [],
      path,
    );
  }
});

test("hono proxy: paths and headers it cannot judge are refused with 400", async () => {
  const { server, call } = await proxySetup();
  const paths = [
    "/kognic/v1/whoami/..;/admin",
    "/kognic/v1/whoami/..;x=1/admin",
    "/kognic/v1/whoami;jsessionid=1",
    "/kognic/v1/whoami/..%3b/admin",
    "/kognic/v1/whoami/..%3B/admin",
    "/kognic/v1/whoami/%E2%80%A5/admin", // ‥ two dot leader
    "/kognic/v1/whoami/%EF%BC%8E%EF%BC%8E/admin", // ．． full-width full stops
    "/kognic/v1/whoami/\uff0e\uff0e/admin", // the same, unencoded
    "/kognic/v1/whoami/%E3%80%82%E3%80%82/admin", // 。。 ideographic full stops
    "/kognic/v1/whoami/..%EF%BC%8Fadmin", // ／ full-width solidus
    "/kognic/v1/whoami/%C0%AE%C0%AE/admin", // overlong UTF-8 dots: malformed
    "/kognic/v1/whoami/a%01b",
  ];
  for (const path of paths) {
    const response = await call(path);
    assert.equal(response.status, 400, path);
    await assertClean(response, server);
  }
  for (
    const name of ["X-Original-URL", "X-Rewrite-URL", "X-Override-URL", "X-HTTP-Method-Override"]
  ) {
    const response = await call("/kognic/v1/whoami", { headers: { [name]: "/v1/admin" } });
    assert.equal(response.status, 400, name);
    await assertClean(response, server);
  }
  assert.equal(server.apiRequests.length, 0);
  // Other non-ASCII text in a path is fine.
  const accented = await call("/kognic/v1/echo/%C3%A4rende");
  assert.notEqual(accented.status, 400);
  await accented.body?.cancel();
  assert.deepEqual(server.apiRequests.map((request) => request.path), ["/v1/echo/%C3%A4rende"]);
});

test("hono proxy: a token split over header names, lines or Range slices never gets out", async () => {
  const ranges: (string | null)[] = [];
  const { server, call } = await proxySetup((request) => {
    if (!request.url.includes("/v1/reflect")) return undefined;
    ranges.push(request.headers.get("range"));
    const token = request.headers.get("authorization")!.slice("Bearer ".length);
    const half = Math.floor(token.length / 2);
    const headers = new Headers({ "x-kept": "fine" });
    headers.append(`x-${token}`, "in the name");
    headers.append("x-split", token.slice(0, half));
    headers.append("x-split", token.slice(half));
    headers.set("x-first", token.slice(0, half));
    headers.set("x-second", token.slice(half));
    const range = request.headers.get("range");
    const text = `you sent ${token}`;
    const match = range && /bytes=(\d+)-(\d+)/.exec(range);
    if (!match) return Promise.resolve(new Response(text, { headers }));
    headers.set("content-range", `bytes ${match[1]}-${match[2]}/${text.length}`);
    return Promise.resolve(
      new Response(text.slice(Number(match[1]), Number(match[2]) + 1), { status: 206, headers }),
    );
  });
  const whole = await call("/kognic/v1/reflect");
  assert.equal(await assertClean(whole, server), "you sent [REDACTED]");
  assert.deepEqual(
    [...whole.headers.keys()].filter((name) => name.startsWith("x-")),
    ["x-content-type-options", "x-kept"],
  );
  // Slices of the body that put together hold the token: Range is not forwarded, 206 not returned.
  const sliced: string[] = [];
  for (const range of ["bytes=0-15", "bytes=16-40", "bytes=41-2000"]) {
    const response = await call("/kognic/v1/reflect", { headers: { Range: range } });
    assert.notEqual(response.status, 206, range);
    sliced.push(await assertClean(response, server));
  }
  assert.ok(!server.issuedTokens.some((token) => sliced.join("").includes(token)));
  assert.deepEqual(ranges, [null, null, null, null]);
});

test("hono proxy: Range goes along and 206 comes back only with allowRange", async () => {
  const ranges: (string | null)[] = [];
  const { server, call } = await proxySetup(
    (request) =>
      request.url.includes("/v1/reflect") && ranges.push(request.headers.get("range"))
        ? Promise.resolve(
          new Response("abc", {
            status: request.headers.has("range") ? 206 : 200,
            headers: { "content-range": "bytes 0-2/10" },
          }),
        )
        : undefined,
    { proxy: { allowRange: true } },
  );
  const response = await call("/kognic/v1/reflect", { headers: { Range: "bytes=0-2" } });
  assert.equal(response.status, 206);
  assert.equal(await assertClean(response, server), "abc");
  assert.deepEqual(ranges, ["bytes=0-2"]);
});

/** The Kognic server and a proxy in front of it, each on a loopback socket, real fetch between. */
async function wireSetup(proxy: Partial<KognicProxyOptions> = {}) {
  const { serve } = await import("../support/serve.ts");
  const server = createKognicServer();
  const upstream = await serve(server.fetch);
  const client = await createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    baseUrl: upstream.url,
    authHost: upstream.url,
  });
  const app = new Hono();
  app.all(
    "/kognic/*",
    kognicProxy({
      client,
      access: (c) => c.req.header("x-key") === "ok",
      paths: ["/v1/echo", "/v1/whoami"],
      mount: "/kognic",
      ...proxy,
    }),
  );
  const served = await serve((request) => app.fetch(request));
  return {
    server,
    url: served.url,
    close: async () => {
      await served.close();
      await upstream.close();
    },
  };
}

test(
  "hono proxy: over real sockets, Expect: 100-continue is handled and not forwarded",
  async () => {
    const { server, url, close } = await wireSetup();
    try {
      const host = `Host: ${new URL(url).host}\r\nx-key: ok`;
      const body = "hello, continue";
      const response = await rawRequest(
        url,
        `POST /kognic/v1/echo HTTP/1.1\r\n${host}\r\nExpect: 100-continue\r\n` +
          `Content-Type: text/plain\r\nContent-Length: ${body.length}`,
        body,
      );
      assert.equal(response.status, 200, response.text.split("\r\n")[0]);
      const echoed = JSON.parse(finalBody(response.text));
      assert.equal(echoed.data.body, body);
      assert.equal(echoed.data.headers.expect, undefined);
      const unknown = await rawRequest(
        url,
        `POST /kognic/v1/echo HTTP/1.1\r\n${host}\r\nExpect: something-else\r\nContent-Length: 2`,
        "{}",
      );
      assert.equal(unknown.status, 417);
      assert.equal(server.apiRequests.length, 1);
    } finally {
      await close();
    }
  },
  { needs: ["sockets"] },
);

test(
  "hono proxy: over real sockets, bodies over the limit get 413, chunked ones while they stream",
  async () => {
    const { server, url, close } = await wireSetup({ maxBodyBytes: 4096 });
    try {
      const host = `Host: ${new URL(url).host}\r\nx-key: ok`;
      // The declared length alone is refused: the body is never sent, yet the answer comes.
      const declared = await rawRequest(
        url,
        `POST /kognic/v1/echo HTTP/1.1\r\n${host}\r\nContent-Length: 1000000`,
      );
      assert.equal(declared.status, 413);
      // Chunked, without a length: 3 chunks of 2 KiB, and the last chunk never sent.
      const chunk = `800\r\n${"a".repeat(2048)}\r\n`;
      const chunked = await rawRequest(
        url,
        `POST /kognic/v1/echo HTTP/1.1\r\n${host}\r\nTransfer-Encoding: chunked`,
        chunk.repeat(3),
      );
      assert.equal(chunked.status, 413);
      // Within the limit, a streamed upload arrives whole through the runtime's own fetch
      // (undici's, on Node, where the package is installed).
      const fits = await rawRequest(
        url,
        `POST /kognic/v1/echo HTTP/1.1\r\n${host}\r\nTransfer-Encoding: chunked`,
        `${chunk.repeat(2)}0\r\n\r\n`,
      );
      assert.equal(fits.status, 200);
      assert.equal(
        JSON.parse(finalBody(fits.text)).data.body.length,
        4096,
      );
      assert.deepEqual(server.apiRequests.map((request) => request.body.length), [4096]);
      for (const secret of [CANARY_SECRET, ...server.issuedTokens]) {
        assert.ok(![declared, chunked, fits].some((answer) => answer.text.includes(secret)));
      }
    } finally {
      await close();
    }
  },
  { needs: ["sockets"] },
);

test(
  "hono proxy: over real sockets, cross-site, rebound-host and ;-paths are refused",
  async () => {
    const { server, url, close } = await wireSetup({
      access: "public",
      hosts: ["127.0.0.1"], // tests/support/serve.ts listens there
    });
    try {
      const host = new URL(url).host;
      const cases: [string, number][] = [
        [`GET /kognic/v1/whoami HTTP/1.1\r\nHost: ${host}`, 200],
        [`GET /kognic/v1/whoami HTTP/1.1\r\nHost: rebound.attacker.example`, 421],
        [`GET /kognic/v1/whoami HTTP/1.1\r\nHost: ${host}\r\nOrigin: https://evil.example`, 403],
        [`GET /kognic/v1/whoami HTTP/1.1\r\nHost: ${host}\r\nSec-Fetch-Site: cross-site`, 403],
        [`GET /kognic/v1/whoami/..;/admin HTTP/1.1\r\nHost: ${host}`, 400],
        [`GET /kognic/v1/whoami/..%3b/admin HTTP/1.1\r\nHost: ${host}`, 400],
        [`GET /kognic/v1/whoami/%E2%80%A5/admin HTTP/1.1\r\nHost: ${host}`, 400],
        [`GET /kognic/v1/whoami HTTP/1.1\r\nHost: ${host}\r\nX-Original-URL: /v1/admin`, 400],
      ];
      for (const [head, status] of cases) {
        const response = await rawRequest(url, head);
        assert.equal(response.status, status, head.split("\r\n").join(" | "));
      }
      assert.deepEqual(server.apiRequests.map((request) => request.path), ["/v1/whoami"]);
    } finally {
      await close();
    }
  },
  { needs: ["sockets"] },
);

// Node: a streamed upload (what the proxy sends) goes through the undici package where it is
// installed, as Node's bundled fetch keeps such bodies in memory (figures: bench/proxy_limits.ts).
const UPLOAD_PROBE = `
import { registerHooks } from "node:module";
import { createServer } from "node:http";
const loaded = [];
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === "undici" && process.env.HIDE_UNDICI) {
      throw Object.assign(new Error("Cannot find module 'undici'"), { code: "MODULE_NOT_FOUND" });
    }
    const result = next(specifier, context);
    if (/undici/.test(result.url)) loaded.push(result.url);
    return result;
  },
});
const server = createServer((req, res) => {
  let bytes = 0;
  req.on("data", (chunk) => bytes += chunk.length);
  req.on("end", () => res.end(String(bytes)));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const { nodeRuntime } = await import(process.argv[1]);
const url = "http://127.0.0.1:" + server.address().port + "/";
const get = await (await nodeRuntime().fetch(url)).text();
const afterGet = loaded.length;
const body = new ReadableStream({
  start(controller) {
    for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(1000));
    controller.close();
  },
});
const response = await nodeRuntime().fetch(url, { method: "POST", body, duplex: "half" });
console.log(JSON.stringify({ get, afterGet, received: await response.text(), loaded }));
server.close();
`;

test(
  "hono proxy: on Node a streamed upload goes through undici where installed, else Node's fetch",
  async () => {
    const { execFile } = await import("node:child_process");
    const process = (await import("node:process")).default;
    const node = globalThis.navigator?.userAgent?.startsWith("Node.js/")
      ? process.execPath
      : new URL("../../node_modules/node24/bin/node", import.meta.url).pathname;
    const adapter = new URL("../../src/runtime/node.ts", import.meta.url).href;
    const run = (hide: boolean) =>
      new Promise<{ get: string; afterGet: number; received: string; loaded: string[] }>(
        (resolve, reject) => {
          const env: Record<string, string | undefined> = { ...process.env };
          for (const name of ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"]) {
            delete env[name];
          }
          if (hide) env.HIDE_UNDICI = "1";
          execFile(
            node,
            ["--input-type=module", "-e", UPLOAD_PROBE, adapter],
            { env: env as Record<string, string>, timeout: 10_000 },
            (error, stdout, stderr) => {
              if (error) return reject(new Error(`${error.message}\n${stderr}`));
              resolve(JSON.parse(stdout.trim().split("\n").pop()!));
            },
          );
        },
      );
    const installed = await run(false);
    assert.equal(installed.get, "0");
    assert.equal(installed.afterGet, 0, "a request without a streamed body: Node's fetch");
    assert.equal(installed.received, "4000");
    assert.ok(installed.loaded.some((url) => url.includes("/node_modules/undici/")));
    const missing = await run(true);
    assert.equal(missing.received, "4000", "without undici: Node's fetch");
    assert.deepEqual(missing.loaded, []);
  },
  { needs: ["sockets", "subprocess"], timeout: 20_000 },
);

// Node: a program that routes its traffic through `setGlobalDispatcher` (a corporate
// ProxyAgent, an EnvHttpProxyAgent) gets the proxy's streamed uploads routed there too, as
// Node's own fetch routes every other request; and loading undici for an upload takes no
// dispatcher away from Node's fetch (on Node 22, undici 8 would replace the one
// NODE_USE_ENV_PROXY sets). Run in a Node process of its own: the global dispatcher is
// process-wide.
const GLOBAL_DISPATCHER_PROBE = `
import { createServer } from "node:http";
const [mode, forwardProxy, root] = process.argv.slice(1);
const upstream = createServer((req, res) => {
  let bytes = 0;
  req.on("data", (chunk) => bytes += chunk.length);
  req.on("end", () => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(
      req.url.startsWith("/v1/auth/oauth/token")
        ? { access_token: "probe-token-0123456789", token_type: "Bearer", expires_in: 3600 }
        : { data: { bytes } },
    ));
  });
});
await new Promise((resolve) => upstream.listen(0, "127.0.0.1", resolve));
const port = upstream.address().port;
const base = "http://127.0.0.1:" + port;
if (mode === "global") {
  const { ProxyAgent, setGlobalDispatcher } = await import("undici");
  setGlobalDispatcher(new ProxyAgent(forwardProxy));
}
const { createClient } = await import(root + "mod.ts");
const { kognicProxy } = await import(root + "src/hono/mod.ts");
const { Hono } = await import("hono");
const client = await createClient({ auth: ["probe-id", "probe-secret"], authHost: base, baseUrl: base });
const app = new Hono();
app.all("/kognic/*", kognicProxy({ client, access: () => true, paths: ["/v1/upload"], mount: "/kognic" }));
const body = new ReadableStream({
  start(controller) {
    for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(1000));
    controller.close();
  },
});
const response = await app.fetch(
  new Request("https://proxy.example/kognic/v1/upload", { method: "POST", body, duplex: "half" }),
);
const text = await response.text();
// Node's own fetch afterwards, to a host no NO_PROXY names: its proxy still applies.
await fetch("http://127.0.0.2:" + port + "/v1/after").then((r) => r.text(), () => {});
console.log(JSON.stringify({ base, status: response.status, text }));
upstream.close();
`;

/** Runs the probe in Node with `env` added; returns its answer and what the proxy saw. */
async function globalDispatcherProbe(mode: "global" | "env") {
  const { execFile } = await import("node:child_process");
  const process = (await import("node:process")).default;
  const { nodeBinary, startForwardProxy } = await import("../support/forward_proxy.ts");
  const root = new URL("../../", import.meta.url);
  const forward = await startForwardProxy();
  try {
    const env: Record<string, string | undefined> = { ...process.env };
    for (const name of ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"]) {
      delete env[name];
    }
    delete env.no_proxy;
    delete env.NODE_USE_ENV_PROXY;
    if (mode === "env") {
      // Node's own proxy support, and NO_PROXY keeping the upload off the proxy: this
      // library sends it directly.
      Object.assign(env, {
        NODE_USE_ENV_PROXY: "1",
        HTTP_PROXY: forward.url,
        NO_PROXY: "127.0.0.1",
      });
    }
    const result = await new Promise<{ base: string; status: number; text: string }>(
      (resolve, reject) => {
        execFile(
          nodeBinary(),
          [
            "--no-warnings",
            "--input-type=module",
            "-e",
            GLOBAL_DISPATCHER_PROBE,
            mode,
            forward.url,
            root.href,
          ],
          { env: env as Record<string, string>, cwd: root.pathname, timeout: 15_000 },
          (error, stdout, stderr) => {
            if (error) return reject(new Error(`${error.message}\n${stderr}`));
            resolve(JSON.parse(stdout.trim().split("\n").pop()!));
          },
        );
      },
    );
    assert.equal(result.status, 200, result.text);
    assert.equal(JSON.parse(result.text).data.bytes, 4000);
    return { base: result.base, lines: await forward.lines() };
  } finally {
    await forward.close();
  }
}

test(
  "hono proxy: on Node a streamed upload goes through the global dispatcher (a ProxyAgent) the program set",
  async () => {
    const { base, lines } = await globalDispatcherProbe("global");
    assert.ok(
      lines.includes(`POST ${base}/v1/upload 200`),
      `the forward proxy saw the upload: ${JSON.stringify(lines)}`,
    );
    assert.ok(lines.some((line) => line.includes(" http://127.0.0.2:")), "and Node's fetch");
  },
  { needs: ["sockets", "subprocess"], timeout: 30_000 },
);

test(
  "hono proxy: on Node a streamed upload leaves Node's fetch its NODE_USE_ENV_PROXY dispatcher",
  async () => {
    const { base, lines } = await globalDispatcherProbe("env");
    assert.ok(
      !lines.some((line) => line.includes(`${base}/`)),
      `NO_PROXY: ${JSON.stringify(lines)}`,
    );
    assert.ok(
      lines.some((line) => line.includes("127.0.0.2:")),
      `Node's fetch after the upload still went through the proxy: ${JSON.stringify(lines)}`,
    );
  },
  { needs: ["sockets", "subprocess"], timeout: 30_000 },
);

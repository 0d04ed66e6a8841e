// Examples that run where they are shown: the Hono middleware and proxy take credentials from
// the environment off Workers (on Node, `c.env` holds @hono/node-server's objects, not
// bindings) and say where they looked; the proxy's key comes from the environment there; and
// a worker reaches a local server: edgeClient through the KOGNIC_ENVIRONMENT and
// KOGNIC_ENVIRONMENTS bindings, edgeFetch through its baseUrl and authHost options.
import assert from "node:assert/strict";
import process from "node:process";
import { Hono } from "hono";
import { KognicAuthError } from "../../mod.ts";
import { kognicClient, type KognicEnv, kognicProxy } from "../../src/hono/mod.ts";
import { edgeFetch } from "../../src/edge/mod.ts";
import { edgeClient } from "../../src/edge/client.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import { createTestServer, startTestServer } from "../../src/testing/mod.ts";
import { onWorkers } from "../../src/http/client_source.ts";
import { test } from "../support/harness.ts";

/** What @hono/node-server puts in `c.env`: Node's request and response objects. */
const NODE_ENV = { incoming: {}, outgoing: {} };

/** Sets process environment variables for the length of `fn`, then restores them. */
async function withEnv(vars: Record<string, string | undefined>, fn: () => Promise<void>) {
  const before = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  set(vars);
  try {
    await fn();
  } finally {
    set(before);
  }
}

test("hono: without Workers bindings the client comes from the environment", async () => {
  const server = await startTestServer();
  try {
    await withEnv(server.env, async () => {
      const app = new Hono<KognicEnv>();
      app.use(
        "/projects",
        kognicClient({ baseUrl: server.url, authHost: server.url }),
      );
      app.get("/projects", async (c) => c.json(await c.var.kognic.get("/v1/projects")));
      const response = await app.request("/projects", {}, NODE_ENV);
      assert.equal(response.status, 200, await response.clone().text());
      assert.ok(Array.isArray(await response.json()));
      assert.equal(server.tokenRequests.length, 1);
    });
  } finally {
    await server.close();
  }
}, { needs: ["sockets"] });

test("hono: missing credentials say where the default client looked", async () => {
  const app = new Hono<KognicEnv>();
  let caught: unknown;
  app.onError((error, c) => {
    caught = error;
    return c.text("error", 500);
  });
  app.use(kognicClient({ runtime: memoryRuntime({ env: {} }) }));
  app.get("/", (c) => c.text("never"));
  const response = await app.request("/", {}, NODE_ENV);
  assert.equal(response.status, 500);
  assert.ok(caught instanceof KognicAuthError, String(caught));
  assert.equal(caught.code, "CREDENTIALS_NOT_FOUND");
  if (onWorkers()) {
    // On Workers the bindings (here, none) are where it looks.
    assert.match(
      caught.message,
      /looked in the Workers bindings \(c\.env\): No Kognic credentials/,
    );
  } else {
    assert.match(
      caught.message,
      /looked in the environment and files of this process \(not bindings\)/,
    );
    assert.match(
      caught.message,
      /KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET \(not set, not set\)/,
    );
  }
  assert.ok(caught.cause instanceof KognicAuthError);
  // On the edge entries the same lack names the bindings.
  assert.throws(() => edgeClient({}), /No Kognic credentials in the edge bindings/);
});

test(
  "hono proxy: a key from the environment lets callers in; a missing one is a clear error",
  async () => {
    const server = await startTestServer();
    try {
      await withEnv({ ...server.env, PROXY_API_KEY: "key-from-env" }, async () => {
        let caught: unknown;
        const app = new Hono();
        app.onError((error, c) => {
          caught = error;
          return c.text("error", 500);
        });
        app.all(
          "/kognic/*",
          kognicProxy({
            access: { env: "PROXY_API_KEY" },
            paths: ["/v1/projects"],
            mount: "/kognic",
            baseUrl: server.url,
            authHost: server.url,
          }),
        );
        const call = (key?: string) =>
          app.request(
            "http://localhost/kognic/v1/projects",
            { headers: key === undefined ? {} : { "x-api-key": key } },
            NODE_ENV,
          );
        const ok = await call("key-from-env");
        assert.equal(ok.status, 200, await ok.clone().text());
        // The key header never reaches Kognic.
        assert.equal(server.apiRequests.at(-1)?.headers?.["x-api-key"], undefined);
        assert.equal((await call("key-from-en")).status, 403);
        assert.equal((await call("key-from-envX")).status, 403);
        assert.equal((await call()).status, 403);
        delete process.env.PROXY_API_KEY;
        const missing = await call("key-from-env");
        assert.equal(missing.status, 500);
        assert.ok(caught instanceof KognicAuthError, String(caught));
        assert.equal(caught.code, "INVALID_OPTIONS");
        assert.match(caught.message, /environment variable "PROXY_API_KEY"/);
      });
    } finally {
      await server.close();
    }
    // A key given as empty, or a key header it would forward, fails at creation.
    const base = { paths: ["/v1/projects"] };
    assert.throws(() => kognicProxy({ ...base, access: { key: "" } }), /access key is empty/);
    assert.throws(
      () => kognicProxy({ ...base, access: { key: "k" }, forwardHeaders: ["X-Api-Key"] }),
      /never forwards the caller's "X-Api-Key"/,
    );
    // A key given directly needs no variable.
    const direct = kognicProxy({
      ...base,
      access: { key: "k", header: "x-key" },
      client: () => {
        throw new Error("not reached");
      },
    });
    const refused = await new Hono().all("/*", direct).request("/v1/projects", {
      headers: { "x-key": "nope" },
    }, NODE_ENV);
    assert.equal(refused.status, 403);
  },
  { needs: ["sockets"] },
);

// A local test server's address: loopback, so plain http. The server is called in-process
// (its `fetch`), so these cases run on the edge runtimes too.
const LOCAL = "http://127.0.0.1:8787";

test("edge: edgeClient follows the KOGNIC_ENVIRONMENT bindings to a loopback server", async () => {
  const server = createTestServer();
  const bindings = {
    KOGNIC_CLIENT_ID: server.clientId,
    KOGNIC_CLIENT_SECRET: server.clientSecret,
    KOGNIC_ENVIRONMENT: "local",
    KOGNIC_ENVIRONMENTS: JSON.stringify({
      environments: { local: { host: "127.0.0.1:8787", auth_server: LOCAL } },
    }),
  };
  const seen: string[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    seen.push(input instanceof Request ? input.url : String(input));
    return server.fetch(input, init);
  };
  assert.ok(Array.isArray(await edgeClient(bindings, { fetch }).get("/v1/projects")));
  assert.equal(server.tokenRequests.length, 1);
  assert.ok(seen.length >= 2 && seen.every((url) => url.startsWith(`${LOCAL}/`)), String(seen));
  // An unknown environment names those defined.
  assert.throws(
    () => edgeClient({ ...bindings, KOGNIC_ENVIRONMENT: "prod" }),
    (error: unknown) =>
      error instanceof KognicAuthError && error.code === "ENVIRONMENT_NOT_FOUND" &&
      /"local"/.test(error.message),
  );
});

test("edge: edgeFetch reaches a loopback server through baseUrl and authHost, not environments", async () => {
  const server = createTestServer();
  const credentials = {
    KOGNIC_CLIENT_ID: server.clientId,
    KOGNIC_CLIENT_SECRET: server.clientSecret,
  };
  const seen: string[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    seen.push(input instanceof Request ? input.url : String(input));
    return server.fetch(input, init);
  };
  const kognicFetch = edgeFetch(credentials, { baseUrl: LOCAL, authHost: LOCAL, fetch });
  const response = await kognicFetch("/v1/projects");
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(server.tokenRequests.length, 1);
  assert.ok(seen.length >= 2 && seen.every((url) => url.startsWith(`${LOCAL}/`)), String(seen));
  // Named environments are edgeClient's: edgeFetch goes to Kognic's hosts (or its options').
  seen.length = 0;
  const elsewhere = edgeFetch({
    ...credentials,
    KOGNIC_ENVIRONMENT: "local",
    KOGNIC_ENVIRONMENTS: JSON.stringify({
      environments: { local: { host: "127.0.0.1:8787", auth_server: LOCAL } },
    }),
  }, {
    scopes: ["elsewhere"], // a provider of its own
    fetch: (input) => {
      seen.push(input instanceof Request ? input.url : String(input));
      return Promise.resolve(Response.json({ error: "invalid_client" }, { status: 401 }));
    },
  });
  await assert.rejects(elsewhere("/v1/projects"));
  assert.ok(seen.length >= 1);
  for (const url of seen) assert.match(url, /^https:\/\/[^/]*kognic\.com\//);
  assert.equal(server.tokenRequests.length, 1);
});

// What createClient loads on first use (a credentials file's reader and rotation, the runtime's
// classifier of failed requests, the invalid_client hint, the adapters' proxy layer, the client's
// errors of answers outside 2xx) is correct when the first uses come concurrently: each case runs
// in a process of its own, so that the first use is really the first, and fires two at once. A
// failed load is tried again.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { test } from "../support/harness.ts";
import { entryCommand, repoPath, runProgram } from "../support/cli.ts";
import { CANARY_SECRET } from "../support/fixtures.ts";
import { createKognicServer, TEST_CLIENT_ID } from "../support/kognic_server.ts";
import { serve } from "../support/serve.ts";
import { freePort } from "../support/service.ts";
import { startForwardProxy } from "../support/forward_proxy.ts";
import { lazily } from "../../src/_util.ts";

/** The program, importing the library from this checkout (resolved when a case runs). */
const program = () =>
  `import process from "node:process";
import { createClient } from ${JSON.stringify(repoPath("mod.ts"))};

const url = process.env.KOGNIC_TEST_URL;
const closed = process.env.KOGNIC_TEST_CLOSED;
const out = {};
const codeOf = (promise) =>
  promise.then((response) => "status " + response.status, (error) => error);

// Two clients at once with DEBUG set: the DEBUG logger loads for both.
process.env.DEBUG = "kognic-auth";
const debugged = await Promise.all([
  createClient({ baseUrl: url, authHost: url, scopes: ["debug-a"] }),
  createClient({ baseUrl: url, authHost: url, scopes: ["debug-b"] }),
]);
delete process.env.DEBUG;
out.debug = await Promise.all(debugged.map((client) => codeOf(client.fetch("/v1/items"))));

// Two clients at once from a credentials file: both read it and watch it for rotation.
const fromFile = await Promise.all([
  createClient({ auth: process.env.KOGNIC_TEST_FILE, baseUrl: url, authHost: url }),
  createClient({ auth: process.env.KOGNIC_TEST_FILE, baseUrl: url, authHost: url }),
]);
out.file = await Promise.all(fromFile.map((client) => codeOf(client.fetch("/v1/items"))));
out.fileShared = fromFile[0].provider === fromFile[1].provider;

// Two first failed API calls at once: the classifier of failures loads for both.
const env = await createClient({ baseUrl: closed, authHost: url, retry: { attempts: 1 } });
const refused = await Promise.all([codeOf(env.fetch("/a")), codeOf(env.fetch("/b"))]);
out.api = refused.map((error) => [error.code, error.message]);

// Two first failed token requests at once, on a fresh client.
const noAuth = await createClient({ baseUrl: url, authHost: closed, scopes: ["other"] });
const tokenRefused = await Promise.all([codeOf(noAuth.fetch("/a")), codeOf(noAuth.fetch("/b"))]);
out.token = tokenRefused.map((error) => [error.code, error.message]);

// Two first refusals of the client at once: one hinted error for both.
const wrong = await createClient({ auth: ["${TEST_CLIENT_ID}", "wrong-secret"], baseUrl: url, authHost: url });
const refusals = await Promise.all([codeOf(wrong.fetch("/a")), codeOf(wrong.fetch("/b"))]);
out.refusal = refusals.map((error) => [error.code, error.message]);
out.sameRefusal = refusals[0] === refusals[1];
out.refusalCause = refusals[0].cause?.message;

// Two first answers outside 2xx at once, through request and get: the client's errors load for
// both.
const plain = await createClient({ baseUrl: url, authHost: url });
const missing = await Promise.all([
  plain.request("GET", "/missing-a?q=1").then(() => "resolved", (error) => error),
  plain.get("/missing-b").then(() => "resolved", (error) => error),
]);
out.http = missing.map((error) => [error.name, error.status, error.url, error.message]);
console.log(JSON.stringify(out));
`;

test(
  "lazy loading: concurrent first uses of what createClient loads on demand each work once",
  async () => {
    const server = createKognicServer();
    const served = await serve(server.fetch);
    const dir = await mkdtemp(join(tmpdir(), "kognic-auth-lazy-first-"));
    try {
      const file = join(dir, "credentials.json");
      await writeFile(
        file,
        JSON.stringify({
          clientId: TEST_CLIENT_ID,
          clientSecret: CANARY_SECRET,
          email: "",
          userId: 0,
          issuer: "",
        }),
      );
      const script = join(dir, "main.mjs");
      await writeFile(script, program());
      const closed = `http://127.0.0.1:${await freePort()}`;
      const [command, args] = entryCommand(script);
      const ran = await runProgram(command, args, {
        env: {
          PATH: process.env.PATH ?? "",
          HOME: dir,
          KOGNIC_TEST_URL: served.url,
          KOGNIC_TEST_CLOSED: closed,
          KOGNIC_TEST_FILE: file,
          KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
          KOGNIC_CLIENT_SECRET: CANARY_SECRET,
        },
      });
      assert.equal(ran.code, 0, ran.stderr);
      assert.ok(!ran.stdout.includes(CANARY_SECRET) && !ran.stderr.includes(CANARY_SECRET));
      const out = JSON.parse(ran.stdout);
      assert.deepEqual(out.debug, ["status 200", "status 200"]);
      // Each of the two clients (two providers: other scopes) logs its token, and nothing else.
      const debugLines = ran.stderr.split("\n").filter((line) => line.startsWith("kognic-auth "));
      assert.equal(debugLines.length, 2, ran.stderr);
      assert.ok(debugLines.every((line) => /Obtained an access token/.test(line)), ran.stderr);
      assert.deepEqual(out.file, ["status 200", "status 200"]);
      assert.equal(out.fileShared, true);
      const port = closed.slice(closed.lastIndexOf(":") + 1);
      for (const [code, message] of out.api) {
        assert.equal(code, "CONNECTION_REFUSED", message);
        assert.match(
          message,
          new RegExp(`^GET ".*/[ab]" failed: "127\\.0\\.0\\.1:${port}" refused`),
        );
      }
      for (const [code, message] of out.token) {
        assert.equal(code, "CONNECTION_REFUSED", message);
        assert.match(message, new RegExp(`^Token endpoint ".*" failed: "127\\.0\\.0\\.1:${port}"`));
      }
      for (const [code, message] of out.refusal) {
        assert.equal(code, "TOKEN_OAUTH_ERROR", message);
        assert.match(
          message,
          /invalid_client: .*\. Check the client secret of client id "[^"]{4}…" \(from the auth option\): .*auth server is http:\/\/127\.0\.0\.1:\d+$/,
        );
      }
      assert.equal(out.sameRefusal, true);
      const http = out.http as [string, number, string, string][];
      assert.deepEqual(http.map((entry) => entry.slice(0, 3)), [
        ["HttpError", 404, `${served.url}/missing-a`],
        ["HttpError", 404, `${served.url}/missing-b`],
      ]);
      for (const [, , , message] of http) assert.match(message, /Not found: \/missing-[ab]/);
      assert.ok(!out.refusalCause.includes("Check the client secret"), out.refusalCause);
    } finally {
      await served.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
  { needs: ["fs", "subprocess", "sockets"], timeout: 60_000 },
);

test(
  "lazy loading: concurrent first keyring calls load the keyring's code once and each work",
  async () => {
    const dir = await mkdtemp(join(tmpdir(), "kognic-auth-lazy-keyring-"));
    const service = "kognic-auth-lazy-test";
    try {
      const script = join(dir, "main.mjs");
      await writeFile(
        script,
        `import { detectRuntime } from ${JSON.stringify(repoPath("src/runtime/mod.ts"))};\n` +
          `const { keyring } = await detectRuntime();\n` +
          `await Promise.all([keyring.set(${JSON.stringify(service)}, "a", "secret-a"),\n` +
          `  keyring.set(${JSON.stringify(service)}, "b", "secret-b")]);\n` +
          `const got = await Promise.all([keyring.get(${JSON.stringify(service)}, "a"),\n` +
          `  keyring.get(${JSON.stringify(service)}, "b"), keyring.get(${
            JSON.stringify(service)
          }, "none")]);\n` +
          `const deleted = await Promise.all([keyring.delete(${JSON.stringify(service)}, "a"),\n` +
          `  keyring.delete(${JSON.stringify(service)}, "b")]);\n` +
          `console.log(JSON.stringify({ got, deleted }));\n`,
      );
      const [command, args] = entryCommand(script);
      const ran = await runProgram(command, args, {
        env: { ...process.env as Record<string, string>, HOME: dir },
      });
      assert.equal(ran.code, 0, ran.stderr);
      assert.deepEqual(JSON.parse(ran.stdout), {
        got: ["secret-a", "secret-b", null],
        deleted: [true, true],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  { needs: ["keyring", "subprocess", "fs"], timeout: 60_000 },
);

test(
  "lazy loading: concurrent first requests through a proxy load the proxy layer once and each go through it",
  async () => {
    const server = createKognicServer();
    const served = await serve(server.fetch);
    const proxy = await startForwardProxy();
    const dir = await mkdtemp(join(tmpdir(), "kognic-auth-lazy-proxy-"));
    try {
      const script = join(dir, "main.mjs");
      // Without a proxy variable the adapter's fetch goes directly; with one, made after it is
      // set, the two first requests wait for the one load of the proxy layer.
      await writeFile(
        script,
        `import process from "node:process";
import { detectRuntime } from ${JSON.stringify(repoPath("src/runtime/mod.ts"))};
const url = process.env.KOGNIC_TEST_URL;
const runtime = await detectRuntime();
const direct = await runtime.fetch(url + "/direct");
process.env.HTTP_PROXY = process.env.KOGNIC_TEST_PROXY;
const viaProxy = runtime.fetch;
const statuses = await Promise.all(["/a", "/b"].map(async (path) => {
  const response = await viaProxy(url + path);
  await response.arrayBuffer();
  return response.status;
}));
const refused = await runtime.fetchWith("http://127.0.0.1:" + process.env.KOGNIC_TEST_CLOSED_PORT)(url + "/c")
  .then(() => "answered", (error) => error.code);
console.log(JSON.stringify({ direct: direct.status, statuses, refused }));
`,
      );
      const [command, args] = entryCommand(script);
      const ran = await runProgram(command, args, {
        env: {
          PATH: process.env.PATH ?? "",
          HOME: dir,
          KOGNIC_TEST_URL: served.url,
          KOGNIC_TEST_PROXY: proxy.url,
          KOGNIC_TEST_CLOSED_PORT: String(await freePort()),
        },
      });
      assert.equal(ran.code, 0, ran.stderr);
      const out = JSON.parse(ran.stdout);
      assert.equal(out.refused, "PROXY_UNREACHABLE");
      assert.deepEqual(out.statuses, [out.direct, out.direct]);
      const lines = (await proxy.lines()).filter((line) => line.includes(served.url));
      assert.deepEqual(
        lines.map((line) => line.split(" ").slice(0, 2).join(" ")).sort(),
        [`GET ${served.url}/a`, `GET ${served.url}/b`],
      );
    } finally {
      await proxy.close();
      await served.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
  { needs: ["fs", "subprocess", "sockets"], timeout: 60_000 },
);

test("lazy loading: one load for concurrent first uses, and a failed load is tried again", async () => {
  let calls = 0;
  const load = lazily(() => {
    calls++;
    return calls === 1 ? Promise.reject(new Error("offline")) : Promise.resolve(calls);
  });
  const first = await Promise.allSettled([load(), load()]);
  assert.deepEqual(first.map((result) => result.status), ["rejected", "rejected"]);
  assert.equal(calls, 1, "concurrent first uses share one load");
  assert.deepEqual(await Promise.all([load(), load()]), [2, 2], "the failure is not kept");
  assert.equal(await load(), 2, "a load that worked is kept");
  assert.equal(calls, 2);
});

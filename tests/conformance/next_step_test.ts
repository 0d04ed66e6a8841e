// Errors that name the next step: a refused client secret names where the credentials came
// from, the client id's start and the auth server (in the library and in `kognic-auth`); "no
// credentials" points at the usual download when it is there; a file Deno may not read keeps
// Deno's --allow-read hint and the cause; an unreachable API is reported once.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, KognicAuthError } from "../../mod.ts";
import { main } from "../../src/cli/mod.ts";
import { resolveCredentials } from "../../src/core.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import { createTestServer, startTestServer } from "../../src/testing/mod.ts";
import { test } from "../support/harness.ts";
import { repoPath, runProgram } from "../support/cli.ts";
import { freePort } from "../support/service.ts";
import process from "node:process";

const BASE = "http://127.0.0.1:9";
const WRONG = "wrong-secret-0123456789";

test("errors: invalid_client names the source, the client id's start and the auth server", async () => {
  const server = createTestServer();
  const runtime = memoryRuntime({
    env: { KOGNIC_CLIENT_ID: server.clientId, KOGNIC_CLIENT_SECRET: WRONG },
  });
  const client = await createClient({
    runtime,
    baseUrl: BASE,
    authHost: BASE,
    fetch: server.fetch,
  });
  const error = await client.get("/v1/projects").catch((error: unknown) => error);
  assert.ok(error instanceof KognicAuthError && error.code === "TOKEN_OAUTH_ERROR", String(error));
  assert.match(
    error.message,
    new RegExp(
      `^Token endpoint ".*" refused the request \\(401\\): invalid_client: .*\\. Check the ` +
        `client secret of client id "${server.clientId.slice(0, 4)}…" \\(from KOGNIC_CLIENT_ID ` +
        `and KOGNIC_CLIENT_SECRET\\): .*expired.*auth server is http://127\\.0\\.0\\.1:9$`,
    ),
  );
  assert.ok(!error.message.includes(WRONG) && !error.message.includes(server.clientId));
  // The token endpoint's own error is the cause, with the same code and no hint.
  const cause = error.cause;
  assert.ok(cause instanceof KognicAuthError && cause.code === error.code, String(cause));
  assert.ok(!cause.message.includes("Check the client secret"));
  // A credentials file is named by its path.
  const file = memoryRuntime({
    env: { KOGNIC_CREDENTIALS: "/creds.json" },
    files: {
      "/creds.json": JSON.stringify({
        clientId: server.clientId,
        clientSecret: WRONG,
        email: "",
        userId: 0,
        issuer: "",
      }),
    },
  });
  const fromFile = await createClient({
    runtime: file,
    baseUrl: BASE,
    authHost: BASE,
    fetch: server.fetch,
    scopes: ["other"], // a provider of its own
  });
  // A file is read again after a refusal; still refused, the error is CREDENTIALS_REFUSED, whose
  // cause is the hinted refusal (the same for every waiter: the file is read once).
  const [refused, other] = await Promise.all([
    fromFile.get("/v1/projects").catch((error: Error) => error),
    fromFile.get("/v1/projects").catch((error: Error) => error),
  ]);
  assert.ok(
    refused instanceof KognicAuthError && refused.code === "CREDENTIALS_REFUSED",
    String(refused),
  );
  assert.match(refused.message, /KOGNIC_CREDENTIALS file "\/creds\.json" was read again/);
  const hinted = refused.cause;
  assert.ok(hinted instanceof KognicAuthError && hinted.code === "TOKEN_OAUTH_ERROR");
  assert.match(
    hinted.message,
    /invalid_client: .*\. Check the client secret of client id "kogn…" \(from KOGNIC_CREDENTIALS file "\/creds\.json"\): .*auth server is http:\/\/127\.0\.0\.1:9$/,
  );
  assert.ok((other as KognicAuthError).cause === hinted);
  assert.ok(!refused.message.includes(WRONG) && !hinted.message.includes(WRONG));
});

test("errors: kognic-auth prints Python's line, then what to check", async () => {
  const kognic = await startTestServer();
  try {
    const out: string[] = [];
    const err: string[] = [];
    const runtime = memoryRuntime({
      env: { KOGNIC_CLIENT_ID: kognic.env.KOGNIC_CLIENT_ID, KOGNIC_CLIENT_SECRET: WRONG },
    });
    const code = await main(
      ["get-access-token", "--server", kognic.url, "--token-cache", "none"],
      { stdout: (text) => void out.push(text), stderr: (text) => void err.push(text), runtime },
    );
    assert.equal(code, 1);
    const lines = err.join("").split("\n");
    assert.equal(lines[0], "Error fetching token: invalid_client: Client authentication failed");
    assert.match(
      lines[1],
      /^Check the client secret of client id "kogn…" \(from KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET\): .*auth server is http:\/\/127\.0\.0\.1:\d+$/,
    );
    assert.equal(lines.length, 3);
    assert.ok(!err.join("").includes(WRONG));
    // A file, read again after the refusal and still refused: the same two lines, naming it.
    const fromFile: string[] = [];
    const fileRuntime = memoryRuntime({
      env: { KOGNIC_CREDENTIALS: "/creds.json" },
      files: {
        "/creds.json": JSON.stringify({
          clientId: kognic.env.KOGNIC_CLIENT_ID,
          clientSecret: WRONG,
          email: "",
          userId: 0,
          issuer: "",
        }),
      },
    });
    assert.equal(
      await main(
        ["get-access-token", "--server", kognic.url, "--token-cache", "none"],
        { stdout: () => {}, stderr: (text) => void fromFile.push(text), runtime: fileRuntime },
      ),
      1,
    );
    const fileLines = fromFile.join("").split("\n");
    assert.equal(fileLines[0], lines[0]);
    assert.match(fileLines[1], /\(from KOGNIC_CREDENTIALS file "\/creds\.json"\): /);
    assert.equal(fileLines.length, 3);
    assert.ok(!fromFile.join("").includes(WRONG));
  } finally {
    await kognic.close();
  }
}, { needs: ["sockets"] });

test("errors: no credentials suggests KOGNIC_CREDENTIALS when the usual file exists", async () => {
  const usual = "/home/user/.config/kognic/credentials.json";
  const there = memoryRuntime({ home: "/home/user", files: { [usual]: "{}" } });
  const error = await resolveCredentials({ runtime: there }).catch((error: Error) => error);
  assert.ok(error instanceof KognicAuthError && error.code === "CREDENTIALS_NOT_FOUND");
  assert.match(error.message, new RegExp(`set KOGNIC_CREDENTIALS=${usual}$`));
  // Not read unasked: the file is not valid credentials, and no error is about its contents.
  assert.doesNotMatch(error.message, /JSON|missing/);
  const absent = await resolveCredentials({ runtime: memoryRuntime({ home: "/home/user" }) })
    .catch((error: Error) => error);
  assert.doesNotMatch((absent as Error).message, /KOGNIC_CREDENTIALS=/);
});

test(
  "errors: Deno without --allow-read keeps its hint and the cause, for every file read",
  async () => {
    const dir = await mkdtemp(join(tmpdir(), "kognic-perm-"));
    try {
      const credentials = join(dir, "credentials.json");
      const environments = join(dir, "environments.json");
      await writeFile(credentials, "{}");
      await writeFile(environments, "{}");
      const script = join(dir, "read.ts");
      await writeFile(
        script,
        `import { resolveCredentials, loadEnvironments } from ${
          JSON.stringify(new URL(repoPath("src/core.ts"), "file:///").href)
        };\n` +
          "for (const read of [() => resolveCredentials(), () => loadEnvironments({ path: Deno.env.get('ENVS') })]) {\n" +
          "  const error = await read().catch((error) => error);\n" +
          "  console.log(JSON.stringify({ code: error.code, message: error.message, cause: error.cause?.name }));\n" +
          "}\n",
      );
      const ran = await runProgram(
        repoPath("node_modules/.bin/deno"),
        ["run", "--no-lock", `--allow-read=${script},${repoPath("src")}`, "--allow-env", script],
        {
          env: {
            PATH: process.env.PATH ?? "",
            HOME: dir,
            KOGNIC_CREDENTIALS: credentials,
            ENVS: environments,
            NO_COLOR: "1",
          },
        },
      );
      const [creds, envs] = ran.stdout.trim().split("\n").map((line) => JSON.parse(line));
      assert.equal(creds?.code, "CREDENTIALS_FILE_UNREADABLE", ran.stderr);
      assert.match(creds.message, /permission denied \(.*--allow-read.*\)$/);
      assert.equal(creds.cause, "NotCapable");
      assert.equal(envs.code, "ENVIRONMENTS_INVALID");
      assert.match(envs.message, /cannot read it: permission denied \(.*--allow-read.*\)$/);
      assert.equal(envs.cause, "NotCapable");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  { needs: ["subprocess", "fs"], timeout: 60_000 },
);

test("errors: an unreachable API host is said once: thrown, not also logged", async () => {
  const server = createTestServer();
  const port = await freePort();
  const lines: string[] = [];
  const log = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  const client = await createClient({
    auth: [server.clientId, server.clientSecret],
    baseUrl: `http://127.0.0.1:${port}`,
    authHost: BASE,
    fetch: (input, init) =>
      String(input instanceof Request ? input.url : input).startsWith(BASE)
        ? server.fetch(input, init)
        : fetch(input, init),
    runtime: memoryRuntime(),
    retry: { attempts: 2, baseDelay: 1, maxDelay: 2 },
    logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
  });
  const error = await client.get("/v1/projects").catch((error: Error) => error);
  assert.ok(error instanceof KognicAuthError, String(error));
  assert.deepEqual(lines.filter((line) => line.includes(error.message)), []);
  assert.deepEqual(lines.filter((line) => /^(warn|error) /.test(line)), []);
}, { needs: ["sockets"] });

import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { KognicAuthError } from "../../mod.ts";
import { resolveCredentials } from "../../src/core.ts";
import { detectRuntime } from "../../src/runtime/mod.ts";
import { edgeRuntime } from "../../src/runtime/edge.ts";
import { test } from "../support/harness.ts";
import { repoPath, runProgram } from "../support/cli.ts";
import { CANARY_SECRET, credentialsDocument, thrown } from "../support/fixtures.ts";
import { createKognicServer, TEST_CLIENT_ID } from "../support/kognic_server.ts";
import { serve } from "../support/serve.ts";
import { BAD_INPUTS } from "./bad_input_test.ts";

// What this host is, told by its own globals rather than by the user agent detection reads.
const host = globalThis as { Deno?: unknown; Bun?: unknown; EdgeRuntime?: unknown };
const expected = host.Deno
  ? "deno"
  : host.Bun
  ? "bun"
  : typeof host.EdgeRuntime === "string" || "WebSocketPair" in globalThis
  ? "edge"
  : typeof process.versions?.node === "string"
  ? "node"
  : "unknown";

test("runtime: detection picks this runtime's adapter", async () => {
  const runtime = await detectRuntime();
  assert.equal(runtime.name, expected);
  assert.equal(await detectRuntime(), runtime, "created once");
});

test("runtime: the edge adapter reads string bindings only and has no file system", async () => {
  const runtime = edgeRuntime({
    env: { KOGNIC_CLIENT_ID: "id", KOGNIC_CLIENT_SECRET: CANARY_SECRET, KV: {} },
  });
  assert.equal(runtime.env("KV"), undefined);
  assert.equal(runtime.readTextFile, undefined);
  const error = await thrown(() => resolveCredentials({ auth: "/creds.json", runtime }));
  assert.equal((error as KognicAuthError).code, "CREDENTIALS_FILE_UNREADABLE");
  assert.equal((await resolveCredentials({ runtime })).credentials.clientId, "id");
});

test("runtime: the real adapter reads environment variables", async () => {
  const runtime = await detectRuntime();
  process.env.KOGNIC_AUTH_TEST_VARIABLE = "value";
  try {
    assert.equal(runtime.env("KOGNIC_AUTH_TEST_VARIABLE"), "value");
  } finally {
    delete process.env.KOGNIC_AUTH_TEST_VARIABLE;
  }
  assert.equal(runtime.env("KOGNIC_AUTH_TEST_VARIABLE"), undefined);
  assert.ok(runtime.homeDir());
}, { needs: ["fs"] });

test(
  "runtime: the real adapter's stat and home folder agree with node:fs and node:os",
  async () => {
    const runtime = await detectRuntime();
    const dir = await mkdtemp(join(tmpdir(), "kognic-auth-"));
    try {
      const path = join(dir, "credentials.json");
      await writeFile(path, JSON.stringify(credentialsDocument()));
      const own = await runtime.stat!(path);
      const node = await stat(path);
      assert.equal(own.size, node.size);
      assert.equal(own.ino, node.ino);
      assert.equal(Math.trunc(own.mtime ?? NaN), Math.trunc(node.mtimeMs));
      const missing = await thrown(() => runtime.stat!(join(dir, "missing.json")));
      if (expected !== "deno") assert.equal((missing as { code?: string }).code, "ENOENT");
      assert.equal(runtime.homeDir(), homedir());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  { needs: ["fs"] },
);

test("runtime: the real adapter reads credentials files and explains file errors", async () => {
  const runtime = await detectRuntime();
  const dir = await mkdtemp(join(tmpdir(), "kognic-auth-"));
  try {
    const path = join(dir, "credentials.json");
    await writeFile(path, JSON.stringify(credentialsDocument()));
    assert.equal(
      (await resolveCredentials({ auth: path, runtime })).credentials.email,
      "robot@example.com",
    );
    const missing = await thrown(() =>
      resolveCredentials({ auth: join(dir, "missing.json"), runtime })
    );
    assert.equal((missing as KognicAuthError).code, "CREDENTIALS_FILE_NOT_FOUND");
    await mkdir(join(dir, "folder.json"));
    const folder = await thrown(() =>
      resolveCredentials({ auth: join(dir, "folder.json"), runtime })
    );
    assert.equal((folder as KognicAuthError).code, "CREDENTIALS_FILE_UNREADABLE");
    assert.match((folder as Error).message, /is a directory|EISDIR|directory/i);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, { needs: ["fs"] });

test(
  "runtime: every error code the bad-input table produces is documented in errors.ts",
  async () => {
    const source = await readFile(new URL("../../src/errors.ts", import.meta.url), "utf8");
    for (const { code } of BAD_INPUTS) {
      assert.ok(
        source.includes(`| \`${code}\` |`),
        `${code} is not in the table of codes`,
      );
    }
  },
  { needs: ["fs"] },
);

test(
  "runtime: on Deno, createClient with explicit credentials needs no --allow-env (DEBUG unread is unset)",
  async () => {
    const dir = await mkdtemp(join(tmpdir(), "kognic-auth-perm-"));
    try {
      const script = join(dir, "main.ts");
      await writeFile(
        script,
        `import { createClient } from ${JSON.stringify(repoPath("mod.ts"))};\n` +
          `const client = await createClient({ auth: ["id", "secret"] });\n` +
          `console.log(typeof client.fetch);\n`,
      );
      const ran = await runProgram(repoPath("node_modules/.bin/deno"), [
        "run",
        "--no-prompt",
        "--no-config",
        `--allow-read=${repoPath("")},${dir}`,
        script,
      ]);
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(ran.stdout.trim(), "function");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  { needs: ["fs", "subprocess"], timeout: 60_000 },
);

test(
  "runtime: on Node, a client with credentials from the environment sends its first request without loading node:fs/promises",
  async () => {
    // Start-up time: the file API is for credential files, the token cache and the keyring
    // only. Node lists the built-in modules it loaded; a process of its own starts clean.
    const served = await serve(createKognicServer().fetch);
    const dir = await mkdtemp(join(tmpdir(), "kognic-auth-lazy-"));
    try {
      const script = join(dir, "main.mjs");
      await writeFile(
        script,
        `import process from "node:process";\n` +
          `const { createClient } = await import(${JSON.stringify(repoPath("mod.ts"))});\n` +
          `const url = process.env.KOGNIC_TEST_URL;\n` +
          `const client = await createClient({ baseUrl: url, authHost: url });\n` +
          `const response = await client.fetch("/v1/items");\n` +
          `await response.arrayBuffer();\n` +
          `const loaded = process.moduleLoadList.filter((name) => / fs\\/promises$/.test(name));\n` +
          `console.log(response.status, JSON.stringify(loaded));\n`,
      );
      const ran = await runProgram(repoPath("node_modules/node24/bin/node"), [script], {
        env: {
          PATH: process.env.PATH ?? "",
          HOME: dir,
          KOGNIC_TEST_URL: served.url,
          KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
          KOGNIC_CLIENT_SECRET: CANARY_SECRET,
        },
      });
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(ran.stdout.trim(), "200 []");
    } finally {
      await served.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
  { needs: ["fs", "subprocess", "sockets"], timeout: 60_000 },
);

test("demo: runs end to end, shows reuse and a refresh, never prints the secret", async () => {
  const { runDemo } = await import("../../scripts/_demo.ts");
  const lines: string[] = [];
  await runDemo((line) => lines.push(line), CANARY_SECRET);
  const text = lines.join("\n");
  assert.ok(!text.includes(CANARY_SECRET));
  assert.match(
    text,
    /5\. Reuse \(cached token\): 20 authenticated calls .* token #1; token requests so far: 1/,
  );
  assert.match(text, /8\. After the refresh: .* token #2; token requests so far: 2/);
  assert.match(text, /Grants used: client_credentials, refresh_token/);
}, { needs: ["fs", "sockets"] });

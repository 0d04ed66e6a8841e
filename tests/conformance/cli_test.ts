// The real CLI as a subprocess of the runtime under test, against the Kognic-compatible server
// on loopback, in a sandbox with its own HOME and XDG directories (SPEC §7, §8, §10).
import assert from "node:assert/strict";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { test } from "../support/harness.ts";
import { createKognicServer, type KognicServer } from "../support/kognic_server.ts";
import { serve, type Served } from "../support/serve.ts";
import { entryCommand, repoPath, runProgram, type Sandbox, sandbox } from "../support/cli.ts";
import {
  assertNoSecrets,
  CANARY_SECRET,
  credentialsDocument,
  TEST_CLIENT_ID,
  thrown,
} from "../support/fixtures.ts";
import { KognicAuthError } from "../../mod.ts";
import { kog, main } from "../../src/cli/mod.ts";
import { Parser } from "../../src/cli/_args.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";

const NEEDS = { needs: ["subprocess", "sockets", "fs"] as const, timeout: 60_000 };

function fixture(name: string): Promise<string> {
  return readFile(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
}

interface World {
  kognic: KognicServer;
  served: Served;
  box: Sandbox;
  credentialsPath: string;
}

/** A server on loopback, a sandbox, a credentials file and an environment "local" for it. */
async function world(fn: (world: World) => Promise<void>, keyring = false): Promise<void> {
  const kognic = createKognicServer();
  const served = await serve(kognic.fetch);
  const box = await sandbox({ keyring });
  try {
    const credentialsPath = await box.write(
      "credentials.json",
      JSON.stringify(credentialsDocument()),
    );
    await box.write(
      "config/kognic/environments.json",
      JSON.stringify({
        environments: {
          local: { host: "127.0.0.1", auth_server: served.url, credentials: credentialsPath },
        },
      }),
    );
    await fn({ kognic, served, box, credentialsPath });
  } finally {
    await served.close();
    await box.close();
  }
}

async function scopeKey(authServer: string, scopes: string[]): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(scopes.join(" ")));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${authServer}:${TEST_CLIENT_ID}:s-${hex.slice(0, 12)}`;
}

test("cli: kog prints json, jsonl, csv, tsv and table byte for byte as Python's kog", async () => {
  await world(async ({ kognic, served, box }) => {
    const cases: [string, string, string][] = [
      ["items.json", "application/json", "json"],
      ["items.json", "application/json", "jsonl"],
      ["items.json", "application/json", "csv"],
      ["items.json", "application/json", "tsv"],
      ["items.json", "application/json; charset=utf-8", "table"],
      ["list.json", "application/json", "csv"],
      ["object.json", "application/json", "table"],
      ["text.txt", "text/plain", "jsonl"],
    ];
    for (const [name, contentType, format] of cases) {
      kognic.apiFaults.push({
        body: await fixture(`kog/${name}`),
        headers: { "content-type": contentType },
      });
      const ran = await box.run("kog", ["get", `${served.url}/v1/things`, "--format", format]);
      assert.equal(ran.stderr, "", `${name} as ${format}`);
      assert.equal(ran.code, 0);
      assert.equal(
        ran.stdout,
        await fixture(`kog/expected/${name}.${format}`),
        `${name} ${format}`,
      );
    }
    assert.equal(kognic.tokenRequests.length, 1, "one token, cached in the file between runs");
  });
}, NEEDS);

test(
  "cli: kog sends -d and -H as Python does, with --env, --env-config-file-path, --scope and --token-cache none",
  async () => {
    await world(async ({ kognic, served, box, credentialsPath }) => {
      const config = await box.write(
        "elsewhere/envs.json",
        JSON.stringify({
          default_environment: "other",
          environments: {
            other: { host: "other.example", auth_server: "https://auth.other.example" },
            picked: {
              host: "picked.example",
              auth_server: served.url,
              credentials: credentialsPath,
            },
          },
        }),
      );
      // Python's kog refuses NaN and Infinity in -d (requests sends allow_nan=False).
      const refused = await box.run("kog", ["post", `${served.url}/v1/echo`, "-d", "[1e400]"]);
      assert.deepEqual(refused, {
        code: 1,
        stdout: "",
        stderr: "Error: Out of range float values are not JSON compliant\n",
      });
      const data = (await fixture("kog/request.json")).replace("1e400", "1e300");
      const args = [
        "post",
        `${served.url}/v1/echo?x=1`,
        "-d",
        data,
        "-H",
        "X-Trace: abc",
        "--header",
        "X-Other: a: b",
        "--env",
        "picked",
        "--env-config-file-path",
        config,
        "--scope",
        "api:read",
        "--scope",
        "api:write",
        "--token-cache",
        "none",
      ];
      const ran = await box.run("kog", args);
      assert.equal(ran.stderr, "");
      assert.equal(ran.code, 0);
      const sent = kognic.apiRequests.at(-1)!;
      assert.equal(
        sent.body,
        (await fixture("kog/expected/request.body")).replace("Infinity", "1e+300"),
      );
      assert.equal(sent.headers["content-type"], "application/json");
      assert.equal(sent.headers["x-trace"], "abc");
      assert.equal(sent.headers["x-other"], "a: b");
      assert.equal(
        new URLSearchParams(kognic.tokenRequests[0].body).get("scope"),
        "api:read api:write",
      );
      assert.match(ran.stdout, /^\{\n {2}"data": \{\n {4}"method": "POST",\n/);
      const again = await box.run("kog", args);
      assert.equal(again.code, 0);
      assert.equal(kognic.tokenRequests.length, 2, "--token-cache none caches nothing");
      await assert.rejects(stat(box.cachePath), "no cache file was written");
    });
  },
  NEEDS,
);

test(
  "cli: kog reports HTTP errors, bad headers and bad JSON with exit code 1, usage errors with 2",
  async () => {
    await world(async ({ kognic, served, box }) => {
      let ran = await box.run("kog", ["get", `${served.url}/v1/missing`]);
      assert.deepEqual(ran, {
        code: 1,
        stdout: "",
        stderr: `Error: Got HttpError with status=404 in call to ${served.url}/v1/missing.\n` +
          "Got error in response: 'Not found: /v1/missing'\n",
      });
      kognic.apiFaults.push({ status: 500, body: "upstream down" });
      ran = await box.run("kog", ["delete", `${served.url}/v1/things/1`]);
      assert.equal(ran.stdout, "");
      assert.equal(
        ran.stderr,
        `Error: Got HttpError with status=500 in call to ${served.url}/v1/things/1.\n` +
          "Got error in response: 'upstream down'\n",
      );
      ran = await box.run("kog", ["get", `${served.url}/v1/items`, "-H", "BadHeader"]);
      assert.deepEqual(ran, {
        code: 1,
        stdout: "",
        stderr: "Error: Invalid header format 'BadHeader'. Expected 'Key: Value'.\n",
      });
      ran = await box.run("kog", ["post", `${served.url}/v1/echo`, "-d", "{bad"]);
      assert.deepEqual(ran, {
        code: 1,
        stdout: "",
        stderr: "Error: Invalid JSON data: Expecting property name enclosed in double quotes: " +
          "line 1 column 2 (char 1)\n",
      });
      ran = await box.run("kog", ["get", `${served.url}/v1/items`, "--env", "nope"]);
      assert.equal(ran.code, 1);
      assert.equal(ran.stderr, "Error: Unknown environment: nope\n");
      // Usage errors as argparse reports them: usage, "kog: error: …", exit code 2.
      ran = await box.run("kog", ["fetch", `${served.url}/v1/items`]);
      assert.equal(ran.code, 2);
      assert.match(ran.stderr, /^usage: kog \[-h\]/);
      assert.match(ran.stderr, /\nkog: error: argument METHOD: invalid choice: 'fetch'/);
      ran = await box.run("kog", ["get", `${served.url}/v1/items`, "--format", "xml"]);
      assert.equal(ran.code, 2);
      assert.match(ran.stderr, /\nkog: error: argument --format: invalid choice: 'xml'/);
      ran = await box.run("kog", ["--help"]);
      assert.equal(ran.code, 0);
      assert.match(ran.stdout, /^usage: kog /);
    });
  },
  NEEDS,
);

test(
  "cli: get-access-token and kog warn on standard error of credentials that expire soon",
  async () => {
    await world(async ({ served, box }) => {
      const expires = new Date(Date.now() + 10 * 24 * 3600_000).toISOString();
      const path = await box.write(
        "expiring.json",
        JSON.stringify(credentialsDocument({ expires })),
      );
      const line =
        /^WARNING kognic\.auth: The credentials from credentials file .*expiring\.json.* expire on /m;
      const options = ["--credentials", path, "--server", served.url];
      for (const cache of ["none", "file", "file"]) {
        // The token requested, then read from the cache: the warning either way.
        const token = await box.run("kognic-auth", [
          "get-access-token",
          ...options,
          "--token-cache",
          cache,
        ]);
        assert.equal(token.code, 0, token.stderr);
        assert.match(token.stderr, line);
      }
      await box.write(
        "config/kognic/environments.json",
        JSON.stringify({
          environments: {
            local: { host: "127.0.0.1", auth_server: served.url, credentials: path },
          },
        }),
      );
      const kogRun = await box.run("kog", ["get", `${served.url}/v1/whoami`]);
      assert.equal(kogRun.code, 0, kogRun.stderr);
      assert.match(kogRun.stderr, line);
    });
  },
  NEEDS,
);

test("cli: -v logs debug lines that never show the secret or a token", async () => {
  await world(async ({ kognic, served, box }) => {
    const first = await box.run("kognic-auth", ["-v", "get-access-token", "--env", "local"]);
    assert.equal(first.code, 0);
    const second = await box.run("kog", ["get", `${served.url}/v1/whoami`, "-v"]);
    assert.equal(second.code, 0);
    for (const ran of [first, second]) {
      assert.match(ran.stderr, /^DEBUG /m);
      assertNoSecrets(ran.stderr, [CANARY_SECRET, ...kognic.issuedTokens]);
    }
    assert.match(second.stderr, /Using cached token from the file token cache/);
    const refresh = JSON.parse(await readFile(box.cachePath, "utf8"))[
      `${served.url}:${TEST_CLIENT_ID}`
    ].refresh_token;
    assert.ok(!first.stderr.includes(refresh) && !second.stderr.includes(refresh));
  });
}, NEEDS);

test(
  "cli: get-access-token with --server, --credentials, --scopes, --decode, --env and --token-cache",
  async () => {
    await world(async ({ kognic, served, box, credentialsPath }) => {
      let ran = await box.run("kognic-auth", [
        "get-access-token",
        "--server",
        served.url,
        "--credentials",
        credentialsPath,
        "--token-cache",
        "none",
      ]);
      assert.deepEqual(ran, { code: 0, stdout: `${kognic.issuedTokens[0]}\n`, stderr: "" });

      ran = await box.run("kognic-auth", [
        "get-access-token",
        "--server",
        served.url,
        "--credentials",
        credentialsPath,
        "--scopes",
        "api:read",
        "api:write",
        "--decode",
        "--token-cache",
        "file",
      ]);
      assert.equal(ran.code, 0, ran.stderr);
      const decoded = JSON.parse(ran.stdout);
      assert.deepEqual(decoded.header, { alg: "none", typ: "JWT" });
      assert.equal(decoded.payload.scope, "api:read api:write");
      assert.equal(decoded.signature, kognic.issuedTokens[1].split(".")[2]);
      assert.equal(ran.stdout, JSON.stringify(decoded, null, 2) + "\n", "indented like Python");
      const cache = JSON.parse(await readFile(box.cachePath, "utf8"));
      assert.deepEqual(Object.keys(cache), [
        await scopeKey(served.url, ["api:read", "api:write"]),
      ]);

      const config = await box.write(
        "envs.json",
        JSON.stringify({
          environments: {
            scoped: { host: "x.example", auth_server: served.url, credentials: credentialsPath },
          },
        }),
      );
      ran = await box.run("kognic-auth", [
        "get-access-token",
        "--env",
        "scoped",
        "--env-config-file-path",
        config,
      ]);
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(ran.stdout, `${kognic.issuedTokens[2]}\n`);

      ran = await box.run("kognic-auth", ["get-access-token", "--env", "nope"]);
      assert.deepEqual(ran, {
        code: 1,
        stdout: "",
        stderr: `Error: Environment 'nope' not found in config file '${box.environmentsPath}'\n`,
      });
      // In the CLI's words: its options and commands, not the library's option names.
      ran = await box.run("kognic-auth", ["get-access-token", "--server", served.url]);
      assert.equal(ran.code, 1);
      assert.match(
        ran.stderr,
        /^Error: No Kognic credentials found\. Tried: --credentials \(not given\); KOGNIC_CREDENTIALS \(not set\); .*\. Give --credentials FILE or --env NAME, set KOGNIC_CREDENTIALS, or store credentials with `kognic-auth credentials put FILE`\n$/,
      );
      ran = await box.run("kog", ["get", "http://elsewhere.invalid/v1/x"]);
      assert.equal(ran.code, 1);
      assert.match(
        ran.stderr,
        /^Error: No Kognic credentials found\. Tried: the environment's credentials \(none in environments\.json for this URL\); KOGNIC_CREDENTIALS \(not set\); .*\. Give an environment with "credentials" in environments\.json \(or --env NAME\), set KOGNIC_CREDENTIALS, or store credentials with `kognic-auth credentials put FILE`\n$/,
      );
      ran = await box.run("kognic-auth", ["get-access-token", "--token-cache", "disk"]);
      assert.equal(ran.code, 2);
      assert.match(
        ran.stderr,
        /\nkognic-auth get-access-token: error: argument --token-cache: invalid choice: 'disk'/,
      );
    });
  },
  NEEDS,
);

test(
  "cli: a token cache file in Python's format is read and its token used without a request",
  async () => {
    await world(async ({ kognic, served, box, credentialsPath }) => {
      const text = (await fixture("python_tokens.json")).replace("{{AUTH_SERVER}}", served.url);
      await box.write("cache/kognic-auth/tokens.json", text);
      for (const mode of ["file", "auto"]) {
        const ran = await box.run("kognic-auth", [
          "get-access-token",
          "--server",
          served.url,
          "--credentials",
          credentialsPath,
          "--token-cache",
          mode,
        ]);
        assert.deepEqual(ran, { code: 0, stdout: "python-cached-access-token\n", stderr: "" });
      }
      assert.equal(kognic.tokenRequests.length, 0);
      assert.equal(await readFile(box.cachePath, "utf8"), text, "the file was left alone");
    });
  },
  NEEDS,
);

test(
  "cli: the cache file it writes has Python's shape, mode 0600, and keeps foreign entries",
  async () => {
    await world(async ({ kognic, served, box }) => {
      const python = (await fixture("python_tokens.json")).replace("{{AUTH_SERVER}}", served.url);
      await box.write("cache/kognic-auth/tokens.json", python);
      const ran = await box.run("kog", ["get", `${served.url}/v1/whoami`, "--scope", "api:read"]);
      assert.equal(ran.code, 0, ran.stderr);
      const text = await readFile(box.cachePath, "utf8");
      const cache = JSON.parse(text);
      assert.equal(text, JSON.stringify(cache, null, 2), "two-space indentation like Python");
      const key = await scopeKey(served.url, ["api:read"]);
      assert.deepEqual(Object.keys(cache), [...Object.keys(JSON.parse(python)), key]);
      for (const [name, entry] of Object.entries(JSON.parse(python))) {
        assert.deepEqual(cache[name], entry, `foreign entry ${name} kept`);
      }
      const entry = cache[key];
      assert.deepEqual(Object.keys(entry).sort(), [
        "access_token",
        "expires_at",
        "expires_in",
        "refresh_token",
        "scope",
        "token_type",
      ]);
      assert.equal(entry.access_token, kognic.issuedTokens[0]);
      assert.equal(entry.token_type, "Bearer");
      assert.equal(entry.expires_in, 3600);
      assert.ok(Number.isInteger(entry.expires_at));
      assert.ok(Math.abs(entry.expires_at - (Date.now() / 1000 + 3600)) < 120);
      assert.equal((await stat(box.cachePath)).mode & 0o777, 0o600);
      assert.deepEqual(await readdir(join(box.cachePath, "..")), ["tokens.json"], "no leftovers");
    });
  },
  NEEDS,
);

test("cli: a corrupt cache file is treated as empty and replaced", async () => {
  await world(async ({ kognic, served, box }) => {
    await box.write("cache/kognic-auth/tokens.json", '{"truncated": {"access_tok');
    const ran = await box.run("kog", ["get", `${served.url}/v1/whoami`]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(kognic.tokenRequests.length, 1);
    const cache = JSON.parse(await readFile(box.cachePath, "utf8"));
    assert.deepEqual(Object.keys(cache), [`${served.url}:${TEST_CLIENT_ID}`]);
  });
}, NEEDS);

test(
  "cli: ten processes at once against an empty cache leave a valid cache file with the token",
  async () => {
    await world(async ({ kognic, box }) => {
      const runs = await Promise.all(
        Array.from(
          { length: 10 },
          () => box.run("kognic-auth", ["get-access-token", "--env", "local"]),
        ),
      );
      for (const ran of runs) {
        assert.equal(ran.code, 0, ran.stderr);
      }
      const printed = new Set(runs.map((ran) => ran.stdout.trim()));
      const cache = JSON.parse(await readFile(box.cachePath, "utf8"));
      const keys = Object.keys(cache);
      assert.equal(keys.length, 1);
      assert.ok(printed.has(cache[keys[0]].access_token), "the cached token is one a process got");
      assert.ok(kognic.issuedTokens.includes(cache[keys[0]].access_token));
      assert.deepEqual(await readdir(join(box.cachePath, "..")), ["tokens.json"], "no leftovers");
    });
  },
  NEEDS,
);

test(
  "cli: kognic-auth has no kog subcommand (as in Python), and credentials without a keyring is an error",
  async () => {
    await world(async ({ served, box }) => {
      let ran = await box.run("kognic-auth", ["kog", "get", `${served.url}/v1/items`]);
      assert.deepEqual(ran, {
        code: 2,
        stdout: "",
        stderr: "usage: kognic-auth [-h] [-v] {get-access-token,credentials} ...\n" +
          "kognic-auth: error: argument command: invalid choice: 'kog' (choose from " +
          "'get-access-token', 'credentials')\n",
      });
      ran = await box.run("kognic-auth", ["credentials", "get"]);
      assert.equal(ran.code, 1);
      assert.match(
        ran.stderr,
        /^Error: Cannot read credentials from the keyring: no system keyring/,
      );
      ran = await box.run("kognic-auth", [
        "get-access-token",
        "--token-cache",
        "keyring",
        "--env",
        "local",
      ]);
      assert.equal(ran.code, 1);
      assert.match(ran.stderr, /^Error: Cannot cache tokens in the keyring: no system keyring/);
      ran = await box.run("kognic-auth", ["frobnicate"]);
      assert.equal(ran.code, 2);
      assert.match(
        ran.stderr,
        /\nkognic-auth: error: argument command: invalid choice: 'frobnicate'/,
      );
    });
  },
  NEEDS,
);

test("cli: a refused command line is a KognicAuthError CLI_USAGE; in-process kog and main return 2 for it, 1 for a bad -H, -d or URL", async () => {
  const parser = new Parser({
    prog: "tool",
    args: [{ names: ["--n"], key: "n", kind: "value", choices: ["a", "b"] }],
  });
  for (const args of [["--n", "c"], ["--x"], ["--n"], ["extra"]]) {
    const error = await thrown(() => parser.parse(args));
    assert.ok(error instanceof KognicAuthError, String(error));
    assert.equal(error.code, "CLI_USAGE");
    assert.equal(error.source, "tool");
  }
  const runtime = memoryRuntime({ env: { COLUMNS: "80" } });
  const run = async (command: typeof kog, args: string[]) => {
    let out = "";
    let err = "";
    const code = await command(args, {
      stdout: (text) => void (out += text),
      stderr: (text) => void (err += text),
      runtime,
    });
    return { code, out, err };
  };
  let ran = await run(kog, ["fetch", "http://127.0.0.1:1/"]);
  assert.equal(ran.code, 2);
  assert.match(ran.err, /^usage: kog \[-h\][^]*\nkog: error: argument METHOD: invalid choice/);
  ran = await run(main, ["frobnicate"]);
  assert.equal(ran.code, 2);
  assert.match(ran.err, /\nkognic-auth: error: argument command: invalid choice: 'frobnicate'/);
  ran = await run(kog, ["get", "http://127.0.0.1:1/", "-H", "Bad"]);
  assert.deepEqual(ran, {
    code: 1,
    out: "",
    err: "Error: Invalid header format 'Bad'. Expected 'Key: Value'.\n",
  });
  ran = await run(kog, ["post", "http://127.0.0.1:1/", "-d", "[1e999]"]);
  assert.deepEqual(ran, {
    code: 1,
    out: "",
    err: "Error: Out of range float values are not JSON compliant\n",
  });
  ran = await run(kog, ["get", "127.0.0.1/x"]);
  assert.equal(ran.code, 1);
  assert.match(ran.err, /^Error: Invalid URL '127\.0\.0\.1\/x': No scheme supplied/);
});

test("cli: kog prints the same output however the answer's body is framed: with Content-Length, streamed without it, labelled as encoded, with a byte order mark", async () => {
  const kognic = createKognicServer();
  const body = '{"data": [{"id": 1, "name": "Caf\\u00e9 \u00e9"}, {"id": 2.0}]}';
  const bytes = new TextEncoder().encode(body);
  // The API's answers, framed each way; the token requests go to the test server.
  const framed: Record<string, () => Response> = {
    "/v1/length": () =>
      new Response(bytes, {
        headers: { "Content-Type": "application/json", "Content-Length": `${bytes.length}` },
      }),
    "/v1/streamed": () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(bytes.subarray(0, 7));
            controller.enqueue(bytes.subarray(7));
            controller.close();
          },
        }),
        { headers: { "Content-Type": "application/json" } },
      ),
    // A decoded body longer than the Content-Length of its encoded form.
    "/v1/encoded": () =>
      new Response(bytes, {
        headers: {
          "Content-Type": "application/json",
          "Content-Length": "5",
          "Content-Encoding": "gzip",
        },
      }),
    "/v1/bom": () =>
      new Response(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]), {
        headers: { "Content-Type": "application/json", "Content-Length": `${bytes.length + 3}` },
      }),
  };
  const runtime = memoryRuntime({
    files: {
      "/creds.json": JSON.stringify(credentialsDocument()),
      "/envs.json": JSON.stringify({
        environments: {
          local: {
            host: "127.0.0.1",
            auth_server: "http://127.0.0.1:9",
            credentials: "/creds.json",
          },
        },
      }),
    },
    fetch: (input, init) => {
      const request = new Request(input, init);
      const answer = framed[new URL(request.url).pathname];
      return Promise.resolve(answer ? answer() : kognic.fetch(request));
    },
  });
  const outputs = [];
  for (const path of Object.keys(framed)) {
    let out = "";
    let err = "";
    const code = await kog(
      ["get", `http://127.0.0.1:9${path}`, "--env-config-file-path", "/envs.json"].concat(
        ["--token-cache", "none", "--format", "jsonl"],
      ),
      { stdout: (text) => void (out += text), stderr: (text) => void (err += text), runtime },
    );
    assert.deepEqual({ code, err }, { code: 0, err: "" }, path);
    outputs.push(out);
  }
  assert.equal(outputs[0], '{"id": 1, "name": "Caf\\u00e9 \\u00e9"}\n{"id": 2.0}\n');
  assert.deepEqual(outputs, Array(outputs.length).fill(outputs[0]));
});

test(
  "cli: DEBUG=kognic-auth logs the library's token events on standard error of get-access-token and kog, never a secret or a token",
  async () => {
    await world(async ({ kognic, served, box }) => {
      const run = (entry: string, args: string[], env: Record<string, string>) => {
        const [command, base] = entryCommand(repoPath(entry));
        return runProgram(command, [...base, ...args], { env: { ...box.env, ...env } });
      };
      const token = ["get-access-token", "--env", "local", "--token-cache", "none"];
      const request = ["get", `${served.url}/v1/whoami`, "--token-cache", "none"];
      for (
        const [entry, args] of [["src/cli/mod.ts", token], ["src/cli/kog.ts", request]] as const
      ) {
        const ran = await run(entry, [...args], { DEBUG: "kognic-auth" });
        assert.equal(ran.code, 0, ran.stderr);
        assert.match(
          ran.stderr,
          /^kognic-auth Obtained an access token from "http:\/\/127\.0\.0\.1:/m,
        );
        assertNoSecrets(ran.stderr, [CANARY_SECRET, ...kognic.issuedTokens]);
        // Without DEBUG, or with a pattern that leaves kognic-auth out: none of them.
        const quietEnvs: Record<string, string>[] = [
          {},
          { DEBUG: "kognic-auth,-kognic-auth" },
          { DEBUG: "other" },
        ];
        for (const env of quietEnvs) {
          const quiet = await run(entry, [...args], env);
          assert.deepEqual([quiet.code, quiet.stderr], [0, ""], JSON.stringify(env));
        }
      }
    });
  },
  NEEDS,
);

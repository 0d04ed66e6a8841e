// Keyring interop with Kognic's Python `kognic-auth` (the oracle): the same Secret Service items,
// written alternately by both tools, never shadow each other. Each profile stays ONE item; both
// tools read the last one written; either tool's delete removes it, including items an older
// version of this project wrote (without Python's `application` attribute).
import assert from "node:assert/strict";
import { readKeyringCredentials } from "../../src/credentials/sources.ts";
import { keyringTokenStore } from "../../src/stores/keyring.ts";
import { detectRuntime } from "../../src/runtime/mod.ts";
import { test } from "../support/harness.ts";
import { runProgram, sandbox } from "../support/cli.ts";
import { runPython, runPythonCli } from "../support/oracle.ts";
import { credentialsDocument } from "../support/fixtures.ts";

const NEEDS = { needs: ["python", "keyring", "subprocess", "fs"] as const, timeout: 180_000 };
const ROUNDS = 20;

function profile(name: string): string {
  return `interop-${name}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Every item with that service and username, as the Python `secretstorage` sees them. */
async function items(service: string, username: string): Promise<Record<string, string>[]> {
  const ran = await runPython(
    `import json, sys, secretstorage
from contextlib import closing
with closing(secretstorage.dbus_init()) as bus:
    c = secretstorage.get_default_collection(bus)
    print(json.dumps([dict(i.get_attributes(), label=i.get_label(), secret=i.get_secret().decode())
        for i in c.search_items({"service": sys.argv[1], "username": sys.argv[2]})]))`,
    { keyring: true, args: [service, username] },
  );
  assert.equal(ran.code, 0, ran.stderr);
  return JSON.parse(ran.stdout);
}

/** The one item of a profile: what Python's keyring backend writes, label and attributes. */
function assertOne(found: Record<string, string>[], service: string, username: string): string {
  assert.equal(found.length, 1, `${found.length} items for ${service}/${username}`);
  const { secret, ...rest } = found[0];
  delete rest["xdg:schema"]; // gnome-keyring's own, on some items
  assert.deepEqual(rest, {
    service,
    username,
    application: "Python keyring library",
    label: `Password for '${username}' on '${service}'`,
  });
  return secret;
}

test(
  "interop: keyring credentials put alternating with Python leaves one item, the last one",
  async () => {
    const box = await sandbox({ keyring: true });
    const name = profile("put");
    const runtime = await detectRuntime();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const ours = await box.write(
          `ours-${round}.creds`,
          JSON.stringify(credentialsDocument({ clientId: `ours-${round}` })),
        );
        const ranOurs = await box.run("kognic-auth", ["credentials", "put", ours, "--env", name]);
        assert.equal(ranOurs.code, 0, ranOurs.stderr);
        assert.equal(
          JSON.parse(assertOne(await items("kognic-credentials", name), "kognic-credentials", name))
            .clientId,
          `ours-${round}`,
        );
        const python = await box.write(
          `python-${round}.txt`,
          JSON.stringify(credentialsDocument({ clientId: `python-${round}` })),
        );
        // Python reads what we wrote, then writes its own.
        const read = await runPython(
          `import sys
from kognic.auth.internal.credentials_store import load_credentials
print(load_credentials(sys.argv[1]).client_id)`,
          { env: box.env, keyring: true, args: [name] },
        );
        assert.equal(read.stdout, `ours-${round}\n`, read.stderr);
        const ranPython = await runPythonCli("kognic-auth", {
          env: box.env,
          keyring: true,
          args: ["credentials", "put", python, "--env", name],
        });
        assert.equal(ranPython.code, 0, ranPython.stderr);
        assert.equal(
          JSON.parse(assertOne(await items("kognic-credentials", name), "kognic-credentials", name))
            .clientId,
          `python-${round}`,
        );
        assert.equal((await readKeyringCredentials(name, runtime))?.clientId, `python-${round}`);
      }
      // Python's delete removes the one item: nothing left for either tool.
      const deleted = await runPythonCli("kognic-auth", {
        env: box.env,
        keyring: true,
        args: ["credentials", "delete", "--env", name],
      });
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.deepEqual(await items("kognic-credentials", name), []);
      assert.equal(await readKeyringCredentials(name, runtime), undefined);
    } finally {
      await runProgram("secret-tool", ["clear", "service", "kognic-credentials", "username", name]);
      await box.close();
    }
  },
  NEEDS,
);

test(
  "interop: keyring delete removes Python's item and items older versions of this project wrote",
  async () => {
    const box = await sandbox({ keyring: true });
    const name = profile("delete");
    const runtime = await detectRuntime();
    try {
      // An item as this project stored it before (no `application`), then Python's beside it.
      const legacy = await runProgram(
        "secret-tool",
        ["store", "--label=legacy", "service", "kognic-credentials", "username", name],
        { stdin: JSON.stringify(credentialsDocument({ clientId: "legacy" })) },
      );
      assert.equal(legacy.code, 0, legacy.stderr);
      const file = await box.write(
        "python.json",
        JSON.stringify(credentialsDocument({ clientId: "py" })),
      );
      const put = await runPythonCli("kognic-auth", {
        env: box.env,
        keyring: true,
        args: ["credentials", "put", file, "--env", name],
      });
      assert.equal(put.code, 0, put.stderr);
      assert.equal((await items("kognic-credentials", name)).length, 2);
      // Our put replaces both with one item; Python reads it.
      const ours = await box.write(
        "ours.json",
        JSON.stringify(credentialsDocument({ clientId: "ours" })),
      );
      assert.equal(
        (await box.run("kognic-auth", ["credentials", "put", ours, "--env", name])).code,
        0,
      );
      assertOne(await items("kognic-credentials", name), "kognic-credentials", name);
      // Our delete removes every item, a legacy one included.
      await runProgram(
        "secret-tool",
        ["store", "--label=legacy", "service", "kognic-credentials", "username", name],
        { stdin: JSON.stringify(credentialsDocument({ clientId: "legacy" })) },
      );
      const ran = await box.run("kognic-auth", ["credentials", "delete", "--env", name]);
      assert.equal(ran.code, 0, ran.stderr);
      assert.deepEqual(await items("kognic-credentials", name), []);
      assert.equal(await readKeyringCredentials(name, runtime), undefined);
    } finally {
      await runProgram("secret-tool", ["clear", "service", "kognic-credentials", "username", name]);
      await box.close();
    }
  },
  NEEDS,
);

test(
  "interop: keyring token cache written alternately by both tools stays one item, read by both",
  async () => {
    const runtime = await detectRuntime();
    const store = keyringTokenStore(runtime.keyring);
    const server = "http://127.0.0.1:9";
    const clientId = profile("token");
    const key = `${server}:${clientId}`;
    const python = (code: string, ...args: string[]) =>
      runPython(
        `import json, sys, time
from kognic.auth.internal.token_cache import KeyringTokenCache
cache = KeyringTokenCache()
${code}`,
        { keyring: true, args: [server, clientId, ...args] },
      );
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const expiresAt = Math.floor(Date.now() / 1000) + 3600;
        await store.save(key, {
          access_token: `ours-${round}`,
          token_type: "Bearer",
          expires_in: 3600,
          expires_at: expiresAt,
        });
        assertOne(await items("kognic-auth", key), "kognic-auth", key);
        const read = await python(
          `token = cache.load(sys.argv[1], sys.argv[2])
print(token["access_token"])
cache.save(sys.argv[1], sys.argv[2], {"access_token": sys.argv[3], "token_type": "Bearer", "expires_in": 3600, "expires_at": time.time() + 3600})`,
          `python-${round}`,
        );
        assert.equal(read.stdout, `ours-${round}\n`, read.stderr);
        assertOne(await items("kognic-auth", key), "kognic-auth", key);
        assert.equal((await store.load(key))?.access_token, `python-${round}`);
      }
      await store.delete(key);
      assert.deepEqual(await items("kognic-auth", key), []);
      const ran = await python(`print(cache.load(sys.argv[1], sys.argv[2]))`);
      assert.equal(ran.stdout, "None\n", ran.stderr);
    } finally {
      await runProgram("secret-tool", ["clear", "service", "kognic-auth", "username", key]);
    }
  },
  NEEDS,
);

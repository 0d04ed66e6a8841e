// The keyring (SPEC §8, §9) against a real gnome-keyring in the private D-Bus session that
// scripts/test.sh starts: entries are interchangeable with Python's `keyring` (service and
// username attributes), through the CLI and through the runtime adapter.
import assert from "node:assert/strict";
import { resolveCredentials } from "../../src/core.ts";
import { detectRuntime } from "../../src/runtime/mod.ts";
import { test } from "../support/harness.ts";
import { createKognicServer } from "../support/kognic_server.ts";
import { serve } from "../support/serve.ts";
import { runProgram, sandbox } from "../support/cli.ts";
import { CANARY_SECRET, credentialsDocument, TEST_CLIENT_ID } from "../support/fixtures.ts";

const NEEDS = { needs: ["keyring", "subprocess", "sockets", "fs"] as const, timeout: 60_000 };

/** A profile name no other runtime's run uses at the same time. */
function profile(name: string): string {
  return `test-${name}-${crypto.randomUUID().slice(0, 8)}`;
}

function secretTool(args: string[], stdin?: string) {
  return runProgram("secret-tool", args, { stdin });
}

async function clear(service: string, account: string): Promise<void> {
  await secretTool(["clear", "service", service, "username", account]);
}

test("keyring: credentials put, get and delete use Python's service and attributes", async () => {
  const box = await sandbox({ keyring: true });
  const name = profile("put");
  try {
    const file = await box.write("credentials.json", JSON.stringify(credentialsDocument()));
    let ran = await box.run("kognic-auth", ["credentials", "put", file, "--env", name]);
    assert.deepEqual(ran, {
      code: 0,
      stdout:
        `Credentials for client_id='${TEST_CLIENT_ID}' stored in keyring (profile='${name}')\n`,
      stderr: "",
    });
    const stored = await secretTool(["lookup", "service", "kognic-credentials", "username", name]);
    assert.equal(stored.code, 0);
    const secret = JSON.parse(stored.stdout);
    assert.deepEqual(Object.keys(secret), [
      "clientId",
      "clientSecret",
      "email",
      "userId",
      "issuer",
      "name",
      "created",
    ]);
    assert.equal(secret.clientSecret, CANARY_SECRET);

    ran = await box.run("kognic-auth", ["credentials", "get", "--env", name]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(
      ran.stdout,
      `{\n  "clientId": "${TEST_CLIENT_ID}",\n  "clientSecret": "${CANARY_SECRET}",\n` +
        `  "email": "robot@example.com",\n  "userId": 4711,\n  "issuer": "auth.kognic.test"\n}\n`,
    );

    ran = await box.run("kognic-auth", ["credentials", "delete", "--env", name]);
    assert.deepEqual(ran, {
      code: 0,
      stdout: `Credentials cleared from keyring (profile='${name}')\n`,
      stderr: "",
    });
    ran = await box.run("kognic-auth", ["credentials", "get", "--env", name]);
    assert.deepEqual(ran, {
      code: 1,
      stdout: "",
      stderr: `No credentials found in keyring (profile='${name}')\n`,
    });

    // Expired credentials are shown as stored (they are what a user needs to see to replace).
    const expired = await box.write(
      "expired.json",
      JSON.stringify(credentialsDocument({ expires: "2020-01-01T00:00:00Z" })),
    );
    assert.equal(
      (await box.run("kognic-auth", ["credentials", "put", expired, "--env", name])).code,
      0,
    );
    ran = await box.run("kognic-auth", ["credentials", "get", "--env", name]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, new RegExp(`"clientId": "${TEST_CLIENT_ID}"`));
  } finally {
    await clear("kognic-credentials", name);
    await box.close();
  }
}, NEEDS);

test(
  "keyring: keyring://PROFILE in environments.json, a secret-tool entry, and the token cache in the keyring",
  async () => {
    const kognic = createKognicServer();
    const served = await serve(kognic.fetch);
    const box = await sandbox({ keyring: true });
    const name = profile("env");
    try {
      // Stored the way Python's keyring (and a user with secret-tool) does it.
      const made = await secretTool(
        ["store", "--label=x", "service", "kognic-credentials", "username", name],
        JSON.stringify(credentialsDocument()),
      );
      assert.equal(made.code, 0, made.stderr);
      await box.write(
        "config/kognic/environments.json",
        JSON.stringify({
          environments: {
            local: { host: "127.0.0.1", auth_server: served.url, credentials: `keyring://${name}` },
          },
        }),
      );
      const ran = await box.run("kog", [
        "get",
        `${served.url}/v1/whoami`,
        "--token-cache",
        "keyring",
      ]);
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(JSON.parse(ran.stdout).data.clientId, TEST_CLIENT_ID);
      const key = `${served.url}:${TEST_CLIENT_ID}`;
      const cached = await secretTool(["lookup", "service", "kognic-auth", "username", key]);
      assert.equal(JSON.parse(cached.stdout).access_token, kognic.issuedTokens[0]);
      await clear("kognic-auth", key);

      const missing = await box.run("kog", [
        "get",
        `${served.url}/v1/whoami`,
        "--env",
        "local",
        "--env-config-file-path",
        await box.write(
          "other.json",
          JSON.stringify({
            environments: {
              local: {
                host: "h",
                auth_server: served.url,
                credentials: "keyring://absent-profile",
              },
            },
          }),
        ),
      ]);
      assert.equal(missing.code, 1);
      assert.match(
        missing.stderr,
        /^Error: No credentials in the keyring for profile "absent-profile": store them with `kognic-auth credentials put <file> --env absent-profile`\n$/,
      );
    } finally {
      await clear("kognic-credentials", name);
      await served.close();
      await box.close();
    }
  },
  NEEDS,
);

test(
  "keyring: the default profile created with secret-tool is the last resolution step",
  async () => {
    const kognic = createKognicServer();
    const served = await serve(kognic.fetch);
    const box = await sandbox({ keyring: true });
    try {
      const made = await secretTool(
        ["store", "--label=x", "service", "kognic-credentials", "username", "default"],
        JSON.stringify(credentialsDocument()),
      );
      assert.equal(made.code, 0, made.stderr);
      const ran = await box.run("kognic-auth", [
        "get-access-token",
        "--server",
        served.url,
        "--token-cache",
        "none",
      ]);
      assert.deepEqual(ran, { code: 0, stdout: `${kognic.issuedTokens[0]}\n`, stderr: "" });
    } finally {
      await clear("kognic-credentials", "default");
      await served.close();
      await box.close();
    }
  },
  NEEDS,
);

test(
  "keyring: the runtime adapter reads, writes and deletes entries and resolves keyring://PROFILE",
  async () => {
    const runtime = await detectRuntime();
    assert.ok(runtime.keyring, "the adapter has a keyring in a D-Bus session");
    const name = profile("adapter");
    try {
      assert.equal(await runtime.keyring.get("kognic-credentials", name), undefined);
      await runtime.keyring.set("kognic-credentials", name, JSON.stringify(credentialsDocument()));
      const lookup = await secretTool([
        "lookup",
        "service",
        "kognic-credentials",
        "username",
        name,
      ]);
      assert.equal(JSON.parse(lookup.stdout).clientId, TEST_CLIENT_ID);
      const { credentials, source } = await resolveCredentials({
        auth: `keyring://${name}`,
        runtime,
      });
      assert.equal(credentials.clientSecret, CANARY_SECRET);
      assert.equal(source, `keyring profile "${name}"`);
      await runtime.keyring.set("kognic-credentials", name, '{"replaced": "é ✓"}');
      assert.equal(await runtime.keyring.get("kognic-credentials", name), '{"replaced": "é ✓"}');
      assert.equal(await runtime.keyring.delete("kognic-credentials", name), true);
      assert.equal(await runtime.keyring.delete("kognic-credentials", name), false);
    } finally {
      await clear("kognic-credentials", name);
    }
  },
  NEEDS,
);

import assert from "node:assert/strict";
import { Credentials, KognicAuthError } from "../../mod.ts";
import { resolveCredentials } from "../../src/core.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import { test } from "../support/harness.ts";
import { CANARY_SECRET, credentialsDocument, thrown } from "../support/fixtures.ts";

const file = JSON.stringify(credentialsDocument());
const other = JSON.stringify(credentialsDocument({ clientId: "from-env-file" }));

test("resolve: explicit clientId and clientSecret come first", async () => {
  const runtime = memoryRuntime({
    env: { KOGNIC_CLIENT_ID: "env", KOGNIC_CLIENT_SECRET: "env-secret" },
  });
  const { credentials, source } = await resolveCredentials({
    clientId: "explicit",
    clientSecret: CANARY_SECRET,
    runtime,
  });
  assert.equal(credentials.clientId, "explicit");
  assert.equal(source, "clientId and clientSecret options");
});

test("resolve: auth as a path, with ~ expanded, beats the environment", async () => {
  const runtime = memoryRuntime({
    home: "/home/robot",
    env: { KOGNIC_CREDENTIALS: "/etc/other.json" },
    files: { "/home/robot/.config/kognic/credentials.json": file, "/etc/other.json": other },
  });
  const { credentials, source } = await resolveCredentials({
    auth: "~/.config/kognic/credentials.json",
    runtime,
  });
  assert.equal(credentials.clientId, "test-client-id");
  assert.equal(source, 'credentials file "~/.config/kognic/credentials.json"');
});

test("resolve: auth as a pair and as an object", async () => {
  const runtime = memoryRuntime();
  const pair = await resolveCredentials({ auth: ["pair-id", CANARY_SECRET], runtime });
  assert.equal(pair.credentials.clientId, "pair-id");
  assert.equal(pair.credentials.userId, 0);
  const object = await resolveCredentials({
    auth: {
      clientId: "obj-id",
      clientSecret: CANARY_SECRET,
      email: "",
      userId: 0,
      issuer: "",
      scopes: ["a"],
    },
    runtime,
  });
  assert.equal(object.credentials.clientId, "obj-id");
  assert.deepEqual(object.credentials.scopes, ["a"]);
  // As in Python, a plain object is a parsed credentials file: the file's keys are required.
  const partial = await thrown(() =>
    resolveCredentials({ auth: { clientId: "obj-id", clientSecret: CANARY_SECRET }, runtime })
  );
  assert.equal((partial as KognicAuthError).code, "CREDENTIALS_MISSING_KEY");
  const instance = new Credentials({ clientId: "inst", clientSecret: CANARY_SECRET });
  assert.equal((await resolveCredentials({ auth: instance, runtime })).credentials, instance);
});

test("resolve: KOGNIC_CREDENTIALS beats KOGNIC_CLIENT_ID/SECRET", async () => {
  const runtime = memoryRuntime({
    env: {
      KOGNIC_CREDENTIALS: "/etc/other.json",
      KOGNIC_CLIENT_ID: "env",
      KOGNIC_CLIENT_SECRET: "s",
    },
    files: { "/etc/other.json": other },
  });
  const { credentials, source } = await resolveCredentials({ runtime });
  assert.equal(credentials.clientId, "from-env-file");
  assert.equal(source, 'KOGNIC_CREDENTIALS file "/etc/other.json"');
});

test("resolve: KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET give anonymous credentials", async () => {
  const runtime = memoryRuntime({
    env: { KOGNIC_CLIENT_ID: "env-id", KOGNIC_CLIENT_SECRET: CANARY_SECRET },
  });
  const { credentials } = await resolveCredentials({ runtime });
  assert.deepEqual([credentials.clientId, credentials.email, credentials.userId], [
    "env-id",
    "",
    0,
  ]);
});

test("resolve: the keyring's default profile is the last step", async () => {
  const runtime = memoryRuntime({ keyring: { "kognic-credentials/default": file } });
  const { credentials, source } = await resolveCredentials({ runtime });
  assert.equal(credentials.email, "robot@example.com");
  assert.equal(source, 'keyring profile "default"');
});

test("resolve: keyring://PROFILE reads that profile", async () => {
  const runtime = memoryRuntime({ keyring: { "kognic-credentials/demo": file } });
  const { credentials } = await resolveCredentials({ auth: "keyring://demo", runtime });
  assert.equal(credentials.clientId, "test-client-id");
  const error = await thrown(() => resolveCredentials({ auth: "keyring://prod", runtime }));
  assert.ok(error instanceof KognicAuthError && error.code === "KEYRING_PROFILE_NOT_FOUND");
  assert.match(error.message, /kognic-auth credentials put <file> --env prod/);
});

test("resolve: nothing found lists every source tried", async () => {
  const error = await thrown(() =>
    resolveCredentials({ runtime: memoryRuntime({ env: { KOGNIC_CLIENT_ID: "" } }) })
  );
  assert.ok(error instanceof KognicAuthError);
  assert.equal(error.code, "CREDENTIALS_NOT_FOUND");
  for (
    const source of [
      "auth option",
      "clientId and clientSecret",
      "KOGNIC_CREDENTIALS (not set)",
      "KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET (empty, not set)",
      'keyring profile "default" (no keyring',
    ]
  ) {
    assert.ok(error.message.includes(source), `${source} missing from: ${error.message}`);
  }
});

test("resolve: an empty KOGNIC_CREDENTIALS is treated as unset", async () => {
  const runtime = memoryRuntime({
    env: { KOGNIC_CREDENTIALS: "", KOGNIC_CLIENT_ID: "id", KOGNIC_CLIENT_SECRET: "s3cret" },
  });
  assert.equal((await resolveCredentials({ runtime })).credentials.clientId, "id");
});

test("resolve: a credentials file with a JSON typo names line and column, never the secret", async () => {
  const text = `{"clientId": "id",\n  "clientSecret": "${CANARY_SECRET}" "email": ""}`;
  for (const [body, where] of [[text, "line 2 column 57"], [`\ufeff${text}`, "line 1 column 1"]]) {
    const runtime = memoryRuntime({ files: { "/c/credentials.json": body } });
    const error = await thrown(() => resolveCredentials({ auth: "/c/credentials.json", runtime }));
    assert.equal((error as KognicAuthError).code, "CREDENTIALS_INVALID_JSON");
    assert.ok((error as Error).message.includes(where), (error as Error).message);
    assert.ok(!(error as Error).message.includes(CANARY_SECRET));
  }
});

test("resolve: concurrent resolutions from files, the keyring and the environment each get their own", async () => {
  // The file and keyring readers load on first use: callers that arrive together share the import.
  const document = (clientId: string) => JSON.stringify(credentialsDocument({ clientId }));
  const ids = Array.from({ length: 30 }, (_, i) => `id-${i}`);
  const found = await Promise.all(ids.map((id, i) => {
    const runtime = i % 3 === 0
      ? memoryRuntime({
        env: { KOGNIC_CREDENTIALS: "/c.json" },
        files: { "/c.json": document(id) },
      })
      : i % 3 === 1
      ? memoryRuntime({ keyring: { "kognic-credentials/default": document(id) } })
      : memoryRuntime({ env: { KOGNIC_CLIENT_ID: id, KOGNIC_CLIENT_SECRET: CANARY_SECRET } });
    return resolveCredentials({ runtime }).then(({ credentials }) => credentials.clientId);
  }));
  assert.deepEqual(found, ids);
});

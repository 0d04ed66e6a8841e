// The resolution matrix: Kognic's Python `kognic-auth` (`_resolve_credentials` and the expiry
// check its sessions make) and this project's `resolveCredentials` on the same HOME, files,
// environment and keyring, case by case. All Python cases of one keyring state run in ONE Python
// process (tests/support/oracle_resolve.py). Where Python has a plain bug, the case says so and
// states what this project does instead (docs/python-interop.md lists them).
import assert from "node:assert/strict";
import { resolveCredentials } from "../../src/credentials/resolve.ts";
import { CREDENTIALS_KEYRING_SERVICE } from "../../src/credentials/sources.ts";
import { detectRuntime, type Runtime } from "../../src/runtime/mod.ts";
import { test } from "../support/harness.ts";
import { commandKeyring } from "../../src/runtime/_keyring.ts";
import { repoPath, sandbox } from "../support/cli.ts";
import { runPythonFile } from "../support/oracle.ts";
import { credentialsDocument, thrown } from "../support/fixtures.ts";

type Outcome = { ok: { clientId: string; clientSecret: string; scopes: unknown } } | {
  error: string;
};

interface Case {
  name: string;
  env?: Record<string, string>;
  auth?: unknown;
  authKind?: "tuple" | "value";
  clientId?: string;
  clientSecret?: string;
  /** "stored": the default profile holds credentials; "empty": it does not; "none": no keyring. */
  keyring: "stored" | "empty" | "none";
  /** A deliberate difference: why, and what this project does instead. */
  deliberate?: { why: string; ours: "ok" | "error" };
}

const doc = (overrides: Record<string, unknown> = {}, drop?: string) => {
  const value = credentialsDocument({ clientId: "file-id", ...overrides });
  if (drop) delete value[drop];
  return JSON.stringify(value);
};

/** Credentials files: name (under HOME) and text. */
const FILES: Record<string, string> = {
  "good.json": doc(),
  "good.txt": doc({ clientId: "txt-id" }),
  "good.JSON": doc({ clientId: "upper-id" }),
  "noext": doc({ clientId: "noext-id" }),
  "scopes.json": doc({ scopes: ["api:read", "api:write"] }),
  "scopes-empty.json": doc({ scopes: [] }),
  "scopes-null.json": doc({ scopes: null }),
  "scopes-string.json": doc({ scopes: "api:read api:write" }),
  "user-string.json": doc({ userId: "7" }),
  "user-float.json": doc({ userId: 7.5 }),
  "user-null.json": doc({ userId: null }),
  "email-null.json": doc({ email: null }),
  "issuer-number.json": doc({ issuer: 5 }),
  "id-number.json": doc({ clientId: 123 }),
  "id-empty.json": doc({ clientId: "" }),
  "secret-null.json": doc({ clientSecret: null }),
  "name-number.json": doc({ name: 5 }),
  "extra-keys.json": doc({ extra: { nested: true } }),
  "expired.json": doc({ expires: "2020-01-01T00:00:00Z" }),
  "expired-offset.json": doc({ expires: "2020-01-01T00:00:00+02:00" }),
  "future.json": doc({ expires: "2099-01-01T00:00:00Z" }),
  "future-nanos.json": doc({ expires: "2099-01-01T00:00:00.123456789Z" }),
  "future-naive.json": doc({ expires: "2099-01-01T00:00:00" }),
  "expired-naive.json": doc({ expires: "2020-01-01T00:00:00" }),
  "expires-garbage.json": doc({ expires: "soon" }),
  "expires-number.json": doc({ expires: 1 }),
  "created-garbage.json": doc({ created: "yesterday" }),
  "missing-clientId.json": doc({}, "clientId"),
  "missing-clientSecret.json": doc({}, "clientSecret"),
  "missing-email.json": doc({}, "email"),
  "missing-userId.json": doc({}, "userId"),
  "missing-issuer.json": doc({}, "issuer"),
  "missing-name.json": doc({}, "name"),
  "array.json": "[1, 2]",
  "string.json": '"text"',
  "empty.json": "",
  "typo.json": '{"clientId": "x",\n  "clientSecret": "y" "email": ""}',
  "bom.json": `\ufeff${doc()}`,
  "trailing-comma.json": doc().replace(/}$/, ",}"),
  "dir.json/inner.json": doc(),
};

const GOOD_ENV = { KOGNIC_CLIENT_ID: "env-id", KOGNIC_CLIENT_SECRET: "env-secret" };

function cases(home: string): Case[] {
  const at = (name: string) => `${home}/${name}`;
  const list: Case[] = [];
  // Every file as the auth option and as KOGNIC_CREDENTIALS.
  for (const name of Object.keys(FILES)) {
    list.push({ name: `auth file ${name}`, auth: at(name), keyring: "none" });
    list.push({
      name: `KOGNIC_CREDENTIALS file ${name}`,
      env: { KOGNIC_CREDENTIALS: at(name) },
      keyring: "none",
    });
  }
  for (const name of ["dir.json", "missing.json", "missing.txt"]) {
    list.push({ name: `auth file ${name}`, auth: at(name), keyring: "none" });
    list.push({
      name: `KOGNIC_CREDENTIALS file ${name}`,
      env: { KOGNIC_CREDENTIALS: at(name) },
      keyring: "none",
    });
  }
  // The other auth forms.
  list.push(
    { name: "auth ~/good.json", auth: "~/good.json", keyring: "none" },
    { name: "auth keyring://default stored", auth: "keyring://default", keyring: "stored" },
    { name: "auth keyring://default empty", auth: "keyring://default", keyring: "empty" },
    { name: "auth keyring://default no keyring", auth: "keyring://default", keyring: "none" },
    { name: "auth keyring:// (empty profile)", auth: "keyring://", keyring: "empty" },
    { name: "auth pair", auth: ["pair-id", "pair-secret"], authKind: "tuple", keyring: "none" },
    { name: "auth pair of one", auth: ["pair-id"], authKind: "tuple", keyring: "none" },
    { name: "auth pair of three", auth: ["a", "b", "c"], authKind: "tuple", keyring: "none" },
    {
      name: "auth pair of empty strings",
      auth: ["", ""],
      authKind: "tuple",
      keyring: "none",
      deliberate: { why: "an empty client id or secret cannot authenticate", ours: "error" },
    },
    { name: "auth object full", auth: JSON.parse(doc({ clientId: "obj" })), keyring: "none" },
    {
      name: "auth object with only id and secret",
      auth: { clientId: "obj", clientSecret: "s" },
      keyring: "none",
    },
    {
      name: "auth object with scopes",
      auth: JSON.parse(doc({ clientId: "obj", scopes: ["x"] })),
      keyring: "none",
    },
    {
      name: "auth object expired",
      auth: JSON.parse(doc({ expires: "2001-01-01T00:00:00Z" })),
      keyring: "none",
    },
    {
      name: "explicit clientId and clientSecret",
      clientId: "explicit",
      clientSecret: "s",
      env: GOOD_ENV,
      keyring: "none",
    },
    {
      name: "explicit clientId and clientSecret with auth",
      clientId: "explicit",
      clientSecret: "s",
      auth: at("good.json"),
      keyring: "none",
    },
    {
      name: "lone explicit clientId falls back to env",
      clientId: "explicit",
      env: GOOD_ENV,
      keyring: "none",
    },
    {
      name: "lone explicit clientSecret falls back to env",
      clientSecret: "s",
      env: GOOD_ENV,
      keyring: "none",
    },
    {
      name: "lone explicit clientId with auth",
      clientId: "explicit",
      auth: at("good.json"),
      keyring: "none",
    },
    { name: "lone explicit clientId, nothing else", clientId: "explicit", keyring: "empty" },
  );
  // The environment and the keyring, every combination.
  const credentialsEnv: Record<string, Record<string, string>> = {
    "no KOGNIC_CREDENTIALS": {},
    "KOGNIC_CREDENTIALS empty": { KOGNIC_CREDENTIALS: "" },
    "KOGNIC_CREDENTIALS good": { KOGNIC_CREDENTIALS: at("good.json") },
    "KOGNIC_CREDENTIALS missing": { KOGNIC_CREDENTIALS: at("missing.json") },
  };
  const pairEnv: Record<string, Record<string, string>> = {
    "no pair": {},
    "both": GOOD_ENV,
    "id only": { KOGNIC_CLIENT_ID: "env-id" },
    "secret only": { KOGNIC_CLIENT_SECRET: "env-secret" },
    "id empty": { KOGNIC_CLIENT_ID: "", KOGNIC_CLIENT_SECRET: "env-secret" },
    "both empty": { KOGNIC_CLIENT_ID: "", KOGNIC_CLIENT_SECRET: "" },
  };
  for (const [credentialsName, credentials] of Object.entries(credentialsEnv)) {
    for (const [pairName, pair] of Object.entries(pairEnv)) {
      for (const keyring of ["stored", "empty", "none"] as const) {
        list.push({
          name: `env: ${credentialsName}, ${pairName}, keyring ${keyring}`,
          env: { ...credentials, ...pair },
          keyring,
        });
      }
    }
  }
  return list.map((item) => {
    const deliberate = item.deliberate ??
      DELIBERATE[item.name.replace(/^(auth|KOGNIC_CREDENTIALS) file /, "")];
    return deliberate ? { ...item, deliberate } : item;
  });
}

/** Files where Python has a plain bug, whichever way they are given. */
const DELIBERATE: Record<string, Case["deliberate"]> = {
  "future-naive.json": {
    why: "Python compares a naive expires with an aware now and raises TypeError; " +
      "this project reads a time without zone as UTC",
    ours: "ok",
  },
  "scopes-string.json": {
    why: "Python joins a scopes string character by character; this project reads it as " +
      "the space-separated list of RFC 6749 section 3.3",
    ours: "ok",
  },
  "secret-null.json": {
    why: "Python takes a null clientSecret and sends no secret; this project refuses it",
    ours: "error",
  },
};

const STORED = { clientId: "keyring-id", clientSecret: "keyring-secret" };

/** An outcome for a failure message: the secret never, only whether the two agree on it. */
function summarize(outcome: Outcome, other?: Outcome): string {
  if (!("ok" in outcome)) return JSON.stringify(outcome);
  const same = other && "ok" in other && other.ok.clientSecret === outcome.ok.clientSecret;
  return JSON.stringify({ ok: { ...outcome.ok, clientSecret: same ? "[same]" : "[differs]" } });
}

async function ours(item: Case, base: Runtime, home: string): Promise<Outcome> {
  const env: Record<string, string> = { HOME: home, ...item.env };
  const runtime: Runtime = {
    ...base,
    env: (name) => env[name],
    homeDir: () => home,
    keyring: item.keyring === "none" ? undefined : base.keyring,
  };
  try {
    const { credentials } = await resolveCredentials({
      runtime,
      auth: item.auth as never,
      clientId: item.clientId,
      clientSecret: item.clientSecret,
    });
    return {
      ok: {
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
        scopes: credentials.scopes ?? [],
      },
    };
  } catch (error) {
    return { error: (error as { code?: string }).code ?? String(error) };
  }
}

/** Python's outcome in the same shape: numbers as their text, scopes null as none. */
function normalize(outcome: Outcome): Outcome {
  if (!("ok" in outcome)) return { error: "error" };
  const text = (value: unknown) => typeof value === "number" ? String(value) : value as string;
  const { clientId, clientSecret, scopes } = outcome.ok;
  return {
    ok: {
      clientId: text(clientId),
      clientSecret: text(clientSecret),
      scopes: scopes === "None" ? [] : scopes,
    },
  };
}

test(
  "interop: the resolution matrix agrees with Python's resolve_credentials, case by case",
  async () => {
    const box = await sandbox({ keyring: true });
    const base = await detectRuntime();
    const keyring = base.keyring!;
    try {
      for (const [name, text] of Object.entries(FILES)) await box.write(name, text);
      const all = cases(box.home);
      assert.ok(all.length >= 100, `${all.length} cases`);
      const differences: string[] = [];
      let compared = 0;
      for (const state of ["stored", "empty", "none"] as const) {
        const batch = all.filter((item) => item.keyring === state);
        if (state === "stored") {
          await keyring.set(
            CREDENTIALS_KEYRING_SERVICE,
            "default",
            doc({ ...STORED, scopes: ["kr:scope"] }),
          );
        } else await keyring.delete(CREDENTIALS_KEYRING_SERVICE, "default");
        const ran = await runPythonFile(repoPath("tests/support/oracle_resolve.py"), {
          env: { PATH: box.env.PATH, HOME: box.home },
          keyring: true,
          stdin: JSON.stringify({
            cases: batch.map((item) => ({ ...item, keyring: item.keyring !== "none" })),
          }),
        });
        assert.equal(ran.code, 0, ran.stderr);
        const python: Outcome[] = JSON.parse(ran.stdout);
        for (const [index, item] of batch.entries()) {
          const mine = await ours(item, base, box.home);
          const theirs = normalize(python[index]);
          const mineShape = "ok" in mine ? mine : { error: "error" };
          compared++;
          if (item.deliberate) {
            assert.notDeepEqual(
              mineShape,
              theirs,
              `${item.name}: no longer differs; drop the note`,
            );
            assert.equal(
              "ok" in mine ? "ok" : "error",
              item.deliberate.ours,
              `${item.name}: ${summarize(mine)}`,
            );
            continue;
          }
          if (JSON.stringify(mineShape) !== JSON.stringify(theirs)) {
            differences.push(
              `${item.name}: python ${summarize(python[index])}, ours ${summarize(mine)}`,
            );
          }
        }
      }
      assert.ok(compared >= 100);
      assert.deepEqual(differences, [], `${differences.length} of ${compared} cases differ`);
    } finally {
      await keyring.delete(CREDENTIALS_KEYRING_SERVICE, "default").catch(() => {});
      await box.close();
    }
  },
  { needs: ["python", "keyring", "subprocess", "fs"], timeout: 120_000 },
);

test(
  "resolve: a missing keyring says what is missing: no D-Bus session, secret-tool not installed",
  async () => {
    const base = await detectRuntime();
    const noBus: Runtime = { ...base, env: () => undefined, keyring: undefined };
    const first = await thrown(() => resolveCredentials({ runtime: noBus }));
    assert.match(
      (first as Error).message,
      /no D-Bus session \(DBUS_SESSION_BUS_ADDRESS is not set\)/,
    );
    const second = await thrown(() => resolveCredentials({ auth: "keyring://x", runtime: noBus }));
    assert.match((second as Error).message, /no D-Bus session/);
    // A real spawn of a program that is not there (the runtime's own ENOENT).
    const keyring = commandKeyring(
      "linux",
      () => "unix:path=/nowhere",
      (command, args, options) => base.run!(`${command}-not-installed`, args, options),
    );
    const third = await thrown(() =>
      resolveCredentials({ runtime: { ...base, env: () => undefined, keyring } })
    );
    assert.match((third as Error).message, /keyring unavailable: secret-tool is not installed/);
  },
  { needs: ["subprocess"] },
);

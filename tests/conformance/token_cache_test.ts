// The token caches (SPEC §8) in-process: the file store over the memory runtime and the real
// one, the keyring store, the modes, and the TokenProvider's store hook.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Credentials, KognicAuthError, type StoredToken } from "../../mod.ts";
import { TokenProvider } from "../../src/core.ts";
import {
  createTokenStore,
  defaultTokenCachePath,
  fileTokenStore,
  keyringTokenStore,
} from "../../src/stores/mod.ts";
import { FileTokenStore } from "../../src/stores/file.ts";
import { KeyringTokenStore } from "../../src/stores/keyring.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import { detectRuntime } from "../../src/runtime/mod.ts";
import { test } from "../support/harness.ts";
import { FakeClock } from "../support/clock.ts";
import { createKognicServer } from "../support/kognic_server.ts";
import {
  assertNoSecrets,
  AUTH_HOST,
  CANARY_SECRET,
  TEST_CLIENT_ID,
  thrown,
} from "../support/fixtures.ts";

const PATH = "/home/user/.cache/kognic-auth/tokens.json";
const NOW = Date.UTC(2026, 0, 1);

function token(name: string, expiresAt = NOW / 1000 + 3600): StoredToken {
  return { access_token: name, token_type: "Bearer", expires_in: 3600, expires_at: expiresAt };
}

test("token cache: the file lives under XDG_CACHE_HOME or ~/.cache", () => {
  assert.equal(defaultTokenCachePath(memoryRuntime()), PATH);
  assert.equal(
    defaultTokenCachePath(memoryRuntime({ env: { XDG_CACHE_HOME: "/c/" } })),
    "/c/kognic-auth/tokens.json",
  );
});

test("token cache: the file store keeps foreign entries and uses a token until 30 s before expiry", async () => {
  const files: Record<string, string> = {
    [PATH]: JSON.stringify({ "https://other:id": { access_token: "foreign", extra: [1] } }),
  };
  let now = NOW;
  const store = fileTokenStore({ runtime: memoryRuntime({ files }), clock: { now: () => now } });
  await store.save("k", token("mine"));
  const saved = JSON.parse(files[PATH]);
  assert.deepEqual(saved, {
    "https://other:id": { access_token: "foreign", extra: [1] },
    k: token("mine"),
  });
  assert.equal(files[PATH], JSON.stringify(saved, null, 2));
  assert.equal((await store.load("k"))?.access_token, "mine");
  assert.equal(await store.load("https://other:id"), undefined, "no expires_at: not usable");
  now = NOW + (3600 - 31) * 1000;
  assert.equal((await store.load("k"))?.access_token, "mine");
  now = NOW + (3600 - 30) * 1000;
  assert.equal(await store.load("k"), undefined);
  await store.delete("k");
  assert.deepEqual(Object.keys(JSON.parse(files[PATH])), ["https://other:id"]);
  assert.deepEqual(Object.keys(files), [PATH], "no temporary or lock file left");
});

test("token cache: a corrupt or non-object file reads as empty and is replaced", async () => {
  for (const text of ["{corrupt", "[1, 2]", "null", ""]) {
    const files: Record<string, string> = { [PATH]: text };
    const store = fileTokenStore({ runtime: memoryRuntime({ files }), clock: { now: () => NOW } });
    assert.equal(await store.load("k"), undefined);
    await store.save("k", token("t"));
    assert.deepEqual(JSON.parse(files[PATH]), { k: token("t") });
  }
});

test("token cache: concurrent saves through the lock lose no entry, and a stale lock is broken", async () => {
  const files: Record<string, string> = {};
  const runtime = memoryRuntime({ files });
  const stores = Array.from({ length: 12 }, () => fileTokenStore({ runtime }));
  await Promise.all(stores.map((store, index) => store.save(`key-${index}`, token(`t${index}`))));
  assert.equal(Object.keys(JSON.parse(files[PATH])).length, 12);
  files[`${PATH}.lock`] = "left by a dead process";
  await fileTokenStore({ runtime, lockTimeout: 20 }).save("late", token("late"));
  assert.ok("late" in JSON.parse(files[PATH]));
  assert.deepEqual(Object.keys(files), [PATH]);
});

test("token cache: the real adapter writes the file atomically with mode 0600", async () => {
  const runtime = await detectRuntime();
  const dir = await mkdtemp(join(tmpdir(), "kognic-cache-"));
  try {
    const path = join(dir, "nested", "tokens.json");
    const store = fileTokenStore({ runtime, path });
    await store.save("a", token("first", Date.now() / 1000 + 3600));
    await writeFile(`${path}.unrelated`, "x");
    await Promise.all(
      ["b", "c", "d"].map((key) =>
        fileTokenStore({ runtime, path }).save(key, token(key, Date.now() / 1000 + 3600))
      ),
    );
    const saved = JSON.parse(await readFile(path, "utf8"));
    assert.deepEqual(Object.keys(saved).sort(), ["a", "b", "c", "d"]);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await store.load("a"))?.access_token, "first");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, { needs: ["fs"] });

test("token cache: the keyring store uses service kognic-auth and the cache key", async () => {
  const entries: Record<string, string> = {};
  const store = keyringTokenStore(memoryRuntime({ keyring: entries }).keyring, {
    now: () => NOW,
  });
  await store.save("https://auth.app.kognic.com:id", token("kt"));
  assert.deepEqual(Object.keys(entries), ["kognic-auth/https://auth.app.kognic.com:id"]);
  assert.equal((await store.load("https://auth.app.kognic.com:id"))?.access_token, "kt");
  entries["kognic-auth/broken"] = "{not json";
  assert.equal(await store.load("broken"), undefined);
  await store.delete("https://auth.app.kognic.com:id");
  assert.equal(await store.load("https://auth.app.kognic.com:id"), undefined);
  const error = await thrown(() => keyringTokenStore(undefined));
  assert.equal((error as { code?: string }).code, "KEYRING_UNAVAILABLE");
});

test("token cache: modes auto, keyring, file and none", async () => {
  const plain = memoryRuntime();
  const withKeyring = memoryRuntime({ keyring: {} });
  assert.equal(await createTokenStore("none", { runtime: plain }), undefined);
  assert.ok(await createTokenStore("file", { runtime: withKeyring }) instanceof FileTokenStore);
  assert.ok(await createTokenStore("auto", { runtime: plain }) instanceof FileTokenStore);
  assert.ok(
    await createTokenStore("keyring", { runtime: withKeyring }) instanceof KeyringTokenStore,
  );
  const error = await thrown(() => createTokenStore("keyring", { runtime: plain }));
  assert.equal((error as { code?: string }).code, "KEYRING_UNAVAILABLE");

  // auto with a keyring that fails falls back to the file.
  const files: Record<string, string> = {};
  const broken = memoryRuntime({ files, keyring: {} });
  const failing = {
    get: () => Promise.reject(new Error("no secret service")),
    set: () => Promise.reject(new Error("no secret service")),
    delete: () => Promise.reject(new Error("no secret service")),
  };
  const store = await createTokenStore("auto", {
    runtime: { ...broken, keyring: failing },
    clock: { now: () => NOW },
  });
  await store!.save("k", token("via-file"));
  assert.equal((await store!.load("k"))?.access_token, "via-file");
  assert.ok(PATH in files);
});

test("token cache: a TokenProvider with the file store shares its token with the next one", async () => {
  const clock = new FakeClock(NOW);
  const server = createKognicServer({ now: () => clock.now() });
  const files: Record<string, string> = {};
  const runtime = memoryRuntime({ files });
  const provider = () =>
    new TokenProvider({
      credentials: new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
      authHost: AUTH_HOST,
      scopes: ["api:read"],
      fetch: server.fetch as typeof fetch,
      clock,
      store: fileTokenStore({ runtime, clock }),
    });
  const first = await provider().getToken();
  const second = await provider().getToken();
  assert.equal(second, first);
  assert.equal(server.tokenRequests.length, 1);
  const [key] = Object.keys(JSON.parse(files[PATH]));
  assert.match(key, new RegExp(`^${AUTH_HOST}:${TEST_CLIENT_ID}:s-[0-9a-f]{12}$`));
  assert.ok(!files[PATH].includes(CANARY_SECRET));
});

test("token cache: a relative path is written beside the working directory, not made a directory", async () => {
  const files: Record<string, string> = {};
  const made: string[] = [];
  const runtime = {
    ...memoryRuntime({ files }),
    mkdir: (path: string) => (made.push(path), Promise.resolve()),
  };
  await fileTokenStore({ path: "tokens.json", runtime, clock: { now: () => NOW } }).save(
    "k",
    token("t"),
  );
  assert.deepEqual(made, ["."]);
  assert.equal(JSON.parse(files["tokens.json"]).k.access_token, "t");
});

test("token cache: a file that cannot be read, or a lock that cannot be taken, is never overwritten", async () => {
  const files: Record<string, string> = { [PATH]: JSON.stringify({ other: token("theirs") }) };
  const base = memoryRuntime({ files });
  const unreadable = {
    ...base,
    readTextFile: (path: string) =>
      path === PATH
        ? Promise.reject(Object.assign(new Error("denied"), { code: "EACCES" }))
        : base.readTextFile!(path),
  };
  await assert.rejects(
    fileTokenStore({ path: PATH, runtime: unreadable }).save("k", token("mine")),
    /denied|EACCES/,
  );
  const noLock = {
    ...base,
    writeTextFile: (path: string, text: string, options?: { createNew?: boolean }) =>
      path.endsWith(".lock")
        ? Promise.reject(Object.assign(new Error("denied"), { code: "EPERM" }))
        : base.writeTextFile!(path, text, options),
  };
  await assert.rejects(
    fileTokenStore({ path: PATH, runtime: noLock }).save("k", token("mine")),
    /denied|EPERM|lock/,
  );
  assert.deepEqual(Object.keys(JSON.parse(files[PATH])), ["other"], "the other entry survived");
});

test("token cache: in auto mode a token the keyring refused is found in the file", async () => {
  const runtime = {
    ...memoryRuntime(),
    keyring: {
      get: () => Promise.resolve(undefined),
      set: () => Promise.reject(new Error("keyring locked")),
      delete: () => Promise.resolve(false),
    },
  };
  const store = await createTokenStore("auto", { runtime, clock: { now: () => NOW } });
  await store!.save("k", token("t"));
  assert.equal((await store!.load("k"))?.access_token, "t");
});

test("token cache: a stored token without expires_at is not taken, and a corrupt KV entry is no entry", async () => {
  const { kvTokenStore } = await import("../../src/stores/kv.ts");
  const kv = kvTokenStore({
    get: () => Promise.resolve(`{"access_token": "${CANARY_SECRET}`),
    put: () => Promise.resolve(),
  });
  assert.equal(await kv.load("k"), undefined);
  const clock = new FakeClock(NOW);
  const server = createKognicServer({ now: () => clock.now() });
  const store = {
    load: () => Promise.resolve({ access_token: "forever", token_type: "Bearer" } as StoredToken),
    save: () => Promise.resolve(),
  };
  const provider = new TokenProvider({
    credentials: new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
    authHost: AUTH_HOST,
    fetch: server.fetch as typeof fetch,
    clock,
    store,
  });
  assert.equal(await provider.getToken(), server.issuedTokens[0]);
});

test("token cache: a keychain tool's error never shows the secret it was given", async () => {
  const { commandKeyring } = await import("../../src/runtime/_keyring.ts");
  const hex = Array.from(
    new TextEncoder().encode(CANARY_SECRET),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const run = () =>
    Promise.resolve({ code: 1, stdout: "", stderr: `security: unknown command "${hex}"\n` });
  const keychain = commandKeyring("darwin", () => undefined, run)!;
  const error = await thrown(() => keychain.set("kognic-auth", "k", CANARY_SECRET));
  assertNoSecrets(error, [hex, CANARY_SECRET]);
  const long = await thrown(() => keychain.set("kognic-auth", "k", CANARY_SECRET.repeat(100)));
  assert.match(String(long), /too long/);
});

test("token cache: a lease file its owner left empty is broken once the lease's time has passed", async () => {
  const files: Record<string, string> = {};
  const store = fileTokenStore({ runtime: memoryRuntime({ files }) });
  assert.equal(await store.lease("k", "dead", 60_000), true);
  const file = Object.keys(files).find((name) => name.endsWith(".lease"))!;
  // The owner died between creating the file and writing into it.
  files[file] = "";
  assert.equal(await store.lease("k", "b", 50), false, "maybe being written: not taken at once");
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(await store.lease("k", "b", 50), true, "still empty a lease's time later: broken");
  await store.release("k", "b");
  assert.deepEqual(Object.keys(files).filter((name) => name.endsWith(".lease")), []);
});

test("token cache: two stores that find the same lease file stale do not both take the lease", async () => {
  const files: Record<string, string> = {};
  const shared = memoryRuntime({ files });
  // B stops right after it read the stale lease, until A has broken it and taken its own.
  let resume!: () => void;
  const resumed = new Promise<void>((resolve) => resume = resolve);
  let read!: () => void;
  const readStale = new Promise<void>((resolve) => read = resolve);
  const paused = {
    ...shared,
    readTextFile: async (path: string) => {
      const text = await shared.readTextFile!(path);
      if (path.endsWith(".lease")) {
        read();
        await resumed;
      }
      return text;
    },
  };
  const a = fileTokenStore({ runtime: shared });
  const b = fileTokenStore({ runtime: paused });
  assert.equal(await a.lease("k", "dead", 1), true);
  await new Promise((resolve) => setTimeout(resolve, 10));
  const byB = b.lease("k", "b", 60_000);
  await readStale;
  assert.equal(await a.lease("k", "a", 60_000), true, "A breaks the stale lease and takes it");
  resume();
  assert.equal(await byB, false, "B, which read the stale lease before, leaves A's alone");
  const file = Object.keys(files).find((name) => name.endsWith(".lease"))!;
  assert.match(files[file], / a$/);
});

test("token cache: the file store's lock and lease run on the injected clock, and a failed write is a TOKEN_STORE_FAILED with its cause", async () => {
  const files: Record<string, string> = {};
  const runtime = memoryRuntime({ files });
  const clock = new FakeClock(NOW);
  const store = fileTokenStore({ runtime, clock });
  // A lock left by a dead process is waited for by the clock's sleep, then broken.
  files[`${PATH}.lock`] = "left by a dead process";
  const started = Date.now();
  await store.save("k", token("t"));
  assert.ok(Date.now() - started < 1_000, "no real waiting");
  assert.ok(clock.sleeps.length > 0 && clock.sleeps.every((ms) => ms >= 0 && ms <= 50));
  assert.ok(clock.now() - NOW >= 2_000, "broken after the lock timeout of the clock's time");
  assert.equal(JSON.parse(files[PATH]).k.access_token, "t");
  // The lease holds until the clock's time plus its time to live.
  const at = clock.now();
  assert.equal(await store.lease("k", "a", 10_000), true);
  const lease = Object.keys(files).find((name) => name.endsWith(".lease"))!;
  assert.equal(files[lease], `${at + 10_000} a`);
  const other = fileTokenStore({ runtime, clock });
  assert.equal(await other.lease("k", "b", 10_000), false);
  clock.advance(10_001);
  assert.equal(await other.lease("k", "b", 10_000), true, "past its time by the clock: broken");
  // The runtime's own error is the cause.
  const denied = Object.assign(new Error("denied"), { code: "EACCES" });
  const failing = fileTokenStore({
    runtime: { ...runtime, rename: () => Promise.reject(denied) },
    clock,
  });
  const error = await thrown(() => failing.save("k2", token("t2")));
  assert.ok(error instanceof KognicAuthError);
  assert.equal(error.code, "TOKEN_STORE_FAILED");
  assert.equal(error.cause, denied);
  assert.match(error.message, /^Could not write the token cache ".*tokens\.json": denied$/);
  assert.deepEqual(Object.keys(JSON.parse(files[PATH])), ["k"], "the file is as it was");
  assert.deepEqual(Object.keys(files).filter((name) => name.endsWith(".tmp")), []);
});

// Credentials that expire and rotate: warned of from 14 days before `expires` (once a day, an
// error from 3 days), and picked up without a restart when the file, the Kubernetes secret
// volume or the keyring profile they came from holds new ones; a revoked secret costs one read
// of the source, not a request storm.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ClientEvent,
  createClient,
  KognicAuthError,
  type KognicClient,
  type Logger,
  TokenError,
} from "../../mod.ts";
import { detectRuntime, type Runtime } from "../../src/runtime/mod.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import { test } from "../support/harness.ts";
import { FakeClock } from "../support/clock.ts";
import { createKognicServer, type KognicServer } from "../support/kognic_server.ts";
import {
  API_BASE,
  assertNoSecrets,
  AUTH_HOST,
  CANARY_SECRET,
  credentialsDocument,
  TEST_CLIENT_ID,
  thrown,
} from "../support/fixtures.ts";
import { runProgram, sandbox } from "../support/cli.ts";
import { serve } from "../support/serve.ts";
import { runPythonCli } from "../support/oracle.ts";

const FS = { needs: ["fs"] as const, timeout: 30_000 };
/** The rotated client: another id and a longer secret (the canary in it, for the leak scans). */
const NEW_ID = "test-client-id-rotated";
const NEW_SECRET = `${CANARY_SECRET}-rotated-2`;
const DAY = 86_400_000;

function document(clientId: string, clientSecret: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify(credentialsDocument({ clientId, clientSecret, ...extra }));
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (message) => lines.push(`debug ${message}`),
    info: (message) => lines.push(`info ${message}`),
    warn: (message) => lines.push(`warn ${message}`),
    error: (message) => lines.push(`error ${message}`),
  };
}

/** A runtime that counts the reads of credentials files. */
function counting(runtime: Runtime): Runtime & { reads: number } {
  const counted = Object.create(runtime) as Runtime & { reads: number };
  counted.reads = 0;
  counted.readTextFile = (path) => {
    counted.reads++;
    return runtime.readTextFile!(path);
  };
  return counted;
}

async function tempDir(): Promise<string> {
  return await mkdtemp(join(tmpdir(), "kognic-rotation-"));
}

/** A server and a client of `auth` on one fake clock, tokens living 60 s. */
async function world(auth: string, runtime: Runtime, extra: Record<string, unknown> = {}) {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now(), tokenLifetime: 60 });
  const events: ClientEvent[] = [];
  const client = await createClient({
    auth,
    runtime,
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    fetch: server.fetch as typeof fetch,
    clock,
    logger: recordingLogger(),
    onEvent: (event) => events.push(event),
    ...extra,
  });
  return { clock, server, client, events };
}

/**
 * Rounds of `width` concurrent calls, 15 s apart (a token lives 60 s); `between(round)` runs
 * before each round. Returns each call's outcome by round: the client id it ran as, or the error.
 */
async function stream(
  client: KognicClient,
  clock: FakeClock,
  rounds: number,
  between: (round: number) => Promise<void>,
  width = 4,
): Promise<(string | Error)[][]> {
  const outcomes: (string | Error)[][] = [];
  for (let round = 0; round < rounds; round++) {
    await between(round);
    outcomes.push(
      await Promise.all(
        Array.from({ length: width }, () =>
          client.get<{ clientId: string }>("/v1/whoami").then(
            (whoami) => whoami.clientId,
            (error: Error) => error,
          )),
      ),
    );
    clock.advance(15_000);
  }
  return outcomes;
}

function secretsOf(server: KognicServer): string[] {
  return server.tokenRequests.map((request) =>
    new URLSearchParams(request.body).get("client_secret") ?? ""
  );
}

test(
  "rotation: a file rewritten as soon as createClient returns is read again at the first request",
  async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "credentials.json");
      await writeFile(path, document(TEST_CLIENT_ID, CANARY_SECRET));
      const { server, client, events } = await world(path, await detectRuntime());
      // Synchronously, before any other task: the version createClient took is the old file's.
      writeFileSync(path, document(NEW_ID, NEW_SECRET));
      server.rotate(NEW_ID, NEW_SECRET);
      assert.equal((await client.get<{ clientId: string }>("/v1/whoami")).clientId, NEW_ID);
      assert.deepEqual(secretsOf(server), [NEW_SECRET], "the old secret is never sent");
      assert.ok(events.some((event) => event.type === "credentials_rotated"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  FS,
);

test(
  "rotation: a secret rotated at the server and then in the file mid-stream fails no call after the file changed",
  async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "credentials.json");
      await writeFile(path, document(TEST_CLIENT_ID, CANARY_SECRET));
      const { clock, server, client, events } = await world(path, await detectRuntime());
      const keyBefore = await client.provider.cacheKey();
      const outcomes = await stream(client, clock, 16, async (round) => {
        if (round === 6) server.rotate(NEW_ID, NEW_SECRET);
        // The file changes three rounds (45 s) later: meanwhile the old token expires.
        if (round === 9) await writeFile(path, document(NEW_ID, NEW_SECRET));
      });
      const failedAfter = outcomes.slice(9).flat().filter((outcome) => outcome instanceof Error);
      assert.deepEqual(failedAfter, [], "no call fails after the file changed");
      assert.deepEqual(outcomes.slice(0, 6).flat(), Array(24).fill(TEST_CLIENT_ID));
      assert.deepEqual(outcomes.slice(9).flat(), Array(28).fill(NEW_ID));
      // Between the two changes: the old token serves round 6, then calls fail with the clear
      // error (the file, read again, holds the refused secret).
      assert.deepEqual(outcomes[6], Array(4).fill(TEST_CLIENT_ID));
      for (const outcome of outcomes.slice(7, 9).flat()) {
        assert.ok(outcome instanceof KognicAuthError, String(outcome));
        assert.equal(outcome.code, "CREDENTIALS_REFUSED");
        assertNoSecrets(outcome, [CANARY_SECRET, NEW_SECRET]);
      }
      // The new client id is a new cache key; the old secret is never sent after the change.
      assert.equal(await client.provider.cacheKey(), `${AUTH_HOST}:${NEW_ID}`);
      assert.notEqual(keyBefore, await client.provider.cacheKey());
      const secrets = secretsOf(server);
      assert.equal(secrets.at(-1), NEW_SECRET);
      assert.ok(secrets.lastIndexOf(CANARY_SECRET) < secrets.indexOf(NEW_SECRET));
      assert.ok(
        events.some((event) =>
          event.type === "credentials_rotated" && event.clientId === NEW_ID &&
          event.source === `credentials file ${JSON.stringify(path)}`
        ),
      );
      // A client built from the file now shares the rotated provider; one built from the old
      // pair does not get the new token, nor the old one served as the new client's.
      const later = await createClient({
        auth: path,
        runtime: await detectRuntime(),
        authHost: AUTH_HOST,
        baseUrl: API_BASE,
        fetch: server.fetch as typeof fetch,
        clock,
      });
      const requests = server.tokenRequests.length;
      assert.equal((await later.get<{ clientId: string }>("/v1/whoami")).clientId, NEW_ID);
      assert.equal(server.tokenRequests.length, requests, "the rotated token is shared");
      const old = await createClient({
        auth: [TEST_CLIENT_ID, CANARY_SECRET],
        runtime: memoryRuntime(),
        authHost: AUTH_HOST,
        baseUrl: API_BASE,
        fetch: server.fetch as typeof fetch,
        clock,
      });
      assert.notEqual(old.provider, client.provider);
      const error = await thrown(() => old.get("/v1/whoami"));
      assert.ok(error instanceof TokenError && error.oauthError === "invalid_client");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  FS,
);

test(
  "rotation: a Kubernetes secret volume replaced through its ..data symlink is picked up at the next token request",
  async () => {
    const dir = await tempDir();
    try {
      // As the kubelet lays out a secret volume: each version in a timestamped directory,
      // `..data` a link to the current one, the file a link through `..data`.
      const version = async (name: string, text: string) => {
        await mkdir(join(dir, name));
        await writeFile(join(dir, name, "credentials.json"), text);
      };
      await version("..2026_01_01_00_00_00.1", document(TEST_CLIENT_ID, CANARY_SECRET));
      await symlink("..2026_01_01_00_00_00.1", join(dir, "..data"));
      await symlink("..data/credentials.json", join(dir, "credentials.json"));
      const path = join(dir, "credentials.json");
      const runtime = counting(await detectRuntime());
      const { clock, server, client } = await world(path, runtime);
      const outcomes = await stream(client, clock, 10, async (round) => {
        if (round !== 4) return;
        server.rotate(NEW_ID, NEW_SECRET);
        // The atomic swap: a new directory, a new link renamed over `..data`, the old removed.
        await version("..2026_01_02_00_00_00.2", document(NEW_ID, NEW_SECRET));
        await symlink("..2026_01_02_00_00_00.2", join(dir, "..data_tmp"));
        await rename(join(dir, "..data_tmp"), join(dir, "..data"));
        await rm(join(dir, "..2026_01_01_00_00_00.1"), { recursive: true });
      });
      assert.deepEqual(outcomes.slice(0, 4).flat(), Array(16).fill(TEST_CLIENT_ID));
      // Round 4 is due for a refresh: the swap is seen by the file's version, before it.
      assert.deepEqual(outcomes.slice(4).flat(), Array(24).fill(NEW_ID));
      // Not by a refusal: the old secret was not sent after the swap.
      const secrets = secretsOf(server);
      assert.deepEqual(secrets.slice(0, 2), [CANARY_SECRET, CANARY_SECRET]);
      assert.deepEqual(secrets.slice(2), Array(secrets.length - 2).fill(NEW_SECRET));
      assert.equal(runtime.reads, 2, "read at start and once after the swap");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  FS,
);

test(
  "rotation: a revoked secret costs one read of the file and no request storm, then CREDENTIALS_REFUSED",
  async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "credentials.json");
      await writeFile(path, document(TEST_CLIENT_ID, CANARY_SECRET));
      const runtime = counting(await detectRuntime());
      const { clock, server, client } = await world(path, runtime);
      assert.equal(runtime.reads, 1);
      server.rotate(NEW_ID, NEW_SECRET); // the secret in the file is revoked
      // A burst of calls: one token request, refused; one read of the file, which holds the
      // same credentials; every call gets the clear error.
      const errors = await Promise.all(
        Array.from({ length: 20 }, () => thrown(() => client.get("/v1/whoami"))),
      );
      assert.equal(server.tokenRequests.length, 1);
      assert.equal(runtime.reads, 2);
      for (const error of errors) {
        assert.ok(error instanceof KognicAuthError, String(error));
        assert.equal(error.code, "CREDENTIALS_REFUSED");
        assert.equal(
          error.message,
          `The token endpoint refused the credentials from credentials file ${
            JSON.stringify(path)
          } (client id "${TEST_CLIENT_ID}", invalid_client): credentials file ${
            JSON.stringify(path)
          } was read again and still holds refused credentials; generate new credentials in ` +
            "the Kognic web app and replace them",
        );
        assert.equal(error.source, `credentials file ${JSON.stringify(path)}`);
        assert.ok(error.cause instanceof TokenError);
        assert.equal(error.cause.oauthError, "invalid_client");
        assertNoSecrets(error, [CANARY_SECRET, NEW_SECRET]);
      }
      // Within the backoff: neither a token request nor a read.
      clock.advance(5_000);
      for (let i = 0; i < 10; i++) {
        const error = await thrown(() => client.get("/v1/whoami"));
        assert.equal((error as KognicAuthError).code, "CREDENTIALS_REFUSED");
      }
      assert.equal(server.tokenRequests.length, 1);
      assert.equal(runtime.reads, 2);
      // After it: one token request and one read again, then the backoff doubles.
      clock.advance(5_000);
      await thrown(() => client.get("/v1/whoami"));
      await thrown(() => client.get("/v1/whoami"));
      assert.equal(server.tokenRequests.length, 2);
      assert.equal(runtime.reads, 3);
      clock.advance(10_000);
      await thrown(() => client.get("/v1/whoami"));
      assert.equal(server.tokenRequests.length, 2, "the backoff doubled to 20 s");
      // The file replaced by other credentials, revoked too: read once as changed, one token
      // request with them, and the error: no second read for that refusal.
      await writeFile(path, document("another-revoked-id", `${CANARY_SECRET}-also-revoked`));
      const error = await thrown(() => client.get("/v1/whoami"));
      assert.equal((error as KognicAuthError).code, "CREDENTIALS_REFUSED");
      assert.match((error as Error).message, /client id "another-revoked-id"/);
      assert.equal(server.tokenRequests.length, 3);
      assert.equal(runtime.reads, 4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  FS,
);

test("rotation: KOGNIC_CREDENTIALS is read again after a refusal; variables and options are not", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const files: Record<string, string> = {
    "/etc/kognic/creds.json": document(TEST_CLIENT_ID, CANARY_SECRET),
  };
  const options = {
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    fetch: server.fetch as typeof fetch,
    clock,
  };
  const fromFile = await createClient({
    ...options,
    runtime: memoryRuntime({ env: { KOGNIC_CREDENTIALS: "/etc/kognic/creds.json" }, files }),
  });
  const fromVariables = await createClient({
    ...options,
    runtime: memoryRuntime({
      env: { KOGNIC_CLIENT_ID: TEST_CLIENT_ID, KOGNIC_CLIENT_SECRET: CANARY_SECRET },
    }),
  });
  const fromOptions = await createClient({
    ...options,
    clientId: TEST_CLIENT_ID,
    clientSecret: CANARY_SECRET,
    runtime: memoryRuntime(),
  });
  server.rotate(NEW_ID, NEW_SECRET);
  // Written in place, as an editor would: this runtime cannot tell a file's version, the
  // refusal makes it read the file again.
  files["/etc/kognic/creds.json"] = document(NEW_ID, NEW_SECRET);
  assert.equal((await fromFile.get<{ clientId: string }>("/v1/whoami")).clientId, NEW_ID);
  assert.deepEqual(secretsOf(server), [CANARY_SECRET, NEW_SECRET]);
  for (const client of [fromVariables, fromOptions]) {
    const error = await thrown(() => client.get("/v1/whoami"));
    assert.ok(error instanceof TokenError, String(error));
    assert.equal(error.oauthError, "invalid_client");
  }
});

test("expiry: a warning once a day from 14 days before expires, an error from 3 days, on the injected clock", async () => {
  const clock = new FakeClock(); // 2026-01-01T00:00:00Z
  const server = createKognicServer({ now: () => clock.now() });
  const expires = new Date(clock.now() + 20 * DAY);
  const path = "/home/user/.config/kognic/credentials.json";
  const runtime = memoryRuntime({
    files: { [path]: document(TEST_CLIENT_ID, CANARY_SECRET, { expires: expires.toISOString() }) },
  });
  const logger = recordingLogger();
  const events: ClientEvent[] = [];
  const options = {
    auth: "~/.config/kognic/credentials.json",
    runtime,
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    fetch: server.fetch as typeof fetch,
    clock,
    logger,
  };
  const client = await createClient({ ...options, onEvent: (event) => events.push(event) });
  // A second client of the same file shares the provider: still one line a day. (Not on
  // workerd, where each client has a provider of its own.)
  const workerd = globalThis.navigator?.userAgent === "Cloudflare-Workers";
  const second = workerd ? client : await createClient(options);
  assert.equal(second.provider, client.provider);
  const source = 'credentials file "~/.config/kognic/credentials.json"';
  const lines = (from: number) => logger.lines.slice(from).filter((l) => !l.startsWith("debug"));
  // Hourly calls (a token lives an hour), day by day.
  const day = async () => {
    const from = logger.lines.length;
    for (let hour = 0; hour < 24; hour++) {
      await client.get("/v1/whoami");
      await second.get("/v1/whoami");
      clock.advance(3600_000);
    }
    return lines(from);
  };
  for (let d = 0; d < 6; d++) assert.deepEqual(await day(), [], `day ${d}: 14+ days left`);
  assert.deepEqual(await day(), [
    `warn The credentials from ${source} expire on 2026-01-21 at 00:00:00 UTC, in 14 days: ` +
    "generate new ones in the Kognic web app and replace them",
  ]);
  assert.deepEqual(await day(), [
    `warn The credentials from ${source} expire on 2026-01-21 at 00:00:00 UTC, in 13 days: ` +
    "generate new ones in the Kognic web app and replace them",
  ]);
  for (let d = 8; d < 17; d++) assert.equal((await day()).length, 1);
  assert.deepEqual(await day(), [
    `error The credentials from ${source} expire on 2026-01-21 at 00:00:00 UTC, in 3 days: ` +
    "generate new ones in the Kognic web app and replace them",
  ]);
  // One call on the last day, one after the expiry.
  const once = async () => {
    const from = logger.lines.length;
    await client.get("/v1/whoami");
    return lines(from);
  };
  clock.advance(DAY + 3600_000);
  assert.deepEqual(await once(), [
    `error The credentials from ${source} expire on 2026-01-21 at 00:00:00 UTC, within a day: ` +
    "generate new ones in the Kognic web app and replace them",
  ]);
  assert.deepEqual(await once(), []);
  clock.advance(DAY);
  assert.deepEqual(await once(), [
    `error The credentials from ${source} expired on 2026-01-21 at 00:00:00 UTC: ` +
    "generate new ones in the Kognic web app and replace them",
  ]);
  const expiring = events.filter((event) => event.type === "credentials_expiring");
  assert.equal(expiring.length, 14);
  assert.deepEqual(expiring[0], {
    type: "credentials_expiring",
    source,
    expires,
    daysLeft: 14,
    level: "warning",
  });
  assert.deepEqual(
    expiring.map((event) => event.type === "credentials_expiring" && event.level),
    [...Array(11).fill("warning"), ...Array(3).fill("error")],
  );
  assertNoSecrets(logger.lines);
  assertNoSecrets(events);
});

test(
  "expiry: kognic-auth and kog print the warning on stderr, as an error within 3 days",
  async () => {
    const kognic = createKognicServer();
    const served = await serve(kognic.fetch);
    const box = await sandbox();
    try {
      const soon = new Date(Date.now() + 5 * DAY + 3600_000);
      const sooner = new Date(Date.now() + 2 * DAY + 3600_000);
      const path = await box.write(
        "credentials.json",
        document(TEST_CLIENT_ID, CANARY_SECRET, { expires: soon.toISOString() }),
      );
      const ran = await box.run("kognic-auth", [
        "get-access-token",
        "--server",
        served.url,
        "--credentials",
        path,
        "--token-cache",
        "none",
      ]);
      assert.equal(ran.code, 0, ran.stderr);
      const day = (date: Date) =>
        `${date.toISOString().slice(0, 10)} at ${date.toISOString().slice(11, 19)} UTC`;
      assert.equal(
        ran.stderr,
        `WARNING kognic.auth: The credentials from credentials file ${
          JSON.stringify(path)
        } expire on ${day(soon)}, in 5 days: generate new ones in the Kognic web app and ` +
          "replace them\n",
      );
      await box.write(
        "config/kognic/environments.json",
        JSON.stringify({
          environments: {
            local: { host: "127.0.0.1", auth_server: served.url, credentials: path },
          },
        }),
      );
      await box.write(
        "credentials.json",
        document(TEST_CLIENT_ID, CANARY_SECRET, { expires: sooner.toISOString() }),
      );
      const kog = await box.run("kog", ["get", `${served.url}/v1/whoami`, "--token-cache", "none"]);
      assert.equal(kog.code, 0, kog.stderr);
      assert.equal(
        kog.stderr,
        `ERROR kognic.auth: The credentials from credentials file ${
          JSON.stringify(path)
        } expire on ${day(sooner)}, in 2 days: generate new ones in the Kognic web app and ` +
          "replace them\n",
      );
      assertNoSecrets(ran.stderr + kog.stderr, [CANARY_SECRET, ...kognic.issuedTokens]);
    } finally {
      await served.close();
      await box.close();
    }
  },
  { needs: ["subprocess", "sockets", "fs"], timeout: 60_000 },
);

test(
  "rotation: a keyring profile rotated by the Python tool's credentials put is picked up after the refusal",
  async () => {
    const box = await sandbox({ keyring: true });
    const profile = `rotation-${crypto.randomUUID().slice(0, 8)}`;
    const put = async (name: string, text: string) => {
      const file = await box.write(name, text);
      const ran = await runPythonCli("kognic-auth", {
        env: box.env,
        keyring: true,
        args: ["credentials", "put", file, "--env", profile],
      });
      assert.equal(ran.code, 0, ran.stderr);
    };
    try {
      await put("old.json", document(TEST_CLIENT_ID, CANARY_SECRET));
      const runtime = await detectRuntime();
      const { clock, server, client, events } = await world(`keyring://${profile}`, runtime);
      const outcomes = await stream(client, clock, 10, async (round) => {
        if (round !== 4) return;
        server.rotate(NEW_ID, NEW_SECRET);
        await put("new.json", document(NEW_ID, NEW_SECRET));
      });
      assert.deepEqual(outcomes.slice(0, 4).flat(), Array(16).fill(TEST_CLIENT_ID));
      const after = outcomes.slice(4).flat();
      assert.deepEqual(after.filter((outcome) => outcome instanceof Error), []);
      assert.equal(after.at(-1), NEW_ID);
      // The old secret is refused, then only the new one is sent.
      const secrets = secretsOf(server);
      const first = secrets.indexOf(NEW_SECRET);
      assert.ok(first > 0 && secrets.lastIndexOf(CANARY_SECRET) < first, String(secrets));
      assert.ok(
        events.some((event) =>
          event.type === "credentials_rotated" && event.reason === "refused" &&
          event.source === `keyring profile ${JSON.stringify(profile)}`
        ),
      );
    } finally {
      await runProgram("secret-tool", [
        "clear",
        "service",
        "kognic-credentials",
        "username",
        profile,
      ]);
      await box.close();
    }
  },
  { needs: ["python", "keyring", "subprocess", "fs"], timeout: 120_000 },
);

// A fleet sharing one token store: with the store's lease, one token request per rotation for
// everything that shares it, cold or in the background; faults of the store never fail a call.
// Redis cases run against a private redis-server through every Redis client of the runtime.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Credentials, type StoredToken, type TokenEvent, type TokenStore } from "../../mod.ts";
import { TokenProvider } from "../../src/core.ts";
import { redisTokenStore } from "../../src/stores/redis.ts";
import { repoPath } from "../support/cli.ts";
import { FakeClock } from "../support/clock.ts";
import { test } from "../support/harness.ts";
import { assertNoSecrets, AUTH_HOST, CANARY_SECRET, TEST_CLIENT_ID } from "../support/fixtures.ts";
import { createKognicServer } from "../support/kognic_server.ts";
import { fleetServer, runFleet, startWorker } from "../support/fleet.ts";
import { startRedis } from "../support/redis.ts";
import { redisClients, type RedisConnection } from "../support/redis_clients.ts";

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function providers(
  authHost: string,
  store: TokenStore | undefined,
  count: number,
  options: { scopes?: string[]; timeout?: number } = {},
): TokenProvider[] {
  return Array.from({ length: count }, () =>
    new TokenProvider({
      credentials: new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
      authHost,
      store,
      ...options,
    }));
}

/** Every provider's callers ask at once; the tokens they got. */
function callAll(list: TokenProvider[], callers = 4): Promise<string[]> {
  return Promise.all(list.flatMap((p) => Array.from({ length: callers }, () => p.getToken())));
}

const REDIS = { needs: ["sockets", "redis"] as const, timeout: 60_000 };

test(
  "fleet: providers sharing a Redis make one token request cold and one per rotation, " +
    "through every Redis client of the runtime",
  async () => {
    const redis = await startRedis();
    const { server, served } = await fleetServer({ tokenLifetime: 2, delayMs: 150 });
    try {
      for (const kind of redisClients()) {
        server.reset();
        await redis.command(["FLUSHALL"]);
        const connections: RedisConnection[] = [];
        // Each provider its own connection, as separate processes would have.
        const fleet = [];
        for (let i = 0; i < 8; i++) {
          const connection = await kind.connect(redis.url);
          connections.push(connection);
          fleet.push(...providers(served.url, redisTokenStore(connection.command), 1));
        }
        try {
          const cold = await callAll(fleet);
          assert.equal(server.tokenRequests.length, 1, `${kind.name}: one cold token request`);
          assert.equal(new Set(cold).size, 1, kind.name);
          // Into the refresh window (a 2 s token is refreshed from 1 s on): background refreshes.
          await wait(1_100);
          await callAll(fleet);
          // Past the point where the old token is no longer handed out: all have the new one.
          await wait(500);
          const rotated = await callAll(fleet);
          assert.equal(
            server.tokenRequests.length,
            2,
            `${kind.name}: one token request per rotation`,
          );
          assert.deepEqual(new Set(rotated), new Set([server.issuedTokens[1]]), kind.name);
        } finally {
          for (const connection of connections) await connection.close();
        }
      }
    } finally {
      await served.close();
      await redis.stop();
    }
  },
  REDIS,
);

test(
  "fleet: Redis holds tokens under the prefix, per client and scopes, until they expire, " +
    "never the client secret",
  async () => {
    const redis = await startRedis();
    const { server, served } = await fleetServer({ tokenLifetime: 3600, delayMs: 0 });
    const [kind] = redisClients();
    const connection = await kind.connect(redis.url);
    try {
      // Every command sent, the lease's owner id included, is scanned for the secret.
      const sent: string[][] = [];
      const store = redisTokenStore((args) => {
        sent.push(args);
        return connection.command(args);
      }, { prefix: "tenant-a:" });
      const [plain] = providers(served.url, store, 1);
      const [scoped] = providers(served.url, store, 1, { scopes: ["read"] });
      const tokens = [await plain.getToken(), await scoped.getToken()];
      assert.notEqual(tokens[0], tokens[1]);
      const keys = (await redis.command(["KEYS", "*"]) as string[]).sort();
      assert.deepEqual(
        keys,
        [
          `tenant-a:${await plain.cacheKey()}`,
          `tenant-a:${await scoped.cacheKey()}`,
        ].sort(),
        "the tokens alone, under the prefix; no lease left behind",
      );
      assert.match(keys[1], /:s-[0-9a-f]{12}$/);
      for (const key of keys) {
        const value = await redis.command(["GET", key]) as string;
        assert.ok(!value.includes(CANARY_SECRET), "the client secret is never stored");
        const ttl = await redis.command(["PTTL", key]) as number;
        assert.ok(ttl > 3_500_000 && ttl <= 3_600_000, `expires with the token (${ttl} ms)`);
      }
      assert.equal(server.tokenRequests.length, 2);
      assert.ok(sent.some(([command, , , nx]) => command === "SET" && nx === "NX"), "leased");
      assertNoSecrets(sent, [CANARY_SECRET, btoa(`${TEST_CLIENT_ID}:${CANARY_SECRET}`)]);
    } finally {
      await connection.close();
      await served.close();
      await redis.stop();
    }
  },
  REDIS,
);

test(
  "fleet: a leaseholder killed while it holds the Redis lease blocks the others no longer " +
    "than the lease lives",
  async () => {
    const redis = await startRedis();
    // The first token request (the one the killed process makes) never gets an answer.
    const { served, tokenTimes } = await fleetServer({
      tokenLifetime: 3600,
      delayMs: (n) => n === 1 ? 15_000 : 100,
    });
    const [kind] = redisClients();
    const connection = await kind.connect(redis.url);
    try {
      const holder = startWorker({
        store: "redis",
        location: redis.url,
        authHost: served.url,
        clientId: TEST_CLIENT_ID,
        clientSecret: CANARY_SECRET,
        callers: 1,
        durationMs: 30_000,
        timeout: 1_500,
      });
      await holder.ready;
      holder.child.stdin!.end("go\n");
      // It holds the lease and its token request is out.
      while (!tokenTimes.length) {
        assert.equal(holder.child.exitCode, null, holder.stderr());
        await wait(20);
      }
      holder.child.kill("SIGKILL");
      await holder.result;
      assert.equal((await redis.command(["KEYS", "kognic-auth:lease:*"]) as string[]).length, 1);
      const fleet = [];
      for (let i = 0; i < 4; i++) {
        fleet.push(
          ...providers(served.url, redisTokenStore(connection.command), 1, { timeout: 1_500 }),
        );
      }
      const tokens = await callAll(fleet);
      assert.equal(new Set(tokens).size, 1, "one token for all, once the lease ended");
      assert.equal(tokenTimes.length, 2, "the dead holder's request, then one more");
    } finally {
      await connection.close();
      await served.close();
      await redis.stop();
    }
  },
  { needs: ["sockets", "redis", "subprocess"], timeout: 60_000 },
);

test(
  "fleet: Redis absent at start, restarted, paused or refusing (ACL): no call fails, " +
    "one store_error per failing operation, then one token request for all again",
  async () => {
    const { server, served } = await fleetServer({ tokenLifetime: 2, delayMs: 50 });
    const redis = await startRedis();
    const [kind] = redisClients();
    const connections: RedisConnection[] = [];
    try {
      const fleet: TokenProvider[] = [];
      const events: TokenEvent[][] = [];
      for (let i = 0; i < 4; i++) {
        const connection = await kind.connect(redis.url);
        connections.push(connection);
        const [provider] = providers(served.url, redisTokenStore(connection.command), 1);
        const seen: TokenEvent[] = [];
        events.push(seen);
        // Listeners are held weakly: the array keeps them.
        const listener = (event: TokenEvent) => seen.push(event);
        (seen as unknown as { listener: unknown }).listener = listener;
        provider.subscribe(listener);
        fleet.push(provider);
      }

      // Absent at start: each process asks for itself, and says so once per failing operation.
      await redis.stop();
      for (let round = 0; round < 3; round++) {
        assert.equal((await callAll(fleet)).length, 16);
        await wait(700); // 2 s tokens: rounds fall into refresh windows and past expiry
      }
      assert.ok(server.tokenRequests.length >= 4, "per-process single flight");
      // Once per failing operation for the whole outage, not once per call.
      for (const seen of events) {
        const operations = seen.flatMap((event) =>
          event.type === "store_error" ? [event.operation] : []
        );
        assert.ok(operations.length >= 1, "the outage is reported");
        assert.equal(new Set(operations).size, operations.length, operations.join());
      }

      // Back: the next rotation is one token request for all.
      await redis.start();
      await wait(2_100); // every token expired; the clients reconnected
      const before = server.tokenRequests.length;
      const back = await callAll(fleet);
      assert.equal(new Set(back).size, 1);
      assert.equal(server.tokenRequests.length - before, 1, "shared again");

      // Paused (a slow engine): the store's calls time out, the calls do not fail.
      await wait(2_100);
      await redis.command(["CLIENT", "PAUSE", "5000", "ALL"]);
      assert.equal((await callAll(fleet)).length, 16);
      await redis.command(["CLIENT", "UNPAUSE"]);

      // Refusing (an ACL that denies the keys): calls still succeed; messages name no secret.
      await redis.command(["ACL", "SETUSER", "fleet", "on", ">fleet-pass", "~other:*", "+@all"]);
      const refused = await kind.connect(redis.url.replace("//", "//fleet:fleet-pass@"));
      connections.push(refused);
      const [alone] = providers(served.url, redisTokenStore(refused.command), 1);
      const seen: TokenEvent[] = [];
      const listener = (event: TokenEvent) => seen.push(event);
      alone.subscribe(listener);
      const token = await alone.getToken();
      const failures = seen.filter((event) => event.type === "store_error");
      assert.ok(failures.length >= 1, "the refusal is reported");
      assert.match(JSON.stringify(failures), /NOPERM/);
      assertNoSecrets(failures, [CANARY_SECRET, token, "fleet-pass"]);
    } finally {
      for (const connection of connections) await connection.close();
      await served.close();
      await redis.stop();
    }
  },
  { ...REDIS, timeout: 90_000 },
);

test(
  "fleet: processes started together on one Redis make one token request",
  async () => {
    const redis = await startRedis();
    const { server, served } = await fleetServer({ tokenLifetime: 3600, delayMs: 200 });
    try {
      const { results, stderr } = await runFleet(served.url, {
        processes: 6,
        durationMs: 300,
        store: "redis",
        location: redis.url,
      });
      assert.ok(results.every(Boolean), stderr.join("\n"));
      assert.deepEqual(results.flatMap((r) => r!.failures), []);
      assert.equal(server.tokenRequests.length, 1);
    } finally {
      await served.close();
      await redis.stop();
    }
  },
  { needs: ["sockets", "redis", "subprocess"], timeout: 60_000 },
);

const FLEET = { needs: ["sockets", "subprocess", "fs"] as const, timeout: 60_000 };

test(
  "fleet: processes started together on one token cache file make one token request",
  async () => {
    const dir = await mkdtemp(join(tmpdir(), "kognic-fleet-"));
    const { server, served } = await fleetServer({ tokenLifetime: 3600, delayMs: 200 });
    try {
      const { results, stderr } = await runFleet(served.url, {
        processes: 8,
        durationMs: 300,
        store: "file",
        location: join(dir, "tokens.json"),
      });
      assert.ok(results.every(Boolean), stderr.join("\n"));
      assert.deepEqual(results.flatMap((r) => [...r!.failures, ...r!.storeErrors]), []);
      assert.equal(server.tokenRequests.length, 1);
      assert.deepEqual(await readdir(dir), ["tokens.json"], "no lease or lock left behind");
    } finally {
      await served.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
  FLEET,
);

test(
  "fleet: Deno processes started together on one Deno KV database make one token request",
  async () => {
    // Deno KV is Deno's: from every runtime, the fleet is Deno processes on a local database.
    const dir = await mkdtemp(join(tmpdir(), "kognic-fleet-kv-"));
    const { server, served } = await fleetServer({ tokenLifetime: 3600, delayMs: 200 });
    try {
      const { results, stderr } = await runFleet(served.url, {
        processes: 4,
        durationMs: 300,
        store: "deno-kv",
        location: join(dir, "kv.sqlite"),
        runtime: repoPath("node_modules/.bin/deno"),
      });
      assert.ok(results.every(Boolean), stderr.join("\n"));
      assert.deepEqual(results.flatMap((r) => [...r!.failures, ...r!.storeErrors]), []);
      assert.equal(server.tokenRequests.length, 1);
    } finally {
      await served.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
  FLEET,
);

test(
  "fleet: the next leaseholder after one that died having spent the shared refresh token " +
    "asks for client credentials, without a refused refresh first",
  async () => {
    const server = createKognicServer({ tokenLifetime: 3600 });
    const clock = new FakeClock();
    // A store with a lease, in memory, timed by the providers' clock (which their waits move).
    const saved = new Map<string, StoredToken>();
    const leases = new Map<string, { owner: string; until: number }>();
    const store: TokenStore = {
      load: (key) => Promise.resolve(saved.get(key)),
      save: (key, token) => Promise.resolve(void saved.set(key, token)),
      lease(key, owner, ttl) {
        const lease = leases.get(key);
        if (lease && lease.until > clock.now() && lease.owner !== owner) {
          return Promise.resolve(false);
        }
        leases.set(key, { owner, until: clock.now() + ttl });
        return Promise.resolve(true);
      },
      release(key, owner) {
        if (leases.get(key)?.owner === owner) leases.delete(key);
        return Promise.resolve();
      },
    };
    const [first, second] = Array.from({ length: 2 }, () =>
      new TokenProvider({
        credentials: new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
        authHost: AUTH_HOST,
        fetch: server.fetch as typeof fetch,
        clock,
        store,
        timeout: 500,
      }));
    const token = await first.getToken();
    assert.equal(await second.getToken(), token, "taken from the store");
    const key = await second.cacheKey();
    const { refresh_token } = saved.get(key)!;
    assert.ok(refresh_token);
    // Into the refresh window, where the second renews in the background once the lease ends.
    clock.advance(3_600_000 - 45_000);
    // A third process took the lease, spent the shared refresh token and died before it saved.
    leases.set(key, { owner: "dead", until: clock.now() + 200 });
    const spent = await server.fetch(`${AUTH_HOST}/v1/auth/oauth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token,
        client_id: TEST_CLIENT_ID,
        client_secret: CANARY_SECRET,
      }),
    });
    assert.equal(spent.status, 200);
    // The token request's event, after the wait for the dead one's lease (a lease_wait event).
    const renewed = new Promise<TokenEvent>((resolve) =>
      second.subscribe((event) => event.type !== "lease_wait" && resolve(event))
    );
    assert.equal(await second.getToken(), token, "the current token meanwhile");
    const event = await renewed;
    assert.equal(event.type, "token");
    assert.equal(event.type === "token" && event.grant, "client_credentials");
    const grants = server.tokenRequests.map((request) =>
      new URLSearchParams(request.body).get("grant_type")
    );
    assert.deepEqual(
      grants,
      ["client_credentials", "refresh_token", "client_credentials"],
      "the cold request, the dead holder's, then one more",
    );
    assert.notEqual(await second.getToken(), token);
  },
);

test(
  "fleet: a provider waiting on another's lease takes the token the moment the store has it, " +
    "without one more backoff pause",
  async () => {
    const key = `${AUTH_HOST}:${TEST_CLIENT_ID}`;
    const token: StoredToken = {
      access_token: "from-the-leaseholder",
      token_type: "Bearer",
      expires_in: 3600,
      expires_at: Math.floor(Date.now() / 1000) + 3600,
    };
    let loads = 0;
    let timerFired = false;
    const store: TokenStore = {
      // The leaseholder's token shows up at the third look.
      load(stored) {
        assert.equal(stored, key);
        if (++loads < 3) return Promise.resolve(undefined);
        // A timer due at once: it fires before a caller that waits for any timer of its own.
        setTimeout(() => timerFired = true, 0);
        return Promise.resolve(token);
      },
      save: () => Promise.resolve(),
      lease: () => Promise.resolve(false),
      release: () => Promise.resolve(),
    };
    const provider = new TokenProvider({
      credentials: new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET }),
      authHost: AUTH_HOST,
      fetch: () => Promise.reject(new Error("no token request: the leaseholder makes it")),
      store,
    });
    assert.equal(await provider.getToken(), "from-the-leaseholder");
    assert.equal(loads, 3);
    assert.equal(timerFired, false, "served straight from the look that found the token");
  },
);

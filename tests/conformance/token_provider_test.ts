import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Credentials, type StoredToken, type TokenEvent } from "../../mod.ts";
import { TokenProvider } from "../../src/core.ts";
import { FakeClock } from "../support/clock.ts";
import { test } from "../support/harness.ts";
import {
  assertNoSecrets,
  AUTH_HOST,
  CANARY_SECRET,
  TEST_CLIENT_ID,
  thrown,
} from "../support/fixtures.ts";
import { createKognicServer, type KognicServer, TOKEN_CANARY } from "../support/kognic_server.ts";
import { type InternalOptions, RENEWALS } from "../../src/token/types.ts";

const credentials = new Credentials({ clientId: TEST_CLIENT_ID, clientSecret: CANARY_SECRET });

/** A token fetch that can be held back, to observe what callers get meanwhile. */
function gatedFetch(server: KognicServer) {
  let release = () => {};
  let gate: Promise<void> | undefined;
  const fetcher: typeof fetch = async (input, init) => {
    if (gate) await gate;
    return server.fetch(input as Request | URL | string, init);
  };
  return {
    fetch: fetcher,
    hold() {
      gate = new Promise((resolve) => release = resolve);
    },
    release() {
      gate = undefined;
      release();
    },
  };
}

function provider(
  server: KognicServer,
  clock: FakeClock,
  extra: Partial<InternalOptions> = {},
) {
  return new TokenProvider({
    credentials,
    authHost: AUTH_HOST,
    fetch: server.fetch as typeof fetch,
    clock,
    ...extra,
  });
}

/** A token store over a map, and the map. */
function memoryStore() {
  const saved = new Map<string, StoredToken>();
  const store = {
    load: (key: string) => Promise.resolve(saved.get(key)),
    save: (key: string, token: StoredToken) => (saved.set(key, token), Promise.resolve()),
  };
  return { saved, store };
}

const grants = (server: KognicServer) =>
  server.tokenRequests.map((request) => new URLSearchParams(request.body).get("grant_type"));

test("provider: 1,000 concurrent calls on a cold provider make one token request", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const tokens = provider(server, clock);
  const results = await Promise.all(Array.from({ length: 1000 }, () => tokens.getToken()));
  assert.equal(server.tokenRequests.length, 1);
  assert.equal(new Set(results).size, 1);
  assert.equal(results[0], server.issuedTokens[0]);
});

test("provider: 1,000 concurrent calls after expiry make one token request and none gets the old token", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const tokens = provider(server, clock);
  const first = await tokens.getToken();
  clock.advance(3600_000);
  const results = await Promise.all(Array.from({ length: 1000 }, () => tokens.getToken()));
  assert.equal(server.tokenRequests.length, 2);
  assert.deepEqual(new Set(results), new Set([server.issuedTokens[1]]));
  assert.notEqual(results[0], first);
});

test("provider: near expiry, calls get the current token at once while one background refresh runs", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const gate = gatedFetch(server);
  const tokens = provider(server, clock, { fetch: gate.fetch });
  const first = await tokens.getToken();
  clock.advance(3600_000 - 45_000); // inside the 60 s refresh leeway, outside the 30 s margin
  gate.hold();
  const during = await Promise.all(Array.from({ length: 100 }, () => tokens.getToken()));
  assert.deepEqual(new Set(during), new Set([first]), "served the current token without waiting");
  gate.release();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(server.tokenRequests.length, 2, "exactly one background refresh");
  assert.equal(await tokens.getToken(), server.issuedTokens[1]);
});

test("provider: past the expiry margin callers wait for the new token instead of getting the old one", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const gate = gatedFetch(server);
  const tokens = provider(server, clock, { fetch: gate.fetch });
  const first = await tokens.getToken();
  clock.advance(3600_000 - 20_000);
  gate.hold();
  let settled = false;
  const pending = tokens.getToken().then((token) => (settled = true, token));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(settled, false);
  gate.release();
  const second = await pending;
  assert.notEqual(second, first);
});

test("provider: renewal uses the refresh token and falls back to client credentials when it is refused", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const tokens = provider(server, clock);
  await tokens.getToken();
  clock.advance(3600_000);
  await tokens.getToken();
  clock.advance(3600_000);
  server.tokenFaults.push({
    status: 401,
    json: { error: "invalid_token", error_description: "Refresh token expired" },
  });
  const third = await tokens.getToken();
  assert.deepEqual(grants(server), [
    "client_credentials",
    "refresh_token",
    "refresh_token",
    "client_credentials",
  ]);
  assert.equal(third, server.issuedTokens.at(-1));
  // Python's refresh body, in Python's order.
  const refresh = new URLSearchParams(server.tokenRequests[1].body);
  assert.deepEqual([...refresh.keys()], [
    "grant_type",
    "refresh_token",
    "client_id",
    "client_secret",
  ]);
  assert.equal(refresh.get("client_id"), TEST_CLIENT_ID);
  assert.equal(refresh.get("client_secret"), CANARY_SECRET);
});

test("provider: a failed background refresh keeps serving the current token", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const tokens = provider(server, clock);
  const first = await tokens.getToken();
  clock.advance(3600_000 - 50_000);
  const down = { status: 503, body: "down" };
  server.tokenFaults.push(down, down, down); // the first attempt and its two retries
  assert.equal(await tokens.getToken(), first);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(await tokens.getToken(), first, "no retry storm: the failed refresh backs off");
  assert.equal(server.tokenRequests.length, 4);
  clock.advance(6_000);
  assert.equal(await tokens.getToken(), first);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(await tokens.getToken(), server.issuedTokens[1]);
});

test("provider: invalidate drops only the current token (compare-and-invalidate)", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const tokens = provider(server, clock);
  const first = await tokens.getToken();
  assert.equal(tokens.invalidate("some-other-token"), false);
  assert.equal(await tokens.getToken(), first);
  assert.equal(tokens.invalidate(first), true);
  const second = await tokens.getToken();
  assert.notEqual(second, first);
  assert.equal(tokens.invalidate(first), false, "a late 401 for the old token changes nothing");
  assert.equal(await tokens.getToken(), second);
  assert.equal(server.tokenRequests.length, 2);
});

test("provider: a token without expires_in is used until invalidated", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  server.expiresIn = () => undefined;
  const tokens = provider(server, clock);
  const first = await tokens.getToken();
  clock.advance(10 * 3600_000);
  assert.equal(await tokens.getToken(), first);
  assert.equal(server.tokenRequests.length, 1);
});

test("provider: short-lived tokens refresh at half and stop at three quarters of their life", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now(), tokenLifetime: 2 });
  const tokens = provider(server, clock);
  const first = await tokens.getToken();
  clock.advance(900);
  assert.equal(await tokens.getToken(), first);
  assert.equal(server.tokenRequests.length, 1);
  clock.advance(200); // 1.1 s of 2 s: background refresh
  assert.equal(await tokens.getToken(), first);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(server.tokenRequests.length, 2);
});

test("provider: an aborted caller stops waiting while the shared request serves the others", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const gate = gatedFetch(server);
  const tokens = provider(server, clock, { fetch: gate.fetch });
  gate.hold();
  const controller = new AbortController();
  const aborted = tokens.getToken({ signal: controller.signal });
  const patient = tokens.getToken();
  controller.abort(new Error("caller gave up"));
  assert.equal(((await thrown(() => aborted)) as Error).message, "caller gave up");
  gate.release();
  assert.equal(await patient, server.issuedTokens[0]);
  assert.equal(server.tokenRequests.length, 1);
});

test("provider: cache keys match the Python library's format", async () => {
  const server = createKognicServer();
  const clock = new FakeClock();
  assert.equal(await provider(server, clock).cacheKey(), `${AUTH_HOST}:${TEST_CLIENT_ID}`);
  const scoped = provider(server, clock, { scopes: ["api:read", "api:write"] });
  const digest = createHash("sha256").update("api:read api:write").digest("hex").slice(0, 12);
  assert.equal(await scoped.cacheKey(), `${AUTH_HOST}:${TEST_CLIENT_ID}:s-${digest}`);
});

test("provider: the persistence hook serves a stored token and receives new ones", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const { saved, store } = memoryStore();
  const first = await provider(server, clock, { store }).getToken();
  const key = `${AUTH_HOST}:${TEST_CLIENT_ID}`;
  assert.equal(saved.get(key)?.access_token, first);
  assert.equal(saved.get(key)?.expires_at, Math.floor(clock.now() / 1000) + 3600);
  assert.equal(
    await provider(server, clock, { store }).getToken(),
    first,
    "a second provider reuses the stored token",
  );
  assert.equal(server.tokenRequests.length, 1);
  // 40 s left: within the refresh leeway, but as in Python a stored token is used until its
  // 30 s expiry margin, and not renewed early (no request a Python process would not make).
  clock.advance(3600_000 - 40_000);
  assert.equal(await provider(server, clock, { store }).getToken(), first);
  await Promise.resolve();
  assert.equal(server.tokenRequests.length, 1);
  clock.advance(15_000); // 25 s left: inside the margin, fetch a new one
  const third = await provider(server, clock, { store }).getToken();
  assert.notEqual(third, first);
  assert.equal(saved.get(key)?.access_token, third);
});

test("provider: a failing store never fails the token request, and says so without tokens", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const store = {
    load: () => Promise.reject(new Error("disk gone")),
    // A store whose error quotes what it was given.
    save: (_key: string, token: StoredToken) =>
      Promise.reject(new Error(`disk full, lost ${JSON.stringify(token)}`)),
  };
  const tokens = provider(server, clock, { store });
  const events: TokenEvent[] = [];
  const listener = (event: TokenEvent) => events.push(event);
  tokens.subscribe(listener);
  assert.equal(await tokens.getToken(), server.issuedTokens[0]);
  const failures = events.filter((event) => event.type === "store_error");
  assert.deepEqual(failures.map((event) => event.type === "store_error" && event.operation), [
    "load",
    "save",
  ]);
  assert.match(JSON.stringify(failures), /disk gone.*disk full, lost/);
  assertNoSecrets(failures, [TOKEN_CANARY]);
});

test("provider: a token rejected by an API is not taken back from the store", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const { store } = memoryStore();
  const tokens = provider(server, clock, { store });
  const first = await tokens.getToken();
  tokens.invalidate(first);
  assert.notEqual(await tokens.getToken(), first);
});

test("provider: getAccessToken gives the token with its expiry and the scopes granted", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const tokens = provider(server, clock, { scopes: ["api:read", "api:write"] });
  const started = clock.now();
  const access = await tokens.getAccessToken();
  assert.equal(access.token, server.issuedTokens[0]);
  assert.equal(access.token, await tokens.getToken());
  assert.equal(access.expiresAt, started + 3600_000);
  assert.deepEqual(access.scopes, ["api:read", "api:write"]);

  // A server that grants less: the scope field, and an event that says what is missing.
  server.grantScopes = (asked) => asked.filter((scope) => scope !== "api:write");
  const events: TokenEvent[] = [];
  tokens.subscribe((event) => events.push(event));
  tokens.invalidate(access.token);
  const narrowed = await tokens.getAccessToken();
  assert.deepEqual(narrowed.scopes, ["api:read"]);
  assert.deepEqual(events.map((event) => event.type === "token" && event.scopes), [["api:read"]]);

  // A server that leaves out the scope field granted what was asked for (RFC 6749, 5.1); one
  // that does not say when the token expires gives no expiry.
  const silent = createKognicServer({ now: () => clock.now() });
  silent.expiresIn = () => undefined;
  const other = provider(silent, clock, { scopes: ["a"] });
  const bare = await other.getAccessToken();
  assert.equal(bare.expiresAt, undefined);
  assert.deepEqual(bare.scopes, ["a"]);
});

test("provider: a refused renewal takes a newer token from the store (another provider renewed it), else keeps the token", async () => {
  const clock = new FakeClock();
  const server = createKognicServer({ now: () => clock.now() });
  const { store } = memoryStore();
  // Two providers sharing a store and a renewal limit, as the requests of a Worker do.
  const renewals: [number, number] = [-Infinity, 0];
  const a = provider(server, clock, { store, [RENEWALS]: renewals });
  const b = provider(server, clock, { store, [RENEWALS]: renewals });
  const first = await a.getToken();
  assert.equal(await b.getToken(), first);
  assert.equal(a.invalidate(first), true, "the first renewal");
  const second = await a.getToken();
  assert.notEqual(second, first);
  // b's renewal is refused (within the pause), but the store has a's new token.
  assert.equal(b.invalidate(first), false);
  assert.equal(await b.getToken(), second);
  // Nothing newer in the store: the token is kept, and no token request is made.
  assert.equal(b.invalidate(second), false);
  assert.equal(await b.getToken(), second);
  assert.equal(server.tokenRequests.length, 2);
});

// Transport security over real sockets, on every runtime: whatever the runtime's own fetch
// does with redirects, the bearer token reaches only the origin it was meant for.
import assert from "node:assert/strict";
import { createClient, type KognicClient } from "../../mod.ts";
import { test } from "../support/harness.ts";
import { CANARY_SECRET, TEST_CLIENT_ID } from "../support/fixtures.ts";
import { createKognicServer, type KognicServer } from "../support/kognic_server.ts";
import { serve, type Served } from "../support/serve.ts";

interface Origins {
  kognic: KognicServer;
  other: KognicServer;
  home: Served;
  away: Served;
  client: KognicClient;
}

/** Two test servers on two loopback origins, and a client of the first one. */
async function twoOrigins(fn: (origins: Origins) => Promise<void>): Promise<void> {
  const kognic = createKognicServer();
  const other = createKognicServer();
  const home = await serve(kognic.fetch);
  const away = await serve(other.fetch);
  try {
    // Its own clock: a provider of its own, not one shared with another case.
    const client = await createClient({
      auth: [TEST_CLIENT_ID, CANARY_SECRET],
      baseUrl: home.url,
      authHost: home.url,
      clock: { now: () => Date.now() },
    });
    await fn({ kognic, other, home, away, client });
  } finally {
    await Promise.all([home.close(), away.close()]);
  }
}

test(
  "security: over sockets a cross-origin redirect drops the token, a same-origin one keeps it",
  () =>
    twoOrigins(async ({ kognic, other, away, client }) => {
      const same = await client.fetch("/v1/redirect?to=/v1/echo");
      assert.equal(same.status, 200);
      assert.equal((await same.json()).data.headers.authorization, "[present]");
      for (const status of [301, 302, 303, 307, 308]) {
        const response = await client.fetch(
          `/v1/redirect?status=${status}&to=${encodeURIComponent(`${away.url}/v1/echo`)}`,
        );
        assert.equal(
          response.status,
          401,
          `${status}: the other origin answers 401 because it saw no token`,
        );
        await response.body?.cancel();
      }
      assert.equal(other.apiRequests.length, 5);
      for (const request of other.apiRequests) {
        assert.equal(request.headers.authorization, undefined);
        assert.ok(!JSON.stringify(request).includes(kognic.issuedTokens[0]));
      }
      assert.equal(
        kognic.tokenRequests.length,
        1,
        "a 401 from another origin does not invalidate the token",
      );
    }),
  { needs: ["sockets"] },
);

test(
  "security: the client secret never leaves in a URL, and token requests are never redirected",
  () =>
    twoOrigins(async ({ kognic, other, away, client }) => {
      kognic.tokenFaults.push({
        status: 307,
        headers: { location: `${away.url}/v1/auth/oauth/token` },
      });
      await assert.rejects(client.provider.getToken(), { code: "TOKEN_HTTP_ERROR" });
      assert.equal(other.tokenRequests.length, 0, "the secret did not follow the redirect");
      await client.provider.getToken();
      for (const request of kognic.tokenRequests) assert.ok(!request.url.includes(CANARY_SECRET));
    }),
  { needs: ["sockets"] },
);

test("security: a used client, its provider and its fetch print without the secret or the token", async () => {
  const { setup, assertNoSecrets } = await import("../support/fixtures.ts");
  const { server, client } = await setup();
  await client.get("/v1/whoami");
  const token = server.issuedTokens[0];
  assertNoSecrets(client, [CANARY_SECRET, token]);
  assertNoSecrets(client.provider, [CANARY_SECRET, token]);
  assertNoSecrets({ client, fetch: client.fetch }, [CANARY_SECRET, token]);
});

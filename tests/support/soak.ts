/**
 * A bounded soak: concurrent authenticated calls over loopback for a fixed time while tokens
 * live two seconds and the token endpoint and the API fail now and then. Used by a conformance
 * case (a few seconds, every runtime) and by scripts/soak.ts (a minute, figures printed).
 *
 * @module
 */
import { createClient } from "../../mod.ts";
import { CANARY_SECRET, createKognicServer, TEST_CLIENT_ID } from "./kognic_server.ts";
import { serve } from "./serve.ts";

/** What a soak run counted. */
export interface SoakReport {
  seconds: number;
  workers: number;
  calls: number;
  failedCalls: number;
  failures: string[];
  tokenRequests: number;
  tokenFaultsInjected: number;
  apiFaultsInjected: number;
  tokensIssued: number;
  tokensUsed: number;
  maxTokenRequestsInFlight: number;
  rotations: number;
}

/**
 * Runs the soak.
 *
 * @param seconds How long to keep the load up.
 * @param workers How many callers run at once.
 * @returns The counts.
 */
export async function runSoak(seconds: number, workers = 16): Promise<SoakReport> {
  const server = createKognicServer({ tokenLifetime: 2 });
  let inFlight = 0;
  let maxInFlight = 0;
  let tokenFaults = 0;
  let apiFaults = 0;
  // Deterministic "now and then": every 3rd token request and every 97th API call fail.
  let tokenCount = 0;
  let apiCount = 0;
  const served = await serve(async (request) => {
    if (new URL(request.url).pathname === "/v1/auth/oauth/token") {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (++tokenCount % 3 === 0) {
          tokenFaults++;
          return new Response("upstream trouble", { status: 503 });
        }
        return await server.fetch(request);
      } finally {
        inFlight--;
      }
    }
    if (++apiCount % 97 === 0) {
      apiFaults++;
      return new Response("bad gateway", { status: 502 });
    }
    return server.fetch(request);
  });
  const failures: string[] = [];
  let calls = 0;
  try {
    const client = await createClient({
      auth: [TEST_CLIENT_ID, CANARY_SECRET],
      baseUrl: served.url,
      authHost: served.url,
      // Its own clock object: a provider of its own, not one shared with other tests.
      clock: { now: () => Date.now() },
    });
    const deadline = Date.now() + seconds * 1000;
    await Promise.all(Array.from({ length: workers }, async () => {
      while (Date.now() < deadline) {
        calls++;
        try {
          const response = await client.request("GET", "/v1/whoami");
          await response.body?.cancel();
        } catch (error) {
          failures.push(String(error));
        }
      }
    }));
    // A refresh that started near the deadline ends after the last call, and its token would
    // count as fetched and never used. So: call once more and let any refresh it starts settle
    // (token requests take 20 ms, a retry after a 503 at most 250 ms more), until a call and
    // the wait after it bring no new token.
    for (let issued = -1; issued !== server.issuedTokens.length;) {
      issued = server.issuedTokens.length;
      calls++;
      const response = await client.request("GET", "/v1/whoami");
      await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 600));
    }
  } finally {
    await served.close();
  }
  const used = new Set(
    server.apiRequests.map((request) => request.headers.authorization?.slice("Bearer ".length)),
  );
  return {
    seconds,
    workers,
    calls,
    failedCalls: failures.length,
    failures: failures.slice(0, 5),
    tokenRequests: server.tokenRequests.length + tokenFaults,
    tokenFaultsInjected: tokenFaults,
    apiFaultsInjected: apiFaults,
    tokensIssued: server.issuedTokens.length,
    tokensUsed: server.issuedTokens.filter((token) => used.has(token)).length,
    maxTokenRequestsInFlight: maxInFlight,
    rotations: server.issuedTokens.length - 1,
  };
}

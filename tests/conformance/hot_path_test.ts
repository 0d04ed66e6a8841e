// The hot path of createAuthFetch (a cached URL for a repeated string, a plain header record
// when the caller sets no headers) must behave exactly like the general path.
import assert from "node:assert/strict";
import { KognicAuthError } from "../../mod.ts";
import { test } from "../support/harness.ts";
import { API_BASE, setup, thrown } from "../support/fixtures.ts";

const bearer = (request: { headers: Record<string, string> }) =>
  request.headers.authorization?.replace(/^Bearer /, "");

test("hot path: repeated calls to one path carry the defaults and the current token", async () => {
  const { server, client } = await setup({}, {
    headers: { "X-Workspace-Id": "ws-1", Authorization: "Bearer forged-default" },
  });
  assert.equal((await client.fetch("/v1/whoami")).status, 200);
  server.revoke(server.issuedTokens[0]);
  assert.equal((await client.fetch("/v1/whoami")).status, 200); // a 401, a refresh, a resend
  assert.equal((await client.fetch("/v1/whoami", { headers: { "X-Extra": "1" } })).status, 200);
  assert.deepEqual(server.apiRequests.map((request) => request.url), [
    `${API_BASE}/v1/whoami`,
    `${API_BASE}/v1/whoami`,
    `${API_BASE}/v1/whoami`,
    `${API_BASE}/v1/whoami`,
  ]);
  assert.deepEqual(server.apiRequests.map(bearer), [
    server.issuedTokens[0],
    server.issuedTokens[0],
    server.issuedTokens[1],
    server.issuedTokens[1],
  ]);
  for (const request of server.apiRequests) {
    assert.equal(request.headers["x-workspace-id"], "ws-1");
    assert.equal(request.headers.accept, "application/json");
  }
});

test("hot path: an insecure URL is refused every time it is asked for", async () => {
  const { server, client } = await setup();
  for (let i = 0; i < 2; i++) {
    const error = await thrown(() => client.fetch("http://app.example.com/v1/whoami"));
    assert.ok(error instanceof KognicAuthError && error.code === "INSECURE_URL");
  }
  assert.equal((await client.fetch("/v1/whoami")).status, 200);
  const error = await thrown(() => client.fetch("http://app.example.com/v1/whoami"));
  assert.ok(error instanceof KognicAuthError && error.code === "INSECURE_URL");
  assert.equal(server.apiRequests.length, 1);
});

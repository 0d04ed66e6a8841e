import assert from "node:assert/strict";
import { createClient, KognicAuthError, type KognicAuthErrorCode } from "../../mod.ts";
import { resolveCredentials } from "../../src/core.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import { test } from "../support/harness.ts";
import {
  API_BASE,
  assertNoSecrets,
  AUTH_HOST,
  CANARY_SECRET,
  credentialsDocument,
  setup,
  TEST_CLIENT_ID,
  thrown,
} from "../support/fixtures.ts";

const doc = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify(credentialsDocument(overrides));
const without = (key: string) => {
  const value = credentialsDocument();
  delete value[key];
  return JSON.stringify(value);
};
const fromFile = (text: string, path = "/creds/credentials.json") => () =>
  resolveCredentials({ auth: path, runtime: memoryRuntime({ files: { [path]: text } }) });
const fromEnv = (env: Record<string, string>) => () =>
  resolveCredentials({ runtime: memoryRuntime({ env }) });
async function tokenFrom(
  fault: { status?: number; json?: unknown; body?: string; headers?: Record<string, string> },
) {
  const { server, client } = await setup();
  // Transient failures are retried twice: the fault stands for all three attempts.
  server.tokenFaults.push(fault, fault, fault);
  return client.provider.getToken();
}

interface Row {
  input: string;
  code: KognicAuthErrorCode;
  names: string;
  run: () => Promise<unknown>;
}

/** Bad inputs, the error code each must produce, and the source its message must name. */
export const BAD_INPUTS: Row[] = [
  {
    input: "a missing file",
    code: "CREDENTIALS_FILE_NOT_FOUND",
    names: "/nowhere/creds.json",
    run: () => resolveCredentials({ auth: "/nowhere/creds.json", runtime: memoryRuntime() }),
  },
  {
    input: "a directory",
    code: "CREDENTIALS_FILE_UNREADABLE",
    names: "/creds/dir.json",
    run: () =>
      resolveCredentials({
        auth: "/creds/dir.json",
        runtime: memoryRuntime({ files: { "/creds/dir.json/inner.json": doc() } }),
      }),
  },
  {
    input: "a file that is not JSON",
    code: "CREDENTIALS_INVALID_JSON",
    names: "/creds/credentials.json",
    run: fromFile(`{"clientSecret": "${CANARY_SECRET}", `),
  },
  {
    input: "a JSON array",
    code: "CREDENTIALS_NOT_OBJECT",
    names: "/creds/credentials.json",
    run: fromFile(`["${CANARY_SECRET}"]`),
  },
  ...["clientId", "clientSecret", "email", "userId", "issuer"].map((key): Row => ({
    input: `a file without "${key}"`,
    code: "CREDENTIALS_MISSING_KEY",
    names: `"${key}"`,
    run: fromFile(without(key)),
  })),
  {
    input: "clientId as an object",
    code: "CREDENTIALS_INVALID_TYPE",
    names: '"clientId"',
    run: fromFile(doc({ clientId: { id: 1 } })),
  },
  {
    input: "clientSecret null",
    code: "CREDENTIALS_INVALID_TYPE",
    names: '"clientSecret"',
    run: fromFile(doc({ clientSecret: null })),
  },
  {
    input: "scopes as a number",
    code: "CREDENTIALS_INVALID_TYPE",
    names: '"scopes"',
    run: fromFile(doc({ scopes: 7 })),
  },
  {
    input: "expired credentials",
    code: "CREDENTIALS_EXPIRED",
    names: "/creds/credentials.json",
    run: fromFile(doc({ expires: "2001-01-01T00:00:00Z" })),
  },
  {
    input: "a path not ending in .json",
    code: "CREDENTIALS_PATH_NOT_JSON",
    names: "/creds/credentials.txt",
    run: () => resolveCredentials({ auth: "/creds/credentials.txt", runtime: memoryRuntime() }),
  },
  {
    input: "a pair of one",
    code: "CREDENTIALS_INVALID_PAIR",
    names: "auth option",
    run: () => resolveCredentials({ auth: [TEST_CLIENT_ID], runtime: memoryRuntime() }),
  },
  {
    input: "a pair of three",
    code: "CREDENTIALS_INVALID_PAIR",
    names: "auth option",
    run: () =>
      resolveCredentials({ auth: [TEST_CLIENT_ID, CANARY_SECRET, "x"], runtime: memoryRuntime() }),
  },
  {
    input: "KOGNIC_CLIENT_SECRET empty",
    code: "CREDENTIALS_ENV_INCOMPLETE",
    names: "KOGNIC_CLIENT_SECRET",
    run: fromEnv({ KOGNIC_CLIENT_ID: "id", KOGNIC_CLIENT_SECRET: "" }),
  },
  {
    input: "KOGNIC_CLIENT_ID empty",
    code: "CREDENTIALS_ENV_INCOMPLETE",
    names: "KOGNIC_CLIENT_ID",
    run: fromEnv({ KOGNIC_CLIENT_ID: "", KOGNIC_CLIENT_SECRET: CANARY_SECRET }),
  },
  {
    input: "all variables empty",
    code: "CREDENTIALS_NOT_FOUND",
    names: "KOGNIC_CREDENTIALS (empty)",
    run: fromEnv({ KOGNIC_CREDENTIALS: "", KOGNIC_CLIENT_ID: "", KOGNIC_CLIENT_SECRET: "" }),
  },
  {
    input: "auth together with clientId",
    code: "INVALID_OPTIONS",
    names: "auth option",
    run: () =>
      resolveCredentials({
        auth: "/c.json",
        clientId: "id",
        clientSecret: CANARY_SECRET,
        runtime: memoryRuntime(),
      }),
  },
  {
    input: "keyring:// without a keyring",
    code: "KEYRING_UNAVAILABLE",
    names: 'keyring profile "demo"',
    run: () => resolveCredentials({ auth: "keyring://demo", runtime: memoryRuntime() }),
  },
  {
    input: "an http:// token URL that is not loopback",
    code: "INSECURE_URL",
    names: "http://auth.example.com",
    run: () =>
      createClient({
        auth: [TEST_CLIENT_ID, CANARY_SECRET],
        authHost: "http://auth.example.com",
        runtime: memoryRuntime(),
      }),
  },
  {
    input: "an http:// API URL that is not loopback",
    code: "INSECURE_URL",
    names: "http://app.example.com",
    run: () =>
      createClient({
        auth: [TEST_CLIENT_ID, CANARY_SECRET],
        baseUrl: "http://app.example.com",
        authHost: AUTH_HOST,
        runtime: memoryRuntime(),
      }),
  },
  {
    input: "a token response without access_token",
    code: "TOKEN_RESPONSE_INVALID",
    names: AUTH_HOST,
    run: () => tokenFrom({ json: { token_type: "Bearer", expires_in: 60 } }),
  },
  {
    input: "a token response with token_type mac",
    code: "TOKEN_RESPONSE_INVALID",
    names: AUTH_HOST,
    run: () => tokenFrom({ json: { access_token: "abc", token_type: "mac" } }),
  },
  {
    input: "expires_in that is not a number",
    code: "TOKEN_RESPONSE_INVALID",
    names: AUTH_HOST,
    run: () =>
      tokenFrom({ json: { access_token: "abc", token_type: "Bearer", expires_in: "soon" } }),
  },
  {
    input: "an HTML error page",
    code: "TOKEN_HTTP_ERROR",
    names: AUTH_HOST,
    run: () =>
      tokenFrom({
        status: 502,
        body: `<html><body>Bad gateway ${CANARY_SECRET}</body></html>`,
        headers: { "content-type": "text/html" },
      }),
  },
  {
    input: "a redirect from the token endpoint",
    code: "TOKEN_HTTP_ERROR",
    names: AUTH_HOST,
    run: () => tokenFrom({ status: 307, headers: { location: "https://evil.example/steal" } }),
  },
  {
    input: "invalid_client (with the secret echoed back)",
    code: "TOKEN_OAUTH_ERROR",
    names: "invalid_client",
    run: () =>
      tokenFrom({
        status: 401,
        json: { error: "invalid_client", error_description: `bad secret ${CANARY_SECRET}` },
      }),
  },
  {
    input: "a token endpoint that keeps answering 429",
    code: "TOKEN_RATE_LIMITED",
    names: AUTH_HOST,
    run: () => tokenFrom({ status: 429, headers: { "retry-after": "120" } }),
  },
  {
    input: "an unreachable token endpoint",
    code: "TOKEN_REQUEST_FAILED",
    names: AUTH_HOST,
    run: async () => {
      const { client } = await setup({}, {
        fetch: () => Promise.reject(new TypeError("fetch failed")),
      });
      return client.provider.getToken();
    },
  },
];

test(`bad input: ${BAD_INPUTS.length} bad inputs each give a documented code, name the source and hide the secret`, async () => {
  assert.ok(BAD_INPUTS.length >= 15);
  for (const row of BAD_INPUTS) {
    const error = await thrown(row.run);
    assert.ok(error instanceof KognicAuthError, `${row.input}: not a KognicAuthError: ${error}`);
    assert.equal(error.code, row.code, `${row.input}: ${error.message}`);
    assert.ok(
      error.message.includes(row.names),
      `${row.input}: message does not name ${row.names}: ${error.message}`,
    );
    assert.ok(
      /^[A-Z]/.test(error.message) && !error.message.endsWith("."),
      `${row.input}: message style: ${error.message}`,
    );
    assertNoSecrets(error);
  }
  const codes = new Set(BAD_INPUTS.map((row) => row.code));
  assert.ok(codes.size >= 15, `only ${codes.size} distinct codes`);
});

test("bad input: the canary secret really travels, so the scans for it in errors mean something", async () => {
  const { server, client } = await setup();
  await client.provider.getToken();
  assert.ok(server.tokenRequests[0].body.includes(CANARY_SECRET));
  assert.equal(API_BASE, client.baseUrl.origin);
});

import assert from "node:assert/strict";
import { Credentials, KognicAuthError } from "../../mod.ts";
import { assertNotExpired, parseCredentials } from "../../src/core.ts";
import { test } from "../support/harness.ts";
import {
  assertNoSecrets,
  CANARY_SECRET,
  credentialsDocument,
  printedForms,
} from "../support/fixtures.ts";

test("credentials: a downloaded document parses with every field", () => {
  const credentials = parseCredentials(
    credentialsDocument({
      expires: "2030-01-02T03:04:05.1234567Z",
      scopes: ["api:read"],
      extra: 1,
    }),
  );
  assert.equal(credentials.clientId, "test-client-id");
  assert.equal(credentials.clientSecret, CANARY_SECRET);
  assert.equal(credentials.email, "robot@example.com");
  assert.equal(credentials.userId, 4711);
  assert.equal(credentials.issuer, "auth.kognic.test");
  assert.equal(credentials.name, "Test credentials");
  assert.equal(credentials.created?.toISOString(), "2025-06-01T10:00:00.123Z");
  assert.equal(credentials.expires?.toISOString(), "2030-01-02T03:04:05.123Z");
  assert.deepEqual(credentials.scopes, ["api:read"]);
});

test("credentials: defaults for name, and unparseable dates treated as absent", () => {
  const credentials = parseCredentials(
    credentialsDocument({ name: undefined, created: "yesterday", expires: 12 }),
  );
  assert.equal(credentials.name, "API Credentials");
  assert.equal(credentials.created, undefined);
  assert.equal(credentials.expires, undefined);
});

test("credentials: anonymous pair has empty email and issuer and userId 0", () => {
  const credentials = new Credentials({ clientId: "id", clientSecret: CANARY_SECRET });
  assert.deepEqual([credentials.email, credentials.issuer, credentials.userId], ["", "", 0]);
});

test("credentials: print redacted in String, template, JSON, inspect and console forms", () => {
  const credentials = parseCredentials(credentialsDocument());
  assertNoSecrets(credentials);
  assertNoSecrets({ nested: [credentials] });
  assertNoSecrets(`${credentials}`);
  assert.ok(JSON.stringify(credentials).includes('"clientSecret":"[REDACTED]"'));
  assert.ok(printedForms(credentials).some((form) => form.includes("test-client-id")));
  assert.equal(
    ({ ...credentials } as Record<string, unknown>).clientSecret,
    undefined,
    "spread does not copy the secret",
  );
  assert.equal(
    structuredClone(credentials).clientSecret,
    undefined,
    "structuredClone drops the secret",
  );
  assert.equal(credentials.toInit().clientSecret, CANARY_SECRET);
  // The fields, in order; optional ones only when set.
  assert.deepEqual(Object.keys(credentials.toJSON()), [
    "clientId",
    "clientSecret",
    "email",
    "userId",
    "issuer",
    "name",
    "created",
  ]);
  assert.deepEqual(Object.keys(credentials.toInit()), Object.keys(credentials.toJSON()));
  const full = parseCredentials(
    credentialsDocument({ expires: "2030-01-01T00:00:00Z", scopes: ["api:read"] }),
  );
  assert.deepEqual(Object.keys(full.toJSON()).slice(6), ["created", "expires", "scopes"]);
});

test("credentials: expired credentials are refused with the expiry time", () => {
  const credentials = parseCredentials(credentialsDocument({ expires: "2020-01-01T00:00:00Z" }));
  assert.throws(
    () => assertNotExpired(credentials, Date.UTC(2021, 0, 1)),
    (error: unknown) =>
      error instanceof KognicAuthError && error.code === "CREDENTIALS_EXPIRED" &&
      error.message.startsWith("Credentials expired at 2020-01-01T00:00:00.000Z"),
  );
  assertNotExpired(credentials, Date.UTC(2019, 0, 1));
});

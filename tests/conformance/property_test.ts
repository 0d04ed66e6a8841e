// Hostile input, property-based: every parser either returns a value or throws the library's
// own documented error — never anything else — and never echoes a secret.
import assert from "node:assert/strict";
import fc from "fast-check";
import { Credentials, KognicAuthError, TokenError } from "../../mod.ts";
import { parseCredentials, requestToken, resolveCredentials } from "../../src/core.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import { parseIsoDate, parseRetryAfter, readText } from "../../src/_util.ts";
import { test } from "../support/harness.ts";
import { assertNoSecrets, CANARY_SECRET } from "../support/fixtures.ts";

const RUNS = { numRuns: 300, seed: 20261129 };

/** A secret that is the canary plus a random tail, so a leak of any part of it shows. */
const secret = fc.string({ minLength: 0, maxLength: 8 }).map((tail) => CANARY_SECRET + tail);

/** Documents shaped like credentials files, with any field possibly missing or of any type. */
const credentialsLike = fc.record(
  {
    clientId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    clientSecret: fc.oneof(secret, fc.integer(), fc.constant(null)),
    email: fc.oneof(fc.emailAddress(), fc.integer(), fc.constant(null)),
    userId: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
    issuer: fc.oneof(fc.string(), fc.boolean()),
    name: fc.oneof(fc.string(), fc.integer()),
    created: fc.oneof(
      fc.string(),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.integer(),
    ),
    expires: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
    scopes: fc.oneof(fc.array(fc.string()), fc.string(), fc.array(fc.integer())),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

function isOwnError(error: unknown, prefix: string): boolean {
  return error instanceof KognicAuthError && error.code.startsWith(prefix);
}

test("property: parseCredentials returns credentials or throws a CREDENTIALS_* error, never echoing the secret", () => {
  fc.assert(
    fc.property(fc.oneof(credentialsLike, fc.jsonValue()), (doc) => {
      try {
        const credentials = parseCredentials(doc);
        assert.ok(credentials instanceof Credentials);
        assert.equal(typeof credentials.clientSecret, "string");
        assertNoSecrets(credentials, [credentials.clientSecret]);
      } catch (error) {
        assert.ok(isOwnError(error, "CREDENTIALS_"), String(error));
        const leaked = typeof (doc as { clientSecret?: unknown })?.clientSecret === "string"
          ? [(doc as { clientSecret: string }).clientSecret]
          : [];
        assertNoSecrets(error, leaked.filter((s) => s.length >= 8));
      }
    }),
    RUNS,
  );
});

test("property: credentials files with any text, truncated or mangled, give a value or a CREDENTIALS_* error", async () => {
  const valid = JSON.stringify({
    clientId: "id",
    clientSecret: CANARY_SECRET,
    email: "",
    userId: 1,
    issuer: "",
  });
  const text = fc.oneof(
    fc.string(),
    fc.nat({ max: valid.length }).map((cut) => valid.slice(0, cut)),
    fc.tuple(fc.nat({ max: valid.length }), fc.string({ maxLength: 3 })).map(([at, junk]) =>
      valid.slice(0, at) + junk + valid.slice(at)
    ),
    credentialsLike.map((doc) => JSON.stringify(doc)),
  );
  await fc.assert(
    fc.asyncProperty(text, async (content) => {
      const runtime = memoryRuntime({ files: { "/c.json": content } });
      try {
        await resolveCredentials({ auth: "/c.json", runtime, now: Date.UTC(2026, 0, 1) });
      } catch (error) {
        assert.ok(isOwnError(error, "CREDENTIALS_"), String(error));
        assertNoSecrets(error, [CANARY_SECRET]);
      }
    }),
    RUNS,
  );
});

test("property: Retry-After gives undefined or a non-negative number of milliseconds", () => {
  const now = Date.UTC(2026, 0, 1);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.nat().map(String),
        fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(8e15) }).map((d) =>
          d.toUTCString()
        ),
      ),
      (value) => {
        const ms = parseRetryAfter(value, now);
        if (ms !== undefined) assert.ok(Number.isFinite(ms) && ms >= 0, `${value} -> ${ms}`);
        if (/^\d+$/.test(value)) assert.equal(ms, Number(value) * 1000);
      },
    ),
    RUNS,
  );
});

test("property: Retry-After reads both GMT forms of an HTTP date, and nothing else as a date", () => {
  const now = Date.UTC(1994, 10, 6, 8, 49, 30);
  assert.equal(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now), 7000);
  assert.equal(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now), 7000);
  assert.equal(parseRetryAfter("Sun, 06 Nov 1994 08:49:00 GMT", now), 0);
  for (
    const junk of ["1 GMT", "06 Nov 1994 08:49:37 GMT", "Sun, 99 Foo 1994 08:49:37 GMT", "soon"]
  ) {
    assert.equal(parseRetryAfter(junk, now), undefined, junk);
  }
});

test("property: a body read to a byte limit keeps characters split across chunks, and says when it cut", async () => {
  const bytes = new TextEncoder().encode("\uFEFFå∂ç ok");
  const body = () =>
    new Response(
      new ReadableStream({
        start(controller) {
          for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
          controller.close();
        },
      }),
    );
  assert.deepEqual(await readText(body(), 100), { text: "å∂ç ok", truncated: false });
  assert.deepEqual(await readText(body(), bytes.length), { text: "å∂ç ok", truncated: false });
  // Cut inside "∂" (three bytes, after the BOM and "å"): what was cut is one replacement character.
  assert.deepEqual(await readText(body(), 6), { text: "å\uFFFD", truncated: true });
  assert.deepEqual(await readText(new Response(null), 10), { text: "", truncated: false });
  // What is not read is cancelled.
  let cancelled = false;
  const endless = new Response(
    new ReadableStream({
      pull: (controller) => controller.enqueue(new TextEncoder().encode("abcd")),
      cancel: () => {
        cancelled = true;
      },
    }),
  );
  assert.deepEqual(await readText(endless, 10), { text: "abcdabcdab", truncated: true });
  assert.ok(cancelled);
});

test("property: ISO dates with any number of fractional digits parse to the millisecond; junk gives undefined", () => {
  fc.assert(
    fc.property(
      fc.date({
        noInvalidDate: true,
        min: new Date(Date.UTC(1970, 0, 1)),
        max: new Date(Date.UTC(9999, 11, 31)),
      }),
      fc.nat({ max: 9 }),
      (date, digits) => {
        const base = date.toISOString().slice(0, 19);
        const fraction = digits
          ? "." +
            String(date.getUTCMilliseconds()).padStart(3, "0").padEnd(digits, "7").slice(0, digits)
          : "";
        const parsed = parseIsoDate(`${base}${fraction}Z`);
        assert.ok(parsed);
        const expected = digits === 0 ? 0 : Number((fraction.slice(1) + "000").slice(0, 3));
        assert.equal(parsed.getTime(), Date.parse(`${base}Z`) + expected);
      },
    ),
    RUNS,
  );
  fc.assert(
    fc.property(fc.string(), (text) => {
      const parsed = parseIsoDate(text);
      if (parsed) assert.ok(!Number.isNaN(parsed.getTime()));
    }),
    RUNS,
  );
});

test("property: any token endpoint answer gives a valid token or a TOKEN_* error, never echoing secrets", async () => {
  const credentials = new Credentials({ clientId: "id", clientSecret: CANARY_SECRET });
  const body = fc.oneof(
    fc.string(),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.record({
      access_token: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      token_type: fc.oneof(fc.constantFrom("Bearer", "bearer", "BEARER", "mac"), fc.string()),
      expires_in: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
      refresh_token: fc.oneof(fc.string(), fc.integer()),
      error: fc.oneof(fc.constantFrom("invalid_client", "invalid_grant"), fc.string()),
      error_description: fc.constantFrom(`echo ${CANARY_SECRET}`, "", "detail"),
    }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
  );
  const status = fc.constantFrom(200, 201, 400, 401, 403, 404, 500, 502, 503);
  await fc.assert(
    fc.asyncProperty(status, body, async (code, text) => {
      const fetcher = () =>
        Promise.resolve(
          new Response(text, { status: code, headers: { "content-type": "application/json" } }),
        );
      try {
        const token = await requestToken(credentials, {
          tokenUrl: "https://auth.kognic.test/t",
          fetch: fetcher,
          retries: 0,
        });
        assert.equal(typeof token.access_token, "string");
        assert.ok(token.access_token.length > 0);
        assert.equal(token.token_type.toLowerCase(), "bearer");
        if (token.expires_in !== undefined) {
          assert.ok(Number.isFinite(token.expires_in) && token.expires_in >= 0);
        }
      } catch (error) {
        assert.ok(error instanceof TokenError && error.code.startsWith("TOKEN_"), String(error));
        assertNoSecrets(error, [CANARY_SECRET]);
      }
    }),
    { ...RUNS, numRuns: 200 },
  );
});

test("property: proxy URLs parse or give PROXY_INVALID, never echoing the password", async () => {
  const { bypassesProxy, selectProxy } = await import("../../src/runtime/_proxy.ts");
  const { parseProxyUrl } = await import("../../src/runtime/_proxy_fetch.ts");
  const password = fc.string({ maxLength: 12 }).map((tail) => `proxyPw9f${tail}`);
  const text = fc.oneof(
    fc.tuple(
      fc.constantFrom("http://", "https://", "socks5://", "", "ftp://"),
      fc.string({ maxLength: 6 }),
      password,
      fc.string({ maxLength: 12 }),
    )
      .map(([scheme, user, pass, rest]) => `${scheme}${user}:${pass}@${rest}`),
    fc.string(),
  );
  fc.assert(
    fc.property(text, fc.string(), (value, noProxy) => {
      const secret = /proxyPw9f[^@]*/.exec(value)?.[0];
      try {
        const url = parseProxyUrl(value, "HTTPS_PROXY");
        assert.ok(url.protocol === "http:" || url.protocol === "https:");
      } catch (error) {
        assert.ok(
          error instanceof KognicAuthError && error.code === "PROXY_INVALID",
          String(error),
        );
        if (secret) assertNoSecrets(error, [secret]);
      }
      const target = new URL("https://app.kognic.com/v1/projects");
      assert.equal(typeof bypassesProxy(target, noProxy), "boolean");
      try {
        selectProxy(
          target,
          (name) => ({ HTTPS_PROXY: value, NO_PROXY: noProxy } as Record<string, string>)[name],
        );
      } catch (error) {
        assert.ok(
          error instanceof KognicAuthError && error.code === "PROXY_INVALID",
          String(error),
        );
        if (secret) assertNoSecrets(error, [secret]);
      }
    }),
    RUNS,
  );
});

test("property: --decode of any token gives Python-style JSON or JWT_INVALID, never quoting the token", async () => {
  const { decodeJwt } = await import("../../src/cli/_jwt.ts");
  const b64url = (text: string) =>
    btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, "-")
      .replace(/\//g, "_").replace(/=+$/, "");
  const part = fc.oneof(
    fc.string(),
    fc.jsonValue().map((value) => b64url(JSON.stringify(value))),
    fc.string().map(b64url),
  );
  fc.assert(
    fc.property(
      fc.oneof(fc.tuple(part, part, part).map((p) => p.join(".")), fc.string()),
      (token) => {
        try {
          const out = decodeJwt(token);
          const parsed = JSON.parse(out);
          assert.deepEqual(Object.keys(parsed), ["header", "payload", "signature"]);
        } catch (error) {
          assert.ok(
            error instanceof KognicAuthError && error.code === "JWT_INVALID",
            String(error),
          );
          if (token.length >= 8) assertNoSecrets(error, [token]);
        }
      },
    ),
    RUNS,
  );
});

test("property: environments.json with any content loads or gives ENVIRONMENTS_INVALID", async () => {
  const { loadEnvironments } = await import("../../src/credentials/environments.ts");
  const environment = fc.record({
    host: fc.oneof(fc.domain(), fc.string(), fc.integer()),
    auth_server: fc.oneof(fc.webUrl(), fc.string(), fc.constant(null)),
    credentials: fc.oneof(fc.string(), fc.constant("keyring://demo"), fc.integer()),
    scopes: fc.oneof(fc.array(fc.string()), fc.string()),
  }, { requiredKeys: [] });
  const text = fc.oneof(
    fc.string(),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.record({
      default_environment: fc.oneof(fc.string(), fc.integer()),
      environments: fc.oneof(fc.dictionary(fc.string(), environment), fc.array(environment)),
    }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
  );
  await fc.assert(
    fc.asyncProperty(text, async (content) => {
      const runtime = memoryRuntime({ files: { "/e/environments.json": content } });
      try {
        const config = await loadEnvironments({ path: "/e/environments.json", runtime });
        assert.equal(typeof config.environments, "object");
      } catch (error) {
        assert.ok(
          error instanceof KognicAuthError && error.code === "ENVIRONMENTS_INVALID",
          String(error),
        );
      }
    }),
    RUNS,
  );
});

// environments.json (SPEC §7): loading and the choice of an environment for a URL.
import assert from "node:assert/strict";
import type { KognicAuthError } from "../../mod.ts";
import {
  chooseEnvironment,
  DEFAULT_ENVIRONMENT,
  defaultEnvironmentsPath,
  loadEnvironments,
} from "../../src/core.ts";
import { createClient, KognicAuthError as AuthError } from "../../mod.ts";
import { edgeClient } from "../../src/edge/client.ts";
import { edgeRuntime } from "../../src/runtime/edge.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import { test } from "../support/harness.ts";
import { CANARY_SECRET, credentialsDocument, TEST_CLIENT_ID, thrown } from "../support/fixtures.ts";
import { createKognicServer } from "../support/kognic_server.ts";

const CONFIG = {
  default_environment: "production",
  environments: {
    production: {
      host: "app.kognic.com",
      auth_server: "https://auth.app.kognic.com",
      credentials: "~/.config/kognic/credentials-prod.json",
    },
    demo: {
      host: "demo.kognic.com",
      auth_server: "https://auth.demo.kognic.com",
      credentials: "keyring://demo",
      scopes: ["api:read"],
    },
    bare: { host: "bare.example", auth_server: "https://auth.bare.example" },
  },
};

const PATH = "/home/user/.config/kognic/environments.json";

test("environments: the SPEC example loads with ~ expanded and keyring:// kept", async () => {
  const runtime = memoryRuntime({ files: { [PATH]: JSON.stringify(CONFIG) } });
  const config = await loadEnvironments({ runtime });
  assert.equal(config.defaultEnvironment, "production");
  assert.deepEqual(Object.keys(config.environments), ["production", "demo", "bare"]);
  assert.deepEqual(config.environments.production, {
    name: "production",
    host: "app.kognic.com",
    authServer: "https://auth.app.kognic.com",
    credentials: "/home/user/.config/kognic/credentials-prod.json",
    scopes: [],
  });
  assert.equal(config.environments.demo.credentials, "keyring://demo");
  assert.deepEqual(config.environments.demo.scopes, ["api:read"]);
  assert.equal(config.environments.bare.credentials, undefined);
});

test("environments: the file is found under XDG_CONFIG_HOME, and a missing file is empty", async () => {
  const runtime = memoryRuntime({ env: { XDG_CONFIG_HOME: "/xdg" } });
  assert.equal(defaultEnvironmentsPath(runtime), "/xdg/kognic/environments.json");
  assert.equal(defaultEnvironmentsPath(memoryRuntime()), PATH);
  assert.deepEqual(await loadEnvironments({ runtime }), { environments: {} });
  const other = memoryRuntime({ files: { "/home/user/envs.json": JSON.stringify(CONFIG) } });
  const config = await loadEnvironments({ runtime: other, path: "~/envs.json" });
  assert.equal(Object.keys(config.environments).length, 3);
  // An edge function has no files and no home directory: no environments, no error.
  const edge = edgeRuntime({ env: {} });
  assert.deepEqual(await loadEnvironments({ runtime: edge }), { environments: {} });
  assert.deepEqual(await loadEnvironments({ runtime: edge, path: "~/envs.json" }), {
    environments: {},
  });
});

test("environments: a URL chooses by exact host, then subdomain, then the default", async () => {
  const runtime = memoryRuntime({ files: { [PATH]: JSON.stringify(CONFIG) } });
  const config = await loadEnvironments({ runtime });
  const name = (url: string, explicit?: string) => chooseEnvironment(config, url, explicit).name;
  assert.equal(name("https://demo.kognic.com/v1/x"), "demo");
  assert.equal(name("https://api.demo.kognic.com/v1/x"), "demo");
  assert.equal(name("https://x.y.app.kognic.com/"), "production");
  assert.equal(name("https://notdemo.kognic.com/"), "production", "default_environment");
  assert.equal(name("https://demo.kognic.com/", "bare"), "bare", "an explicit name wins");
  const error = await thrown(() => chooseEnvironment(config, "https://a/", "staging"));
  assert.equal((error as KognicAuthError).code, "ENVIRONMENT_NOT_FOUND");
  assert.match((error as Error).message, /^Unknown environment "staging"/);
});

test("environments: without a match or default the built-in Kognic environment is used", () => {
  const chosen = chooseEnvironment({ environments: {} }, "https://example.com/");
  assert.deepEqual(chosen, { ...DEFAULT_ENVIRONMENT, scopes: [] });
  assert.equal(chosen.authServer, "https://auth.app.kognic.com");
  const dangling = chooseEnvironment(
    { defaultEnvironment: "gone", environments: {} },
    "https://example.com/",
  );
  assert.equal(dangling.name, "default");
});

test("environments: invalid files are errors that name the file", async () => {
  const bad = [
    "{not json",
    "[]",
    '{"environments": []}',
    '{"environments": {"x": {"host": "h"}}}',
    '{"environments": {"x": {"host": "h", "auth_server": "a", "scopes": "api"}}}',
    '{"environments": {"x": {"host": "h", "auth_server": "a", "credentials": 5}}}',
  ];
  for (const text of bad) {
    const runtime = memoryRuntime({ files: { [PATH]: text } });
    const error = await thrown(() => loadEnvironments({ runtime }));
    assert.equal((error as KognicAuthError).code, "ENVIRONMENTS_INVALID", text);
    assert.ok((error as Error).message.includes(PATH), text);
  }
});

/** environments.json of a "staging" environment on test hosts, and its credentials file. */
const STAGING = {
  environments: {
    staging: {
      host: "app.staging.test",
      auth_server: "https://auth.staging.test",
      credentials: "~/.config/kognic/staging.json",
      scopes: ["api:read", "api:write"],
    },
    other: { host: "other.test", auth_server: "https://auth.other.test" },
  },
};

test("environments: createClient({ environment }) takes hosts, scopes and credentials from the file", async () => {
  const server = createKognicServer();
  const runtime = memoryRuntime({
    files: {
      [PATH]: JSON.stringify(STAGING),
      "/home/user/.config/kognic/staging.json": JSON.stringify(credentialsDocument()),
    },
  });
  const kognic = await createClient({
    environment: "staging",
    runtime,
    fetch: server.fetch as typeof fetch,
  });
  assert.equal(kognic.baseUrl.href, "https://app.staging.test/");
  assert.equal(kognic.provider.tokenUrl.origin, "https://auth.staging.test");
  assert.deepEqual(kognic.provider.scopes, ["api:read", "api:write"]);
  const response = await kognic.fetch("/v1/whoami");
  assert.equal(response.status, 200);
  await response.body?.cancel();
  assert.equal(server.tokenRequests[0].url, "https://auth.staging.test/v1/auth/oauth/token");
  assert.equal(
    new URLSearchParams(server.tokenRequests[0].body).get("scope"),
    "api:read api:write",
  );
  assert.equal(server.apiRequests[0].url, "https://app.staging.test/v1/whoami");

  // Options given win over the environment's; an explicit path is read instead of the default.
  const moved = memoryRuntime({ files: { "/home/user/envs.json": JSON.stringify(STAGING) } });
  const explicit = await createClient({
    environment: "other",
    environmentsPath: "~/envs.json",
    runtime: moved,
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    baseUrl: "https://api.elsewhere.test",
  });
  assert.equal(explicit.baseUrl.href, "https://api.elsewhere.test/");
  assert.equal(explicit.provider.tokenUrl.origin, "https://auth.other.test");
  assert.deepEqual(explicit.provider.scopes, []);
});

test("environments: an unknown environment names the file and the environments it defines", async () => {
  const runtime = memoryRuntime({ files: { [PATH]: JSON.stringify(STAGING) } });
  const error = await thrown(() => createClient({ environment: "prod", runtime }));
  assert.ok(error instanceof AuthError);
  assert.equal(error.code, "ENVIRONMENT_NOT_FOUND");
  assert.equal(
    error.message,
    `Unknown environment "prod": the environments file "${PATH}" defines "staging", "other"`,
  );
  const none = await thrown(() => createClient({ environment: "prod", runtime: memoryRuntime() }));
  assert.equal((none as AuthError).code, "ENVIRONMENT_NOT_FOUND");
  assert.match((none as Error).message, /defines none/);
});

test("environments: edgeClient takes KOGNIC_ENVIRONMENT from the KOGNIC_ENVIRONMENTS binding", async () => {
  const server = createKognicServer();
  const env = {
    KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
    KOGNIC_CLIENT_SECRET: CANARY_SECRET,
    KOGNIC_ENVIRONMENT: "staging",
    KOGNIC_ENVIRONMENTS: JSON.stringify(STAGING),
  };
  const kognic = edgeClient(env, { fetch: server.fetch as typeof fetch });
  assert.equal(kognic.baseUrl.href, "https://app.staging.test/");
  assert.deepEqual(kognic.provider.scopes, ["api:read", "api:write"]);
  await (await kognic.fetch("/v1/whoami")).body?.cancel();
  assert.equal(server.tokenRequests[0].url, "https://auth.staging.test/v1/auth/oauth/token");
  // A JSON variable (an object) works as well as its text; the option names another one.
  const other = edgeClient({ ...env, KOGNIC_ENVIRONMENTS: STAGING }, { environment: "other" });
  assert.equal(other.baseUrl.href, "https://other.test/");
  const error = await thrown(() => edgeClient({ ...env, KOGNIC_ENVIRONMENT: "prod" }));
  assert.equal((error as AuthError).code, "ENVIRONMENT_NOT_FOUND");
  assert.equal(
    (error as Error).message,
    'Unknown environment "prod": the environments binding KOGNIC_ENVIRONMENTS defines "staging", "other"',
  );
});

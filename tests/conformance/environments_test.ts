// environments.json (SPEC §7): loading and the choice of an environment for a URL.
import assert from "node:assert/strict";
import {
  chooseEnvironment,
  DEFAULT_ENVIRONMENT,
  defaultEnvironmentsPath,
  type KognicAuthError,
  loadEnvironments,
} from "../../mod.ts";
import { edgeRuntime } from "../../src/runtime/edge.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import { test } from "../support/harness.ts";
import { thrown } from "../support/fixtures.ts";

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

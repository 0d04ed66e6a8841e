// Environment selection by URL against Kognic's Python `kognic-auth` (the oracle): the same
// environments.json and URLs, `resolve_environment` there and `chooseEnvironment` here.
import assert from "node:assert/strict";
import { chooseEnvironment, loadEnvironments } from "../../src/credentials/environments.ts";
import { detectRuntime } from "../../src/runtime/mod.ts";
import { test } from "../support/harness.ts";
import { sandbox } from "../support/cli.ts";
import { runPython } from "../support/oracle.ts";

const CONFIG = {
  default_environment: "fallback",
  environments: {
    prod: { host: "app.kognic.com", auth_server: "https://auth.app.kognic.com" },
    ipv6: { host: "::1", auth_server: "http://[::1]:8001", credentials: "" },
    short: { host: "127.1", auth_server: "http://127.1:8001" },
    loopback: { host: "127.0.0.1", auth_server: "http://127.0.0.1:8001" },
    idn: { host: "bücher.example", auth_server: "https://auth.bücher.example" },
    puny: { host: "xn--caf-dma.example", auth_server: "https://auth.cafe.example" },
    upper: { host: "Upper.Example", auth_server: "https://auth.upper.example" },
    fallback: {
      host: "fallback.example",
      auth_server: "https://auth.fallback.example",
      credentials: "~/fallback.json",
    },
  },
};

const URLS = [
  "https://app.kognic.com/v1/projects",
  "https://api.app.kognic.com/v1",
  "https://APP.KOGNIC.COM/",
  "http://[::1]:8080/x",
  "http://[::1]/",
  "http://[0:0::1]/",
  "http://127.1:8080/",
  "http://127.0.0.1/",
  "http://127.000.000.001/",
  "https://bücher.example/",
  "https://xn--bcher-kva.example/",
  "https://café.example/",
  "https://xn--caf-dma.example/",
  "https://upper.example/",
  "https://user:pw@app.kognic.com:443/",
  "https://user@sub.app.kognic.com/",
  "https://evilapp.kognic.com/",
  "https://app.kognic.com.evil.example/",
  "app.kognic.com/v1",
  "//app.kognic.com/v1",
  " https://app.kognic.com/",
  "https://app.kog\tnic.com/",
  "https://app.kognic.com?x=1",
  "https://app.kognic.com#frag",
  "not a url",
  "",
];

test("interop: environment selection by URL agrees with Python's resolve_environment", async () => {
  const box = await sandbox();
  try {
    const path = await box.write("config/kognic/environments.json", JSON.stringify(CONFIG));
    const python = await runPython(
      `import json, sys
from kognic.auth.env_config import load_kognic_env_config, resolve_environment
config = load_kognic_env_config(sys.argv[1])
out = []
for url in json.load(sys.stdin):
    env = resolve_environment(config, url)
    out.append([env.name, env.auth_server, env.credentials or None])
print(json.dumps(out))`,
      { env: box.env, args: [path], stdin: JSON.stringify(URLS) },
    );
    assert.equal(python.code, 0, python.stderr);
    const theirs: [string, string, string | null][] = JSON.parse(python.stdout);
    const base = await detectRuntime();
    const runtime = { ...base, env: (name: string) => box.env[name], homeDir: () => box.home };
    const config = await loadEnvironments({ path, runtime });
    const ours = URLS.map((url) => {
      const chosen = chooseEnvironment(config, url);
      return [chosen.name, chosen.authServer, chosen.credentials ?? null];
    });
    const differences = URLS.flatMap((url, index) =>
      JSON.stringify(ours[index]) === JSON.stringify(theirs[index]) ? [] : [
        `${JSON.stringify(url)}: python ${JSON.stringify(theirs[index])}, ours ${
          JSON.stringify(ours[index])
        }`,
      ]
    );
    assert.deepEqual(differences, []);
  } finally {
    await box.close();
  }
}, { needs: ["python", "fs", "subprocess"], timeout: 60_000 });

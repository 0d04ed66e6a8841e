// Token interop with Kognic's Python `kognic-auth` (the oracle): the raw token request bytes of
// both tools for every credential and scope shape, the cache keys, and the token caches (file,
// keyring, `auto`) written by one tool and read by the other, with no extra token request.
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { Credentials } from "../../mod.ts";
import { TokenProvider } from "../../src/core.ts";
import { parseCredentials } from "../../src/credentials/parse.ts";
import { createTokenStore } from "../../src/stores/mod.ts";
import { fileTokenStore } from "../../src/stores/file.ts";
import { detectRuntime } from "../../src/runtime/mod.ts";
import { test } from "../support/harness.ts";
import { type Sandbox, sandbox } from "../support/cli.ts";
import { runPython } from "../support/oracle.ts";
import { rawServer } from "../support/raw_server.ts";

interface Captured {
  requestLine: string;
  headers: Record<string, string>;
  body: string;
}

/** A raw token endpoint that records every request and answers a token of `expiresIn` seconds. */
async function tokenServer(expiresIn = 3600) {
  const captured: Captured[] = [];
  const server = await rawServer((socket: Socket, head: string, body: string) => {
    const [requestLine, ...lines] = head.split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const at = line.indexOf(":");
      headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
    }
    captured.push({ requestLine, headers, body });
    const json = JSON.stringify({
      access_token: `token-${captured.length}`,
      token_type: "Bearer",
      expires_in: expiresIn,
    });
    socket.end(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
        `Content-Length: ${
          new TextEncoder().encode(json).length
        }\r\nConnection: close\r\n\r\n${json}`,
    );
  });
  return { ...server, captured };
}

/** Credential and scope shapes: an auth pair or a credentials document, explicit scopes. */
const SHAPES: { name: string; auth: string[] | Record<string, unknown>; scopes?: string[] }[] = [
  { name: "plain pair", auth: ["client-id", "client-secret"] },
  {
    name: "special characters, two scopes",
    auth: ["a b+c&d=é%", "x/y?z%~!*'()\"#[]@$,;:"],
    scopes: ["api:read", "api:write"],
  },
  { name: "unicode", auth: ["ünïcødé-🔑", "sécrét 密码 🔒"], scopes: ["ü ñ", "日本"] },
  { name: "empty scopes", auth: ["id", "s"], scopes: [] },
  { name: "one scope", auth: ["id", "s"], scopes: ["api"] },
  { name: "every ASCII punctuation", auth: ["id", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ "] },
  {
    name: "file scopes",
    auth: {
      clientId: "file-id",
      clientSecret: "file-secret",
      email: "e@x",
      userId: 1,
      issuer: "i",
      scopes: ["f:one", "f:two"],
    },
  },
  {
    name: "explicit scopes over file scopes",
    auth: {
      clientId: "file-id",
      clientSecret: "file-secret",
      email: "e@x",
      userId: 1,
      issuer: "i",
      scopes: ["f:one"],
    },
    scopes: ["explicit"],
  },
];

/**
 * Headers that may differ between the tools: who is asking, HTTP-level details, and what the
 * runtime's `fetch` adds on its own (undici: `accept-language`, `sec-fetch-mode`).
 */
const MAY_DIFFER = new Set([
  "user-agent",
  "accept-encoding",
  "connection",
  "accept",
  "accept-language",
  "sec-fetch-mode",
]);

function credentialsOf(auth: string[] | Record<string, unknown>): Credentials {
  return Array.isArray(auth)
    ? new Credentials({ clientId: auth[0], clientSecret: auth[1] })
    : parseCredentials(auth);
}

test(
  "interop: token request bytes equal Python's for every credential and scope shape",
  async () => {
    const server = await tokenServer();
    const host = `${server.url}/prefix`; // an auth server with a path: kept, as in Python
    try {
      const python = await runPython(
        `import json, sys
from kognic.auth.requests.auth_session import RequestsAuthSession
request = json.load(sys.stdin)
for shape in request["shapes"]:
    auth = shape["auth"]
    auth = tuple(auth) if isinstance(auth, list) else auth
    RequestsAuthSession(auth=auth, host=request["host"], scopes=shape.get("scopes")).ensure_token()`,
        { stdin: JSON.stringify({ host, shapes: SHAPES }) },
      );
      assert.equal(python.code, 0, python.stderr);
      const theirs = server.captured.splice(0);
      for (const shape of SHAPES) {
        const provider = new TokenProvider({
          credentials: credentialsOf(shape.auth),
          authHost: host,
          scopes: shape.scopes,
        });
        await provider.getToken();
      }
      const ours = server.captured.splice(0);
      assert.equal(theirs.length, SHAPES.length);
      assert.equal(ours.length, SHAPES.length);
      const differing = new Set<string>();
      for (const [index, shape] of SHAPES.entries()) {
        const [a, b] = [theirs[index], ours[index]];
        assert.equal(b.requestLine, a.requestLine, shape.name);
        assert.equal(a.requestLine, "POST /prefix/v1/auth/oauth/token HTTP/1.1");
        assert.equal(b.body, a.body, shape.name);
        for (const name of ["content-type", "content-length", "host", "authorization"]) {
          assert.equal(b.headers[name], a.headers[name], `${shape.name}: ${name}`);
        }
        for (const name of new Set([...Object.keys(a.headers), ...Object.keys(b.headers)])) {
          if (a.headers[name] !== b.headers[name]) differing.add(name);
        }
      }
      const unexpected = [...differing].filter((name) => !MAY_DIFFER.has(name));
      assert.deepEqual(unexpected, [], "headers that differ beyond User-Agent and HTTP details");
    } finally {
      await server.close();
    }
  },
  { needs: ["python", "sockets", "subprocess"], timeout: 60_000 },
);

test("interop: cache keys equal Python's for every host, scope and credentials shape", async () => {
  const hosts = ["https://auth.app.kognic.com", "http://127.0.0.1:1/prefix", "https://auth.x/"];
  const scopeSets = [undefined, [], ["a"], ["api:read", "api:write"]];
  const rows: { host: string; auth: Record<string, unknown>; scopes?: string[] }[] = [];
  for (const host of hosts) {
    for (const scopes of scopeSets) {
      for (const fileScopes of [undefined, ["f:one", "f:two"]]) {
        rows.push({
          host,
          scopes,
          auth: {
            clientId: "id",
            clientSecret: "s",
            email: "",
            userId: 0,
            issuer: "",
            ...(fileScopes ? { scopes: fileScopes } : {}),
          },
        });
      }
    }
  }
  // The key Python's make_token_provider loads under, through a recording cache.
  const python = await runPython(
    `import json, sys
from kognic.auth.internal.token_cache import TokenCache
from kognic.auth.internal.token_cache._base import make_key
from kognic.auth.requests.base_client import make_token_provider
keys = []
class Recording(TokenCache):
    def load(self, auth_server, client_id, scopes=None):
        keys.append(make_key(auth_server, client_id, scopes))
    def save(self, *args, **kwargs): pass
    def clear(self, *args, **kwargs): pass
for row in json.load(sys.stdin):
    make_token_provider(auth=row["auth"], auth_host=row["host"], token_cache=Recording(), scopes=row.get("scopes"))
print(json.dumps(keys))`,
    { stdin: JSON.stringify(rows) },
  );
  assert.equal(python.code, 0, python.stderr);
  const theirs: string[] = JSON.parse(python.stdout);
  const ours = await Promise.all(rows.map((row) =>
    new TokenProvider({
      credentials: parseCredentials(row.auth),
      authHost: row.host,
      scopes: row.scopes,
      allowInsecureHttp: true,
    }).cacheKey()
  ));
  assert.deepEqual(ours, theirs);
}, { needs: ["python", "subprocess"], timeout: 60_000 });

/** Python's file token cache in the sandbox: load then save, printing what it loaded. */
function pythonFileCache(box: Sandbox, code: string, args: string[]) {
  return runPython(
    `import json, sys, time
from kognic.auth.internal.token_cache import FileTokenCache
cache = FileTokenCache()
${code}`,
    { env: box.env, args },
  );
}

test(
  "interop: the file token cache written alternately 20 times is read by both, nothing lost",
  async () => {
    const box = await sandbox();
    const runtime = await detectRuntime();
    const host = "https://auth.app.kognic.com";
    const env: Record<string, string> = { ...box.env };
    const store = fileTokenStore({
      runtime: { ...runtime, env: (name) => env[name], homeDir: () => box.home },
    });
    assert.equal(await store.path(), box.cachePath);
    try {
      // Entries only one tool writes, which the other must leave alone.
      await store.save(`${host}:ours-only`, {
        access_token: "ours-only",
        token_type: "Bearer",
        expires_at: Math.floor(Date.now() / 1000) + 3600,
      });
      const first = await pythonFileCache(
        box,
        `cache.save(sys.argv[1], "python-only", {"access_token": "python-only", "token_type": "Bearer", "expires_in": 3600, "expires_at": int(time.time()) + 3600})`,
        [host],
      );
      assert.equal(first.code, 0, first.stderr);
      for (let round = 0; round < 20; round++) {
        const key = `${host}:shared`;
        await store.save(key, {
          access_token: `ours-${round}`,
          token_type: "Bearer",
          expires_in: 3600,
          expires_at: Math.floor(Date.now() / 1000) + 3600,
        });
        const ran = await pythonFileCache(
          box,
          `print(cache.load(sys.argv[1], "shared")["access_token"], cache.load(sys.argv[1], "ours-only")["access_token"])
cache.save(sys.argv[1], "shared", {"access_token": sys.argv[2], "token_type": "Bearer", "expires_in": 3600, "expires_at": int(time.time()) + 3600})`,
          [host, `python-${round}`],
        );
        assert.equal(ran.stdout, `ours-${round} ours-only\n`, ran.stderr);
        assert.equal((await store.load(key))?.access_token, `python-${round}`);
        assert.equal((await store.load(`${host}:python-only`))?.access_token, "python-only");
      }
    } finally {
      await box.close();
    }
  },
  { needs: ["python", "fs", "subprocess"], timeout: 120_000 },
);

async function crossToolRequests(mode: "file" | "auto", keyring: boolean) {
  const box = await sandbox({ keyring });
  // 55 s: inside this project's 60 s refresh leeway, outside the 30 s margin both tools keep.
  const server = await tokenServer(55);
  const base = await detectRuntime();
  const env: Record<string, string> = { ...box.env };
  const runtime = {
    ...base,
    env: (name: string) => env[name],
    homeDir: () => box.home,
    keyring: keyring ? base.keyring : undefined,
  };
  const clientId = `cross-${crypto.randomUUID().slice(0, 8)}`;
  const python = () =>
    runPython(
      `import sys
from kognic.auth.internal.token_cache import make_cache
from kognic.auth.requests.base_client import make_token_provider
provider = make_token_provider(auth=(sys.argv[2], "secret"), auth_host=sys.argv[1], token_cache=make_cache(sys.argv[3]))
print(provider.ensure_token()["access_token"])`,
      { env: box.env, keyring, args: [server.url, clientId, mode] },
    );
  const ours = async () =>
    await new TokenProvider({
      credentials: new Credentials({ clientId, clientSecret: "secret" }),
      authHost: server.url,
      store: await createTokenStore(mode, { runtime }),
    }).getToken();
  try {
    // Python fetches and stores; this project reuses it without a request, and back.
    const first = await python();
    assert.equal(first.stdout, "token-1\n", first.stderr);
    assert.equal(await ours(), "token-1");
    assert.equal(server.captured.length, 1, "this project reused Python's token");
    return { box, server, ours, python, runtime, clientId };
  } catch (error) {
    await server.close();
    await box.close();
    throw error;
  }
}

test(
  "interop: a cached token with under 60 s left is reused across tools, file cache both ways",
  async () => {
    const { box, server, ours, python } = await crossToolRequests("file", false);
    try {
      await box.write("cache/kognic-auth/tokens.json", "{}");
      assert.equal(await ours(), "token-2");
      const ran = await python();
      assert.equal(ran.stdout, "token-2\n", ran.stderr);
      assert.equal(server.captured.length, 2, "Python reused this project's token");
    } finally {
      await server.close();
      await box.close();
    }
  },
  { needs: ["python", "fs", "sockets", "subprocess"], timeout: 60_000 },
);

test(
  "interop: a token with 45 s of 3600 left, stored by either tool, is used by the other without a request",
  async () => {
    const box = await sandbox();
    const server = await tokenServer(3600);
    const base = await detectRuntime();
    const env: Record<string, string> = { ...box.env };
    const runtime = { ...base, env: (name: string) => env[name], homeDir: () => box.home };
    const store = fileTokenStore({ runtime });
    const python = (code: string, ...args: string[]) =>
      runPython(
        `import sys, time
from kognic.auth.internal.token_cache import FileTokenCache
from kognic.auth.requests.base_client import make_token_provider
${code}`,
        { env: box.env, args: [server.url, ...args] },
      );
    const ours = (clientId: string) =>
      new TokenProvider({
        credentials: new Credentials({ clientId, clientSecret: "secret" }),
        authHost: server.url,
        store,
      });
    try {
      // Python stores (as an hour-old token would be), this project uses it.
      const stored = await python(
        `FileTokenCache().save(sys.argv[1], "py", {"access_token": "python-token", "token_type": "Bearer", "expires_in": 3600, "expires_at": int(time.time()) + 45})`,
      );
      assert.equal(stored.code, 0, stored.stderr);
      const provider = ours("py");
      assert.equal(await provider.getToken(), "python-token");
      assert.equal(await provider.getToken(), "python-token");
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(server.captured.length, 0, "no request, not even in the background");
      // This project stores the same shape, Python uses it.
      await store.save(`${server.url}:ours`, {
        access_token: "our-token",
        token_type: "Bearer",
        expires_in: 3600,
        expires_at: Math.floor(Date.now() / 1000) + 45,
      });
      const ran = await python(
        `print(make_token_provider(auth=("ours", "secret"), auth_host=sys.argv[1], token_cache=FileTokenCache()).ensure_token()["access_token"])`,
      );
      assert.equal(ran.stdout, "our-token\n", ran.stderr);
      assert.equal(server.captured.length, 0);
    } finally {
      await server.close();
      await box.close();
    }
  },
  { needs: ["python", "fs", "sockets", "subprocess"], timeout: 60_000 },
);

test("interop: the auto token cache with a keyring is shared both ways", async () => {
  const { box, server, ours, python, runtime, clientId } = await crossToolRequests("auto", true);
  try {
    await runtime.keyring!.delete("kognic-auth", `${server.url}:${clientId}`);
    assert.equal(await ours(), "token-2");
    const ran = await python();
    assert.equal(ran.stdout, "token-2\n", ran.stderr);
    assert.equal(server.captured.length, 2, "Python reused this project's token");
  } finally {
    await runtime.keyring!.delete("kognic-auth", `${server.url}:${clientId}`).catch(() => {});
    await server.close();
    await box.close();
  }
}, { needs: ["python", "keyring", "fs", "sockets", "subprocess"], timeout: 60_000 });

test(
  "interop: the auto token cache without a keyring: this project's file is read by Python's file mode, never lost",
  async () => {
    const box = await sandbox();
    const server = await tokenServer(3600);
    const base = await detectRuntime();
    const env: Record<string, string> = { ...box.env };
    const runtime = {
      ...base,
      env: (name: string) => env[name],
      homeDir: () => box.home,
      keyring: undefined,
    };
    const run = (mode: string) =>
      runPython(
        `import sys
from kognic.auth.internal.token_cache import make_cache
from kognic.auth.requests.base_client import make_token_provider
provider = make_token_provider(auth=("id", "secret"), auth_host=sys.argv[1], token_cache=make_cache(sys.argv[2]))
print(provider.ensure_token()["access_token"])`,
        { env: box.env, args: [server.url, mode] },
      );
    try {
      const token = await new TokenProvider({
        credentials: new Credentials({ clientId: "id", clientSecret: "secret" }),
        authHost: server.url,
        store: await createTokenStore("auto", { runtime }),
      }).getToken();
      assert.equal(token, "token-1");
      const file = await run("file");
      assert.equal(file.stdout, "token-1\n", file.stderr);
      // Python's auto mode picks a keyring it cannot use, caches nothing and asks anew: its bug,
      // and it leaves this project's file entry alone.
      const auto = await run("auto");
      assert.equal(auto.stdout, "token-2\n", auto.stderr);
      assert.equal(
        (await fileTokenStore({ runtime }).load(`${server.url}:id`))?.access_token,
        "token-1",
      );
    } finally {
      await server.close();
      await box.close();
    }
  },
  { needs: ["python", "fs", "sockets", "subprocess"], timeout: 60_000 },
);

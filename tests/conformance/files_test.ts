// The token cache file under stress and attack: many writer processes at once, a symlink planted
// at its path, a directory that cannot be written.
import assert from "node:assert/strict";
import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileTokenStore } from "../../src/stores/file.ts";
import { test } from "../support/harness.ts";
import { entryCommand, repoPath, runProgram, sandbox } from "../support/cli.ts";
import { createKognicServer } from "../support/kognic_server.ts";
import { serve } from "../support/serve.ts";
import { credentialsDocument } from "../support/fixtures.ts";

const NEEDS = { needs: ["subprocess", "fs"] as const, timeout: 60_000 };

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "kognic-files-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test(
  "files: 12 writer processes at once leave valid JSON with all 12 entries, mode 0600",
  async () => {
    await inTemp(async (dir) => {
      const path = join(dir, "kognic-auth", "tokens.json");
      await mkdir(join(dir, "kognic-auth"));
      await writeFile(
        path,
        JSON.stringify({ "foreign:entry": { access_token: "python's" } }, null, 2),
      );
      const [command, base] = entryCommand(repoPath("tests/support/cache_writer.ts"));
      const keys = Array.from({ length: 12 }, (_, i) => `https://auth.test:client-${i}`);
      const runs = await Promise.all(keys.map((key) => runProgram(command, [...base, path, key])));
      for (const ran of runs) assert.equal(ran.code, 0, ran.stderr);
      const cache = JSON.parse(await readFile(path, "utf8"));
      assert.deepEqual(Object.keys(cache).sort(), ["foreign:entry", ...keys].sort());
      for (const key of keys) assert.equal(cache[key].access_token, `token-of-${key}`);
      assert.equal((await stat(path)).mode & 0o777, 0o600);
    });
  },
  NEEDS,
);

test(
  "files: a symlink planted at the cache path is replaced, never followed to overwrite its target",
  async () => {
    await inTemp(async (dir) => {
      const victim = join(dir, "victim.txt");
      await writeFile(victim, "precious");
      const path = join(dir, "cache", "tokens.json");
      await mkdir(join(dir, "cache"));
      await symlink(victim, path);
      await fileTokenStore({ path }).save("k", { access_token: "t", token_type: "Bearer" });
      assert.equal(await readFile(victim, "utf8"), "precious");
      assert.ok((await lstat(path)).isFile(), "the link itself was replaced by the cache file");
      assert.equal(JSON.parse(await readFile(path, "utf8")).k.access_token, "t");
    });
  },
  { needs: ["fs"] },
);

test(
  "files: a cache directory that cannot be written degrades to no cache; the call succeeds and -v says why",
  async () => {
    const kognic = createKognicServer();
    const served = await serve(kognic.fetch);
    const box = await sandbox();
    try {
      const credentials = await box.write(
        "credentials.json",
        JSON.stringify(credentialsDocument()),
      );
      // XDG_CACHE_HOME is a file: no directory can be made below it, whoever runs the test.
      await writeFile(box.env.XDG_CACHE_HOME, "not a directory");
      const ran = await box.run("kognic-auth", [
        "-v",
        "get-access-token",
        "--server",
        served.url,
        "--credentials",
        credentials,
        "--token-cache",
        "file",
      ]);
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(ran.stdout.trim(), kognic.issuedTokens[0]);
      assert.match(ran.stderr, /Could not write the file token cache/);
      assert.ok(!ran.stderr.includes(kognic.issuedTokens[0]));
    } finally {
      await served.close();
      await box.close();
    }
  },
  { needs: ["subprocess", "sockets", "fs"], timeout: 60_000 },
);

// The package's manifests: deno.json (what `deno publish` reads from the root) and jsr.json
// (JSR's own manifest) hold the same name, version, exports and files; package.json's exports
// mirror them, so that a local path install or `bun link` (a symlink in node_modules) resolves
// every entry on Node and Bun.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { VERSION } from "../../mod.ts";
import { test } from "../support/harness.ts";
import { repoPath, runProgram } from "../support/cli.ts";

async function manifest(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(repoPath(file), "utf8"));
}

test(
  "package: VERSION, name and exports are the same in deno.json, jsr.json and package.json",
  async () => {
    const deno = await manifest("deno.json");
    const jsr = await manifest("jsr.json");
    const npm = await manifest("package.json");
    assert.equal(deno.version, VERSION);
    assert.equal(npm.version, VERSION);
    assert.equal(npm.name, deno.name);
    assert.deepEqual(npm.exports, deno.exports, "package.json's exports mirror deno.json's");
    // Two JSR manifests must never drift apart: jsr.json is deno.json's package part.
    const { publish, ...rest } = jsr as { publish: { include: string[]; exclude: string[] } };
    const denoPublish = deno.publish as { include: string[]; exclude: string[] };
    assert.deepEqual(rest, {
      name: deno.name,
      version: deno.version,
      license: deno.license,
      exports: deno.exports,
      imports: deno.imports,
    });
    // The one dependency, of @kognic/auth/otel alone: the same major version on npm and JSR. Hono
    // (for ./hono and ./testing) is the application's own, installed beside this package on npm.
    assert.deepEqual(deno.imports, {
      hono: "npm:hono@^4.6.0",
      "@hono/node-server": "npm:@hono/node-server@^1.13.0 || ^2.0.0",
      "@opentelemetry/api": "npm:@opentelemetry/api@^1",
    });
    assert.deepEqual(Object.keys(npm.dependencies as object), ["@opentelemetry/api"]);
    assert.match((npm.dependencies as Record<string, string>)["@opentelemetry/api"], /^[~^]1\./);
    assert.deepEqual(publish.include.filter((file) => file !== "jsr.json"), denoPublish.include);
    assert.deepEqual(publish.exclude, denoPublish.exclude);
  },
  { needs: ["fs"] },
);

test(
  "package: Node and Bun resolve every entry through a symlinked node_modules/@kognic/auth",
  async () => {
    const { exports } = await manifest("deno.json") as { exports: Record<string, string> };
    const dir = await mkdtemp(join(tmpdir(), "kognic-auth-link-"));
    try {
      await mkdir(join(dir, "node_modules", "@kognic"), { recursive: true });
      await symlink(repoPath(""), join(dir, "node_modules", "@kognic", "auth"), "dir");
      // Each entry's export names, as Node and Bun see them from a project that installed it.
      const entries = Object.keys(exports).map((key) => `@kognic/auth${key.slice(1)}`);
      await writeFile(
        join(dir, "use.mjs"),
        `const out = {};\nfor (const entry of ${JSON.stringify(entries)}) {\n` +
          `  out[entry] = Object.keys(await import(entry)).sort();\n}\n` +
          `console.log(JSON.stringify(out));\n`,
      );
      for (
        const runtime of [
          repoPath("node_modules/node24/bin/node"),
          repoPath("node_modules/.bin/bun"),
        ]
      ) {
        const ran = await runProgram(runtime, [join(dir, "use.mjs")]);
        assert.equal(ran.code, 0, ran.stderr);
        const seen = JSON.parse(ran.stdout);
        assert.ok(seen["@kognic/auth"].includes("createClient"), runtime);
        assert.ok(seen["@kognic/auth/hono"].includes("kognicClient"), runtime);
        assert.ok(seen["@kognic/auth/core"].includes("requestToken"), runtime);
        assert.ok(seen["@kognic/auth/otel"].includes("instrumentAll"), runtime);
        assert.deepEqual(Object.keys(seen), entries);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  { needs: ["fs", "subprocess"], timeout: 60_000 },
);

test(
  "package: after `npm install <checkout>` and `bun link`, kog, kognic-auth and " +
    "kognic-test-server run through their bins on Node 24, Node 22 and Bun",
  async () => {
    const project = await mkdtemp(join(tmpdir(), "kognic-auth-install-"));
    const bunHome = await mkdtemp(join(tmpdir(), "kognic-auth-bun-"));
    // The bins' home: what their caches write stays out of the user's.
    const home = await mkdtemp(join(tmpdir(), "kognic-auth-home-"));
    const node24 = repoPath("node_modules/node24/bin");
    const node22 = repoPath("node_modules/node22/bin");
    const bun = repoPath("node_modules/.bin/bun");
    const env = (path: string) => ({ ...process.env, PATH: `${path}:${process.env.PATH}` });
    const binEnv = (path: string) => {
      const vars: Record<string, string | undefined> = {
        ...env(path),
        HOME: home,
        XDG_CACHE_HOME: join(home, ".cache"),
      };
      delete vars.NODE_COMPILE_CACHE;
      return vars as Record<string, string>;
    };
    try {
      await writeFile(join(project, "package.json"), '{"name":"user-project","version":"1.0.0"}');
      const installed = await runProgram(
        "npm",
        ["install", "--offline", "--no-audit", "--no-fund", "--prefix", project, repoPath("")],
        { env: env(node24) as Record<string, string> },
      );
      assert.equal(installed.code, 0, installed.stderr);
      const usage = {
        kog: /^usage: kog \[-h\]/,
        "kognic-auth": /^usage: kognic-auth \[-h\]/,
        "kognic-test-server": /^usage: kognic-test-server/,
      };
      for (const path of [node24, node22]) {
        for (const [name, expected] of Object.entries(usage)) {
          const bin = join(project, "node_modules", ".bin", name);
          const ran = await runProgram(bin, ["--help"], { env: binEnv(path) });
          assert.equal(ran.code, 0, `${name} on ${path}: ${ran.stderr}`);
          assert.match(ran.stdout, expected);
        }
      }
      // Node 22's stripped modules and the compile cache went to the home given.
      const caches = await readdir(join(home, ".cache", "kognic-auth-js"));
      assert.ok(caches.includes("compile"), String(caches));
      const stripped = caches.find((name) => name.startsWith("node-22."));
      assert.ok(stripped, String(caches));
      const kept = await readdir(join(home, ".cache", "kognic-auth-js", stripped));
      assert.ok(kept.some((name) => name.endsWith(".ts.js")), String(kept));
      // bun link: register the checkout (in a private BUN_INSTALL), link it into a project.
      const linkEnv = { ...process.env, BUN_INSTALL: bunHome } as Record<string, string>;
      const linked = await runProgram("sh", [
        "-c",
        `cd "$1" && "$2" link >/dev/null && cd "$3" && rm -rf node_modules package-lock.json && ` +
        `"$2" link @kognic/auth >/dev/null && "$2" node_modules/.bin/kog --help`,
        "sh",
        repoPath(""),
        bun,
        project,
      ], { env: linkEnv });
      assert.equal(linked.code, 0, linked.stderr);
      assert.match(linked.stdout, usage.kog);
    } finally {
      await rm(project, { recursive: true, force: true });
      await rm(bunHome, { recursive: true, force: true });
      await rm(home, { recursive: true, force: true });
    }
  },
  { needs: ["fs", "subprocess"], timeout: 120_000 },
);

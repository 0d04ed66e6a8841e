// Checks every code block of README.md, CONTRIBUTING.md and docs/*.md (a step of npm test):
// - TypeScript blocks are written to .doc-blocks/ and type-checked with `deno check` against the
//   package's own exports (`@kognic/auth/...` mapped to the files of this checkout);
// - shell blocks are parsed with `bash -n`, JSON blocks with JSON.parse;
// - blocks marked to run (info string `run=deno,bun,node24`, `hono=…`, `redis=…`) run on each
//   runtime named, against the Kognic test server of `@kognic/auth/testing`;
// - docs/errors.md lists every code of KognicAuthErrorCode, once.
// A block opts out with a visible reason in its info string: ```ts not-checked: <reason>.
// Usage: node scripts/check_docs.ts [file filter]
import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { startTestServer } from "../src/testing/mod.ts";
import { extractBlocks } from "../tests/docs/blocks.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const out = join(root, ".doc-blocks");
const RUNTIMES: Record<string, string[]> = {
  deno: [
    "node_modules/.bin/deno",
    "run",
    "-A",
    "--quiet",
    "--no-lock",
    "--import-map=.doc-blocks/import_map.json",
  ],
  bun: ["node_modules/.bin/bun"],
  node24: ["node_modules/node24/bin/node"],
  node22: ["node_modules/node22/bin/node"],
};
const filter = process.argv[2];
const failures: string[] = [];
const counts = { typescript: 0, shell: 0, json: 0, runs: 0, optedOut: 0, other: 0 };

function exec(
  command: string,
  args: string[],
  env: Record<string, string | undefined> = process.env,
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: root,
      env,
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk) => (stdout += chunk));
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (input !== undefined) {
      // A child that exits without reading its input must not fail the check with EPIPE.
      child.stdin!.on("error", () => {});
      child.stdin!.end(input);
    }
  });
}

async function onPath(name: string): Promise<boolean> {
  return (await exec("sh", ["-c", `command -v ${name}`]).catch(() => ({ code: 1 }))).code === 0;
}

// The documents.
const docs = [
  "README.md",
  "CONTRIBUTING.md",
  ...(await readdir(join(root, "docs")))
    .filter((file) => file.endsWith(".md")).sort().map((file) => `docs/${file}`),
]
  .filter((file) => !filter || file.includes(filter));
const blocks = [];
for (const doc of docs) blocks.push(...extractBlocks(doc, await readFile(join(root, doc), "utf8")));

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

// The import map: the package's exports and imports as this checkout has them.
const deno = JSON.parse(await readFile(join(root, "deno.json"), "utf8"));
const imports: Record<string, string> = { ...deno.imports };
for (const [key, target] of Object.entries(deno.exports as Record<string, string>)) {
  imports[`@kognic/auth${key.slice(1)}`] = `../${target.slice(2)}`;
}
await writeFile(join(out, "import_map.json"), JSON.stringify({ imports }, null, 2));

const examples = new Map<string, string>();
for (const file of await readdir(join(root, "examples"))) {
  examples.set(await readFile(join(root, "examples", file), "utf8"), `examples/${file}`);
}

const typescript: { file: string; where: string }[] = [];
const runs: { file: string; where: string; mode: string; runtime: string; ownServer: boolean }[] =
  [];
for (const block of blocks) {
  const where = `${block.doc}:${block.line}`;
  if (block.optOut !== undefined) {
    if (!block.optOut.trim()) failures.push(`${where}: "not-checked:" needs a reason`);
    counts.optedOut++;
    continue;
  }
  if (["ts", "typescript", "js", "javascript"].includes(block.lang)) {
    const file = `.doc-blocks/${block.doc.replace(/[/.]/g, "_")}_L${block.line}.ts`;
    // Each block is a module of its own; blocks without an import or export still are.
    await writeFile(join(root, file), `${block.code}\nexport {};\n`);
    typescript.push({ file, where });
    counts.typescript++;
    for (const [mode, runtimes] of Object.entries(block.attributes)) {
      if (!["run", "hono", "redis"].includes(mode)) {
        failures.push(`${where}: unknown attribute "${mode}"`);
        continue;
      }
      for (const runtime of runtimes.split(",")) {
        if (!RUNTIMES[runtime]) failures.push(`${where}: unknown runtime "${runtime}"`);
        // A block that starts its own test server asserts on what that one saw.
        else {runs.push({
            file,
            where,
            mode,
            runtime,
            ownServer: /@kognic\/auth\/testing/.test(block.code),
          });}
      }
    }
  } else if (["sh", "bash", "shell"].includes(block.lang)) {
    const parsed = await exec("bash", ["-n"], process.env, block.code);
    if (parsed.code !== 0) failures.push(`${where}: shell syntax: ${parsed.stderr.trim()}`);
    counts.shell++;
  } else if (block.lang === "json") {
    try {
      JSON.parse(block.code);
    } catch (error) {
      failures.push(`${where}: JSON: ${(error as Error).message}`);
    }
    counts.json++;
  } else {
    counts.other++;
  }
}

// Type-check all TypeScript blocks at once.
if (typescript.length > 0) {
  const checked = await exec(RUNTIMES.deno[0], [
    "check",
    "--quiet",
    "--no-lock",
    "--import-map=.doc-blocks/import_map.json",
    ...typescript.map((block) => block.file),
  ], { ...process.env, NO_COLOR: "1" });
  if (checked.code !== 0) {
    let text = checked.stdout + checked.stderr;
    for (const block of typescript) text = text.replaceAll(join(root, block.file), block.where);
    failures.push(`type check:\n${text.trim()}`);
  }
}

// Run the marked blocks against the test server.
const redisAvailable = await onPath("redis-server");
const kognic = await startTestServer();
const home = join(tmpdir(), `kognic-doc-blocks-${process.pid}`);
await mkdir(home, { recursive: true });
try {
  for (const run of runs) {
    let redis: { url: string; stop(): Promise<void> } | undefined;
    if (run.mode === "redis") {
      if (!redisAvailable) {
        const note = `${run.where} on ${run.runtime}: not applicable, needs redis-server`;
        if (process.env.CI === "true") failures.push(note);
        else process.stdout.write(`skip ${note} (Debian package redis-server)\n`);
        continue;
      }
      const { startRedis } = await import("../tests/support/redis.ts");
      redis = await startRedis();
    }
    const before = { token: kognic.tokenRequests.length, api: kognic.apiRequests.length };
    const [command, ...args] = RUNTIMES[run.runtime];
    const ran = await exec(command, [
      ...args,
      "tests/docs/run_block.ts",
      run.file,
      run.mode === "hono" ? "hono" : "plain",
    ], {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      XDG_CACHE_HOME: join(home, ".cache"),
      KOGNIC_CLIENT_ID: kognic.env.KOGNIC_CLIENT_ID,
      KOGNIC_CLIENT_SECRET: kognic.env.KOGNIC_CLIENT_SECRET,
      KOGNIC_DOCS_SERVER: kognic.url,
      PROXY_API_KEY: "let-me-in",
      REDIS_URL: redis?.url,
    }).finally(() => redis?.stop());
    counts.runs++;
    const label = `${run.where} on ${run.runtime}`;
    const made = kognic.apiRequests.length - before.api;
    if (ran.code !== 0) {
      failures.push(`${label}: exit code ${ran.code}\n${ran.stderr.trim()}`);
    } else if (made === 0 && !run.ownServer) {
      failures.push(`${label}: made no request to the Kognic API`);
    } else if (
      run.mode === "hono" &&
      ran.stdout.trim() !==
        JSON.stringify({
          "/projects": 2,
          "/kognic/v1/projects let-me-in": 2,
          "/kognic/v1/projects wrong": 403,
        })
    ) {
      failures.push(`${label}: unexpected answers ${ran.stdout.trim()}`);
    } else {
      process.stdout.write(
        `ok ${label} (${kognic.tokenRequests.length - before.token} token request(s), ` +
          `${made} API request(s))\n`,
      );
    }
  }
} finally {
  await kognic.close();
  await rm(home, { recursive: true, force: true });
}

// docs/errors.md lists every error code once.
if (!filter || "docs/errors.md".includes(filter)) {
  const source = await readFile(join(root, "src/errors.ts"), "utf8");
  const union = /export type KognicAuthErrorCode =([^;]+);/.exec(source)![1];
  const codes = [...union.matchAll(/"([A-Z_]+)"/g)].map((match) => match[1]);
  const page = await readFile(join(root, "docs/errors.md"), "utf8");
  const listed = [...page.matchAll(/^\| `([A-Z_]+)` +\|/gm)].map((match) => match[1]);
  for (const code of codes) {
    const times = listed.filter((name) => name === code).length;
    if (times !== 1) failures.push(`docs/errors.md lists ${code} ${times} times, expected once`);
  }
  for (const code of listed) {
    if (!codes.includes(code)) failures.push(`docs/errors.md lists an unknown code ${code}`);
  }
}

const examplesShown = blocks.filter((block) => examples.has(block.code + "\n")).length;
process.stdout.write(
  `doc blocks: ${blocks.length} in ${docs.length} documents; ${counts.typescript} TypeScript ` +
    `type-checked (${examplesShown} of them examples/ files that run in workerd or ` +
    `edge-runtime), ${counts.shell} shell parsed, ${counts.json} JSON parsed, ${counts.runs} ` +
    `runs against the test server, ${counts.optedOut} opted out, ${counts.other} other\n`,
);
if (failures.length > 0) {
  process.stderr.write(`${failures.map((failure) => `FAIL ${failure}`).join("\n")}\n`);
  process.exit(1);
}

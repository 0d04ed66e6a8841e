// Wall time of `kog get URL` with a cached token next to a bare one-request fetch script, on
// Deno, Bun and Node 24, each against the Kognic-compatible test server on loopback. Prints
// medians and the ratio per runtime; no assertions. Run: npm run bench:cli [-- runs]
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { createKognicServer } from "../tests/support/kognic_server.ts";
import { serve } from "../tests/support/serve.ts";
import { KOG, ROOT, runProgram, sandbox } from "../tests/support/cli.ts";
import { credentialsDocument } from "../tests/support/fixtures.ts";

const RUNS = Number(process.argv[2] ?? 15);
const BARE = join(ROOT, "bench/_bare_fetch.ts");
const DENO = join(ROOT, "node_modules/.bin/deno");
const NODE24 = join(ROOT, "node_modules/node24/bin/node");

// Node strips the types of every .ts module it loads, which dominates a short run from the
// repository; npm users get JavaScript from JSR instead. The extra row runs kog and the bare
// script each bundled to one JavaScript file (deno bundle), to show that difference.
const bundleDir = await mkdtemp(join(tmpdir(), "kognic-bench-"));
async function bundle(entry: string, name: string): Promise<string> {
  const out = join(bundleDir, name);
  const ran = await runProgram(DENO, ["bundle", "--quiet", "--platform", "node", entry, "-o", out]);
  if (ran.code !== 0) throw new Error(`deno bundle ${entry} failed: ${ran.stderr}`);
  return out;
}

// [label, runtime, arguments before the script, the kog script, the bare script]
const RUNTIMES: [string, string, string[], string, string][] = [
  ["deno", DENO, ["run", "-A", "--quiet", "--no-lock"], KOG, BARE],
  ["bun", join(ROOT, "node_modules/.bin/bun"), [], KOG, BARE],
  ["node24", NODE24, [], KOG, BARE],
  [
    "node24, both bundled to .mjs",
    NODE24,
    [],
    await bundle(KOG, "kog.mjs"),
    await bundle(BARE, "bare.mjs"),
  ],
];

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function timed(command: string, args: string[], env: Record<string, string>) {
  const started = performance.now();
  const ran = await runProgram(command, args, { env });
  const elapsed = performance.now() - started;
  if (ran.code !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${ran.stderr}`);
  return elapsed;
}

const kognic = createKognicServer();
const served = await serve(kognic.fetch);
const box = await sandbox();
const rows: string[][] = [];
try {
  const credentials = await box.write("credentials.json", JSON.stringify(credentialsDocument()));
  await box.write(
    "config/kognic/environments.json",
    JSON.stringify({
      environments: { local: { host: "127.0.0.1", auth_server: served.url, credentials } },
    }),
  );
  const url = `${served.url}/v1/whoami`;
  for (const [name, command, base, script, bareScript] of RUNTIMES) {
    // Fill the cache (and the runtime's own compile cache) once.
    await timed(command, [...base, script, "get", url, "--token-cache", "file"], box.env);
    const cache = JSON.parse(await readFile(box.cachePath, "utf8"));
    const token = cache[`${served.url}:${credentialsDocument().clientId}`].access_token as string;
    const bareEnv = { ...box.env, BENCH_URL: url, BENCH_TOKEN: token };
    await timed(command, [...base, bareScript], bareEnv);
    const kog: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      kog.push(
        await timed(command, [...base, script, "get", url, "--token-cache", "file"], box.env),
      );
      bare.push(await timed(command, [...base, bareScript], bareEnv));
    }
    const [k, b] = [median(kog), median(bare)];
    rows.push([name, k.toFixed(0), b.toFixed(0), (k / b).toFixed(2)]);
  }
  const tokenRequests = kognic.tokenRequests.length;
  const header = ["runtime", "kog get, cached token (ms)", "bare fetch script (ms)", "ratio"];
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i].length))
  );
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join("  ");
  // deno-lint-ignore no-console
  console.log(
    [
      `median of ${RUNS} runs each, wall time of the whole process`,
      line(header),
      ...rows.map(line),
      `token requests during the run: ${tokenRequests} ` +
      "(the first call fills the cache file that every later call reads)",
    ].join("\n"),
  );
} finally {
  await rm(bundleDir, { recursive: true, force: true });
  await box.close();
  await served.close();
}

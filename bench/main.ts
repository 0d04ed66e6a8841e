// `npm run bench`: runs bench/run.ts on Deno, Bun and Node 24 one after another, measures cold
// start and bundle sizes, and prints every figure as Markdown tables. Bench-only code.
//
// Usage: node bench/main.ts [--smoke] [--runtimes=deno,bun,node24]
//   --smoke     tiny N and one iteration of everything: checks that the benchmarks still run
//   --runtimes  a subset of the runtimes
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { build } from "esbuild";
import { bundle } from "../scripts/_bundle.ts";
import {
  CANARY_SECRET,
  createKognicServer,
  TEST_CLIENT_ID,
} from "../tests/support/kognic_server.ts";
import { serve } from "../tests/support/serve.ts";
import type { Results, StampedeResult } from "./run.ts";
import { fixed, int, median, spread } from "./_stats.ts";

const smoke = process.argv.includes("--smoke");
const only = process.argv.find((arg) => arg.startsWith("--runtimes="))?.slice(11).split(",");
const COLD_PAIRS = smoke ? 1 : 10;

interface RuntimeSpec {
  name: string;
  /** Runs bench/run.ts, with the garbage collector exposed. */
  bench: string[];
  /** Runs a cold-start script as a user would. */
  run: string[];
}

const bin = "node_modules/.bin";
const RUNTIMES: RuntimeSpec[] = [
  {
    name: "deno",
    bench: [`${bin}/deno`, "run", "-A", "--v8-flags=--expose-gc"],
    run: [`${bin}/deno`, "run", "-A"],
  },
  { name: "bun", bench: [`${bin}/bun`], run: [`${bin}/bun`] },
  {
    name: "node24",
    bench: ["node_modules/node24/bin/node", "--expose-gc"],
    run: ["node_modules/node24/bin/node"],
  },
].filter((runtime) => !only || only.includes(runtime.name));

const lines: string[] = [];
function out(line = ""): void {
  lines.push(line);
  process.stdout.write(`${line}\n`);
}
function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Runs a command, passing stderr through, and returns its stdout. */
function capture(command: string[], env?: Record<string, string | undefined>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), {
      stdio: ["ignore", "pipe", "inherit"],
      env: env ?? process.env,
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => stdout += chunk);
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command.join(" ")} exited with ${code}`));
    });
  });
}

/** Milliseconds from spawning `command` until it prints its first line, which must be "ok". */
function timeToFirstLine(command: string[], env: Record<string, string | undefined>) {
  return new Promise<number>((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command[0], command.slice(1), {
      stdio: ["ignore", "pipe", "inherit"],
      env,
    });
    let stdout = "";
    let at = NaN;
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (Number.isNaN(at) && stdout.includes("\n")) at = performance.now() - start;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0 && stdout.startsWith("ok\n")) resolve(at);
      else reject(new Error(`${command.join(" ")} printed ${JSON.stringify(stdout)} (${code})`));
    });
  });
}

function mark(ok: boolean): string {
  return ok ? "yes" : "**no**";
}

const began = performance.now();
const results: Results[] = [];
for (const runtime of RUNTIMES) {
  const stdout = await capture([...runtime.bench, "bench/run.ts", ...(smoke ? ["--smoke"] : [])]);
  results.push(JSON.parse(stdout.trim().split("\n").at(-1)!));
}

// Cold start: the Kognic test server runs in this process, on loopback. The library is loaded
// from its TypeScript source and, as a package consumer gets it, as one JavaScript file.
interface ColdRow {
  runtime: string;
  source: number[];
  bundle: number[];
  bare: number[];
  sourceRatios: number[];
  bundleRatios: number[];
}
const cold: ColdRow[] = [];
const bundleDir = mkdtempSync(join(tmpdir(), "kognic-auth-bench-"));
const bundlePath = join(bundleDir, "mod.mjs");
await build({
  entryPoints: ["mod.ts"],
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external: ["node:*"],
  outfile: bundlePath,
  logLevel: "error",
});
{
  const server = createKognicServer();
  const served = await serve(server.fetch);
  try {
    const answer = await fetch(`${served.url}/v1/auth/oauth/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: TEST_CLIENT_ID,
        client_secret: CANARY_SECRET,
      }),
    });
    const { access_token: token } = await answer.json();
    const env: Record<string, string | undefined> = {
      ...process.env,
      KOGNIC_BENCH_URL: served.url,
      KOGNIC_BENCH_TOKEN: token,
      KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
      KOGNIC_CLIENT_SECRET: CANARY_SECRET,
    };
    delete env.KOGNIC_CREDENTIALS;
    for (const runtime of RUNTIMES) {
      log(`${runtime.name}: cold start`);
      const row: ColdRow = {
        runtime: runtime.name,
        source: [],
        bundle: [],
        bare: [],
        sourceRatios: [],
        bundleRatios: [],
      };
      const variants = {
        source: { script: "bench/cold_client.ts", env },
        bundle: {
          script: "bench/cold_client.ts",
          env: { ...env, KOGNIC_BENCH_MODULE: bundlePath },
        },
        bare: { script: "bench/cold_bare.ts", env },
      };
      const names = ["source", "bundle", "bare"] as const;
      // One unmeasured round fills the runtime's caches (Deno's module cache, the OS's); then
      // rounds that rotate the order of the three.
      for (let round = -1; round < COLD_PAIRS; round++) {
        const shift = Math.max(round, 0) % names.length;
        const order = [...names.slice(shift), ...names.slice(0, shift)];
        const times: Record<string, number> = {};
        for (const name of order) {
          const variant = variants[name];
          times[name] = await timeToFirstLine([...runtime.run, variant.script], variant.env);
        }
        if (round < 0) continue;
        row.source.push(times.source);
        row.bundle.push(times.bundle);
        row.bare.push(times.bare);
        row.sourceRatios.push(times.source / times.bare);
        row.bundleRatios.push(times.bundle / times.bare);
      }
      cold.push(row);
    }
  } finally {
    await served.close();
    rmSync(bundleDir, { recursive: true, force: true });
  }
}

// Size of each deno.json export, bundled and minified by esbuild, then gzipped.
log("bundle sizes");
const exports: Record<string, string> = JSON.parse(readFileSync("deno.json", "utf8")).exports;
const sizes: { name: string; minified: number; gzipped: number }[] = [];
for (const [name, path] of Object.entries(exports)) {
  const { minified, gzipped } = await bundle(path);
  sizes.push({ name, minified, gzipped });
}

// The tables.
const hotRounds = results[0]?.hot[0]?.ratios.length ?? 0;
out(`## Benchmarks${smoke ? " (smoke run: sizes too small for meaningful figures)" : ""}`);
out();
out(`### Hot path: cached token, ${hotRounds} interleaved rounds per variant`);
out();
out("Library = `createClient().fetch(path)`; plain = `fetch(url, { headers })` with the same");
out("headers fixed once. Throughput with 8 concurrent callers in alternating rounds; the ratio");
out("by CPU is plain ÷ library CPU time (user + system) per request. The paired ratios have one");
out("caller take turns request by request (plain ÷ variant, median latencies), so all meet the");
out("same disturbances; the targets are judged on the library's. Beside it, to take the cost");
out("apart: plain fetch with a 120 s timeout signal (what the library sets by default), and the");
out("library with `timeout: 0`. Ratios: median (min–max) over the rounds.");
out();
out(
  "| runtime | transport | library req/s | plain req/s | ratio | CPU µs/req library / plain | ratio by CPU | paired: library | paired: plain + timeout | paired: library, timeout 0 | target | met |",
);
out("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|");
for (const result of results) {
  for (const hot of result.hot) {
    const ratio = median(hot.pairedRatios);
    const target = hot.transport === "loopback" ? 0.97 : 0.8;
    const show = (values: number[]) => `${fixed(median(values))} (${spread(values)})`;
    out(
      `| ${result.runtime} | ${hot.transport} | ${int(median(hot.library))} | ` +
        `${int(median(hot.plain))} | ${show(hot.ratios)} | ` +
        `${fixed(median(hot.libraryCpu), 1)} / ${fixed(median(hot.plainCpu), 1)} | ` +
        `${show(hot.cpuRatios)} | ${show(hot.pairedRatios)} | ${show(hot.pairedPlainTimeout)} | ` +
        `${show(hot.pairedLibraryNoTimeout)} | ≥ ${target} | ${mark(ratio >= target)} |`,
    );
  }
}
out();
out("### Stampede: N concurrent callers, token endpoint answers in 200 ms, in-process API");
out();
out(
  "Library = `createClient().fetch`; naive = a token cache on `oauth4webapi` without single flight.",
);
out("Wall time and peak heap growth are medians (min–max) over the repetitions.");
out();
out(
  "| runtime | N | phase | token requests library / naive | wall ms library | wall ms naive | heap Δ KiB library | heap Δ KiB naive | one request per rotation |",
);
out("|---|--:|---|--:|--:|--:|--:|--:|:-:|");
let failures = 0;
for (const result of results) {
  const keys = new Set(result.stampede.map((s) => `${s.n}|${s.phase}`));
  for (const key of keys) {
    const [n, phase] = key.split("|");
    const find = (variant: string) =>
      result.stampede.find((s) => `${s.n}|${s.phase}` === key && s.variant === variant)!;
    const library = find("library");
    const naive = find("naive");
    failures += library.failures + naive.failures;
    const requests = (s: StampedeResult) =>
      new Set(s.tokenRequests).size === 1 ? String(s.tokenRequests[0]) : spread(s.tokenRequests, 0);
    const ms = (values: number[]) => `${int(median(values))} (${spread(values, 0)})`;
    out(
      `| ${result.runtime} | ${int(Number(n))} | ${phase} | ${requests(library)} / ${
        requests(naive)
      } | ` +
        `${ms(library.wallMs)} | ${ms(naive.wallMs)} | ${int(median(library.heapKiB))} | ` +
        `${int(median(naive.heapKiB))} | ${
          mark(library.tokenRequests.every((count) => count === 1))
        } |`,
    );
  }
}
out();
out(
  "### Refresh under load: 8 concurrent callers over loopback, 2 s tokens, token endpoint 200 ms",
);
out();
out(
  "Latency in ms (p50 / p99 / max) of requests that overlap a token request (during) and of the rest (between).",
);
out();
out(
  "| runtime | variant | rotations | token requests | during: n, p50 / p99 / max | between: n, p50 / p99 / max | p99 during ÷ between | ≤ 1.2 |",
);
out("|---|---|--:|--:|--:|--:|--:|:-:|");
for (const result of results) {
  for (const refresh of result.refresh) {
    const lat = (l: typeof refresh.during) =>
      `${l.count}: ${fixed(l.p50)} / ${fixed(l.p99)} / ${fixed(l.max)}`;
    const ratio = refresh.during.p99 / refresh.between.p99;
    out(
      `| ${result.runtime} | ${refresh.variant} | ${refresh.rotations} | ${refresh.tokenRequests} | ` +
        `${lat(refresh.during)} | ${lat(refresh.between)} | ${fixed(ratio)} | ` +
        `${refresh.variant === "library" ? mark(ratio <= 1.2) : "–"} |`,
    );
  }
}
out();
out(`### Cold start: spawn to first authenticated response, ${COLD_PAIRS} rounds, order rotated`);
out();
out("Library = `createClient()` with credentials from the environment, a token request, then the");
out("API request; loaded from the TypeScript source, or bundled into one JavaScript file as a");
out("package consumer loads it. Bare = one `fetch` with a ready token. Both against a loopback");
out("Kognic test server. Times in ms, median (min–max); ratios are medians of per-round ratios.");
out();
out(
  "| runtime | library, source | library, bundled JS | bare fetch | ratio source ÷ bare | ratio bundled ÷ bare | ≤ 1.3 (Deno: source; Bun, Node: bundled) |",
);
out("|---|--:|--:|--:|--:|--:|:-:|");
for (const row of cold) {
  const ms = (values: number[]) => `${int(median(values))} (${spread(values, 0)})`;
  const ratio = (values: number[]) => `${fixed(median(values))} (${spread(values)})`;
  // Judged on what a consumer loads: Deno runs the JSR package's TypeScript, Node and Bun get
  // JavaScript from JSR's npm layer.
  const met = mark(median(row.runtime === "deno" ? row.sourceRatios : row.bundleRatios) <= 1.3);
  out(
    `| ${row.runtime} | ${ms(row.source)} | ${ms(row.bundle)} | ${ms(row.bare)} | ` +
      `${ratio(row.sourceRatios)} | ${ratio(row.bundleRatios)} | ${met} |`,
  );
}
out();
out(
  "### Size: each deno.json export bundled by esbuild (minified, ESM, `node:*` external), gzip -9",
);
out();
out("| export | minified bytes | minified + gzipped bytes |");
out("|---|--:|--:|");
for (const size of sizes) {
  out(`| \`${size.name}\` | ${int(size.minified)} | ${int(size.gzipped)} |`);
}
out();
out(
  `Measured in ${fixed((performance.now() - began) / 1000, 0)} s on ${
    new Date().toISOString().slice(0, 10)
  }.`,
);
// Behaviour, not timing: the benchmarks fail when the library stops doing single flight.
const broken = results.flatMap((result) => [
  ...result.stampede.filter((s) => s.variant === "library" && s.tokenRequests.some((c) => c !== 1))
    .map((s) => `${result.runtime}: ${s.tokenRequests} token requests for N = ${s.n}, ${s.phase}`),
  ...result.refresh.filter((r) => r.variant === "library" && r.tokenRequests !== r.rotations)
    .map((r) => `${result.runtime}: ${r.tokenRequests} token requests in ${r.rotations} rotations`),
]);
if (failures > 0) broken.push(`${failures} stampede requests failed`);
if (broken.length > 0) {
  log(`Error: ${broken.join("; ")}`);
  process.exit(1);
}

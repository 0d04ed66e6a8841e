// `npm run bench`: runs bench/run.ts on Deno, Bun and Node 24 one after another, measures cold
// start and bundle sizes, and prints every figure as Markdown tables. Bench-only code.
//
// Usage: node bench/main.ts [--smoke] [--runtimes=deno,bun,node24]
//   --smoke     tiny N and one iteration of everything: checks that the benchmarks still run
//   --runtimes  a subset of the runtimes
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import process from "node:process";
import { build } from "esbuild";
import { bundle, closure, CREATE_CLIENT_PROGRAM } from "../scripts/_bundle.ts";
import {
  CANARY_SECRET,
  createKognicServer,
  TEST_CLIENT_ID,
} from "../tests/support/kognic_server.ts";
import { serve } from "../tests/support/serve.ts";
import { oracle } from "../tests/support/capabilities.ts";
import { PEERS } from "./_peers.ts";
import { bundleBare, bundleClient, bundlePeer } from "./_cold.ts";
import { cliBench } from "./cli.ts";
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
const loadStart = readLoad();
const results: Results[] = [];
for (const runtime of RUNTIMES) {
  const stdout = await capture([...runtime.bench, "bench/run.ts", ...(smoke ? ["--smoke"] : [])]);
  results.push(JSON.parse(stdout.trim().split("\n").at(-1)!));
}
// The hot path with @kognic/auth/otel loaded and the client instrumented but no SDK registered,
// beside the same client without it (bench/otel_hot.ts): its machine-readable lines as they are.
const otelLines: string[] = [];
for (const runtime of RUNTIMES) {
  const stdout = await capture([
    ...runtime.run,
    "bench/otel_hot.ts",
    ...(smoke ? ["--smoke"] : []),
  ]);
  otelLines.push(...stdout.split("\n").filter((line) => line.startsWith("bench scenario=")));
}

// Cold start: the Kognic test server runs in this process, on loopback. The programs of
// bench/_cold.ts: the library from its TypeScript source and bundled (what `import()` loads in
// chunks of its own), the bare script as TypeScript and bundled, each peer bundled.
interface ColdRow {
  runtime: string;
  source: number[];
  bundle: number[];
  bare: number[];
  bareJs: number[];
  /** Source ÷ bare (TypeScript), bundled ÷ bare (bundled), per round. */
  sourceRatios: number[];
  bundleRatios: number[];
  /** Per peer, ms per round. */
  peers: Record<string, number[]>;
}
const cold: ColdRow[] = [];
const bundleDir = mkdtempSync(join(tmpdir(), "kognic-auth-bench-"));
const clientBundle = await bundleClient(".", join(bundleDir, "library"));
const bareBundle = await bundleBare(join(bundleDir, "bare.mjs"));
const peerBundles: Record<string, string> = {};
for (const [index, peer] of PEERS.entries()) {
  peerBundles[peer.name] = await bundlePeer(peer.name, join(bundleDir, `peer-${index}.mjs`));
}
/** Kognic's Python client, where the oracle is installed (never in the smoke run). */
const python = smoke ? undefined : await pythonOracle();
const pythonCold: number[] = [];
/** Per runtime, the library and plain+timeout against this process's server, and Python's. */
const external: { runtime: string; paired: Record<string, number[]> }[] = [];
let pythonHot: number[] = [];
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
        bareJs: [],
        sourceRatios: [],
        bundleRatios: [],
        peers: {},
      };
      const variants: Record<string, { script: string; env: typeof env }> = {
        source: { script: "bench/cold_client.ts", env },
        bundle: { script: clientBundle, env },
        bare: { script: "bench/cold_bare.ts", env },
        bareJs: { script: bareBundle, env },
      };
      for (const peer of PEERS) {
        if (!peer.runsHere(runtime.name === "node24" ? "node" : runtime.name)) continue;
        variants[peer.name] = {
          script: peerBundles[peer.name],
          env: { ...env, KOGNIC_BENCH_PEER: peer.name },
        };
        row.peers[peer.name] = [];
      }
      const names = Object.keys(variants);
      // One unmeasured round fills the runtime's caches (Deno's module cache, the OS's); then
      // rounds that rotate the order.
      for (let round = smoke ? 0 : -1; round < COLD_PAIRS; round++) {
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
        row.bareJs.push(times.bareJs);
        row.sourceRatios.push(times.source / times.bare);
        row.bundleRatios.push(times.bundle / times.bareJs);
        for (const name of Object.keys(row.peers)) row.peers[name].push(times[name]);
      }
      cold.push(row);
    }
    // Kognic's Python client over loopback, against a server in another process: the library
    // on each runtime is measured the same way beside it.
    if (python) {
      const pythonEnv = { ...env, ...python.env };
      const script = "bench/_kognic_auth_python.py";
      log("python: cold start and hot path");
      await timeToFirstLine([python.python, script, "cold"], pythonEnv);
      for (let round = 0; round < COLD_PAIRS; round++) {
        pythonCold.push(await timeToFirstLine([python.python, script, "cold"], pythonEnv));
      }
      const [turns, rounds] = [1_500, 5];
      pythonHot = JSON.parse(
        await capture([python.python, script, "hot", String(turns), String(rounds)], pythonEnv),
      );
      for (const runtime of RUNTIMES) {
        const stdout = await capture(
          [...runtime.run, "bench/_hot_client.ts", String(turns), String(rounds)],
          env,
        );
        external.push({ runtime: runtime.name, paired: JSON.parse(stdout) });
      }
    }
  } finally {
    await served.close();
    rmSync(bundleDir, { recursive: true, force: true });
  }
}
/** `kog` and `kognic-auth` beside Kognic's Python tools (bench/cli.ts), where the oracle runs. */
const cli = python ? await cliBench(COLD_PAIRS, log) : undefined;

/** The Python oracle's interpreter and environment, or undefined where it does not run. */
async function pythonOracle() {
  const { python, env } = oracle();
  try {
    await capture([python, "-c", "import kognic.auth.requests.base_client"], {
      ...process.env,
      ...env,
    });
    return { python, env };
  } catch {
    log("python: Kognic's kognic-auth not found (set KOGNIC_AUTH_ORACLE): not applicable");
    return undefined;
  }
}

// Size of each deno.json export, bundled and minified by esbuild, then gzipped; and the entry a
// program uses of the library and of each peer, bundled the same way (platform node, as the
// peers need Node's modules or its package conditions).
log("bundle sizes");
const exports: Record<string, string> = JSON.parse(readFileSync("deno.json", "utf8")).exports;
const sizes: { name: string; minified: number; gzipped: number }[] = [];
for (const [name, path] of Object.entries(exports)) {
  const { minified, gzipped } = await bundle(path);
  sizes.push({ name, minified, gzipped });
}
const entries: Record<string, string> = {
  library: `export { createClient } from ${JSON.stringify(join(process.cwd(), "mod.ts"))};`,
  "@badgateway/oauth2-client":
    `export { OAuth2Client, OAuth2Fetch } from "@badgateway/oauth2-client";`,
  "openid-client":
    `export { Configuration, allowInsecureRequests, clientCredentialsGrant, fetchProtectedResource } from "openid-client";`,
  "simple-oauth2": `export { ClientCredentials } from "simple-oauth2";`,
};
const entrySizes: Record<string, { minified: number; gzipped: number }> = {};
for (const [name, contents] of Object.entries(entries)) {
  const built = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    write: false,
    logLevel: "error",
  });
  const code = built.outputFiles[0].contents;
  entrySizes[name] = {
    minified: code.byteLength,
    gzipped: gzipSync(code, { level: 9 }).byteLength,
  };
}
// The library's entry above holds what createClient loads on first use too (credential files,
// the keyring, the failure classifier, …); a program loads less up front: scripts/size.ts's
// measure (esbuild --splitting, the chunks the program imports statically, each gzipped).
const upFront = await closure(CREATE_CLIENT_PROGRAM, process.cwd());

// The tables, and one machine-readable line per comparison (ratio > 1: the subject is faster,
// or makes fewer token requests, or is smaller).
const machine: string[] = [];
function compare(
  scenario: string,
  runtime: string,
  subject: string,
  baseline: string,
  ratio: number,
): void {
  if (Number.isFinite(ratio)) {
    machine.push(
      `bench scenario=${scenario} runtime=${runtime} subject=${subject} baseline=${baseline} ` +
        `ratio=${ratio.toFixed(3)}`,
    );
  }
}
/** Per round baseline ÷ subject, then the median: > 1 when the subject is faster. */
function pairedRatio(paired: Record<string, number[]>, subject: string, baseline: string) {
  const ratios = paired[subject].map((us, i) => paired[baseline][i] / us);
  return { ratio: median(ratios), ratios };
}
const short = (name: string) => name.replace(/^@badgateway\//, "");
const runtimeOf = (label: string) => label.split(" ")[0];

const hotRounds = results[0]?.hot[0]?.paired.library.length ?? 0;
out(`## Benchmarks${smoke ? " (smoke run: sizes too small for meaningful figures)" : ""}`);
out();
out(`Load (uptime) at the start: ${loadStart}; at the end: ${readLoad()}. ${machineLine()}`);
out();
out(`### Hot path: cached token, one caller, ${hotRounds} paired rounds`);
out();
out("One caller takes turns request by request with every variant, so all meet the same");
out("disturbances; each cell is the median over the rounds of each round's median µs per");
out("request. Library = `createClient().fetch(path)` with default options (120 s timeout);");
out("plain = `fetch(url, { headers })` with the library's headers fixed once; plain + timeout =");
out("the same with `signal: AbortSignal.timeout(120_000)`. In-process: the Kognic test server's");
out("`fetch` as transport (no sockets); loopback: the runtime's own HTTP client and server.");
out("Peers set up as in bench/_peers.ts; simple-oauth2 cannot take a transport and runs on Node");
out("only. Ratio = plain + timeout ÷ library (median of per-round ratios, min–max); the targets");
out("are ≥ 0.97 over loopback and ≥ 0.9 in process.");
out();
const peerNames = PEERS.map((peer) => peer.name);
out(
  `| runtime | transport | library | plain | plain + timeout | library, timeout 0 | ${
    peerNames.map(short).join(" | ")
  } | library ÷ plain + timeout | target | met |`,
);
out(`|---|---|--:|--:|--:|--:|${peerNames.map(() => "--:|").join("")}--:|--:|:-:|`);
for (const result of results) {
  const runtime = runtimeOf(result.runtime);
  for (const hot of result.hot) {
    const us = (name: string) => hot.paired[name] ? fixed(median(hot.paired[name]), 1) : "n/a";
    const { ratio, ratios } = pairedRatio(hot.paired, "library", "plain+timeout");
    const target = hot.transport === "loopback" ? 0.97 : 0.9;
    out(
      `| ${result.runtime} | ${hot.transport} | ${us("library")} | ${us("plain")} | ` +
        `${us("plain+timeout")} | ${us("library, timeout 0")} | ${
          peerNames.map(us).join(" | ")
        } | ` +
        `${fixed(ratio, 3)} (${spread(ratios, 3)}) | ≥ ${target} | ${mark(ratio >= target)} |`,
    );
    const scenario = `hot-${hot.transport}`;
    compare(scenario, runtime, "library", "plain+timeout", ratio);
    compare(
      scenario,
      runtime,
      "library",
      "plain",
      pairedRatio(hot.paired, "library", "plain").ratio,
    );
    for (const peer of peerNames) {
      if (hot.paired[peer]) {
        compare(scenario, runtime, "library", peer, pairedRatio(hot.paired, "library", peer).ratio);
      }
    }
  }
}
out();
out("Throughput with 8 concurrent callers, library and plain in alternating rounds (req/s, and");
out("CPU µs per request: user + system time of the whole process):");
out();
out("| runtime | transport | library req/s | plain req/s | ratio | CPU µs/req library / plain |");
out("|---|---|--:|--:|--:|--:|");
for (const result of results) {
  for (const hot of result.hot) {
    out(
      `| ${result.runtime} | ${hot.transport} | ${int(median(hot.library))} | ` +
        `${int(median(hot.plain))} | ${fixed(median(hot.ratios))} (${spread(hot.ratios)}) | ` +
        `${fixed(median(hot.libraryCpu), 1)} / ${fixed(median(hot.plainCpu), 1)} |`,
    );
  }
}
out();
if (python && external.length > 0) {
  out("### Hot path beside Kognic's Python client (kognic-auth, requests), over loopback");
  out();
  out("Against one Kognic test server in another process (Node 24); the library and plain +");
  out("timeout take turns in one process per runtime, Python runs on its own. µs per request,");
  out("median of 5 rounds of 1,500.");
  out();
  out("| runtime | library | plain + timeout | Python kognic-auth | Python ÷ library |");
  out("|---|--:|--:|--:|--:|");
  for (const row of external) {
    const library = median(row.paired.library);
    const ratio = median(pythonHot) / library;
    out(
      `| ${row.runtime} | ${fixed(library, 1)} | ${
        fixed(median(row.paired["plain+timeout"]), 1)
      } | ` +
        `${fixed(median(pythonHot), 1)} | ${fixed(ratio)} |`,
    );
    compare(
      "hot-loopback-external",
      row.runtime === "node24" ? "node" : row.runtime,
      "library",
      "kognic-auth-python",
      ratio,
    );
  }
  out();
} else if (!smoke) {
  out("Kognic's Python client: not applicable here (set KOGNIC_AUTH_ORACLE to its src folder).");
  out();
}
out("### Stampede: N concurrent callers, token endpoint answers in 200 ms");
out();
out("Cold: an empty cache; expiry: `Date.now()` moved past the token's lifetime. In process,");
out("except simple-oauth2 (loopback; not run at N = 10,000, which would open 10,000 sockets).");
out("Naive = a token cache on `oauth4webapi` without single flight (bench/_naive.ts). Token");
out("requests (all repetitions alike, else min–max), wall ms and peak heap growth in KiB as");
out("medians over the repetitions.");
out();
const stampedeVariants = ["library", "naive", ...peerNames];
out(
  `| runtime | N | phase | ${
    stampedeVariants.map((v) => `${short(v)}: token requests / wall ms / heap KiB`).join(" | ")
  } |`,
);
out(`|---|--:|---|${stampedeVariants.map(() => "--:|").join("")}`);
let failures = 0;
for (const result of results) {
  const runtime = runtimeOf(result.runtime);
  const keys = [...new Set(result.stampede.map((s) => `${s.n}|${s.phase}`))];
  for (const key of keys) {
    const [n, phase] = key.split("|");
    const find = (variant: string) =>
      result.stampede.find((s) => `${s.n}|${s.phase}` === key && s.variant === variant);
    const requests = (s: StampedeResult) =>
      new Set(s.tokenRequests).size === 1 ? String(s.tokenRequests[0]) : spread(s.tokenRequests, 0);
    const cells = stampedeVariants.map((variant) => {
      const s = find(variant);
      if (!s) return "n/a";
      failures += s.failures;
      return `${requests(s)} / ${int(median(s.wallMs))} / ${int(median(s.heapKiB))}`;
    });
    out(`| ${result.runtime} | ${int(Number(n))} | ${phase} | ${cells.join(" | ")} |`);
    const library = find("library")!;
    for (const variant of stampedeVariants.slice(1)) {
      const other = find(variant);
      if (!other) continue;
      const scenario = `stampede-${n}-${phase}`;
      compare(
        `${scenario}-token-requests`,
        runtime,
        "library",
        variant,
        median(other.tokenRequests) / median(library.tokenRequests),
      );
      compare(
        `${scenario}-wall`,
        runtime,
        "library",
        variant,
        median(other.wallMs) / median(library.wallMs),
      );
    }
  }
}
out();
out(
  `### Refresh under load: 8 concurrent callers over loopback, 2 s tokens, token endpoint 200 ms`,
);
out();
out("Latency in ms (p50 / p99 / max) of requests that overlap a token request (during) and of");
out("the rest (between). Only the library renews the token in the background before it expires;");
out("the others make callers wait at expiry (badgateway once for all of them, the rest once per");
out("caller). openid-client's `expiresIn()` counts whole seconds, so it renews 2 s tokens more");
out("often.");
out();
out(
  "| runtime | variant | rotations | token requests | failed requests (401) | during: n, p50 / p99 / max | between: n, p50 / p99 / max | p99 during ÷ between | ≤ 1.2 |",
);
out("|---|---|--:|--:|--:|--:|--:|--:|:-:|");
for (const result of results) {
  const runtime = runtimeOf(result.runtime);
  const libraryRefresh = result.refresh.find((r) => r.variant === "library");
  for (const refresh of result.refresh) {
    const lat = (l: typeof refresh.during) =>
      `${l.count}: ${fixed(l.p50)} / ${fixed(l.p99)} / ${fixed(l.max)}`;
    const ratio = refresh.during.p99 / refresh.between.p99;
    out(
      `| ${result.runtime} | ${refresh.variant} | ${refresh.rotations} | ${refresh.tokenRequests} | ` +
        `${refresh.failed} | ${lat(refresh.during)} | ${lat(refresh.between)} | ${
          fixed(ratio)
        } | ` +
        `${refresh.variant === "library" ? mark(ratio <= 1.2) : "–"} |`,
    );
    if (libraryRefresh && refresh !== libraryRefresh) {
      // The worst latency callers see, all requests together: p99 of the slower group.
      const worst = (r: typeof refresh) =>
        Math.max(...[r.during.p99, r.between.p99].filter(Number.isFinite));
      compare(
        "refresh-p99",
        runtime,
        "library",
        refresh.variant,
        worst(refresh) / worst(libraryRefresh),
      );
    }
  }
}
out();
out(`### Cold start: spawn to first authenticated response, ${COLD_PAIRS} rounds, order rotated`);
out();
out("Library = `createClient()` with credentials from the environment, a token request, then the");
out(
  "API request; run from the TypeScript source, or bundled by esbuild with what `import()` loads",
);
out("in chunks of its own (bench/_cold.ts). Bare = one `fetch` with a ready token, as TypeScript");
out("(beside the source) and bundled (beside the bundle). Peers: bench/cold_peer.ts bundled with");
out("that peer. All against a loopback Kognic test server. Times in ms, median (min–max); ratios");
out("are medians of per-round ratios. Targets: Deno from source, Bun and Node bundled within 1.1×");
out("the fastest peer; Node from source under 1.3× the bare script.");
out();
out(
  `| runtime | library, source | library, bundled | bare (TS) | bare (bundled) | source ÷ bare | bundled ÷ bare | ${
    peerNames.map(short).join(" | ")
  } | judged ÷ fastest peer | ≤ 1.1 |`,
);
out(`|---|--:|--:|--:|--:|--:|--:|${peerNames.map(() => "--:|").join("")}--:|:-:|`);
for (const row of cold) {
  const ms = (values: number[] | undefined) =>
    values ? `${int(median(values))} (${spread(values, 0)})` : "n/a";
  const ratio = (values: number[]) => `${fixed(median(values))} (${spread(values)})`;
  // Judged on what a consumer loads: Deno runs the JSR package's TypeScript, Node and Bun get
  // JavaScript (JSR's npm layer, a bundler).
  const judged = row.runtime === "deno" ? row.source : row.bundle;
  const present = peerNames.filter((name) => row.peers[name]);
  const fastest = Math.min(...present.map((name) => median(row.peers[name])));
  out(
    `| ${row.runtime} | ${ms(row.source)} | ${ms(row.bundle)} | ${ms(row.bare)} | ` +
      `${ms(row.bareJs)} | ${ratio(row.sourceRatios)} | ${ratio(row.bundleRatios)} | ${
        peerNames.map((name) => ms(row.peers[name])).join(" | ")
      } | ${fixed(median(judged) / fastest)} | ${mark(median(judged) / fastest <= 1.1)} |`,
  );
  for (
    const [subject, times, ratios] of [
      ["library-source", row.source, row.sourceRatios],
      ["library-bundled", row.bundle, row.bundleRatios],
    ] as const
  ) {
    compare("cold-start", row.runtime, subject, "plain", median(ratios.map((r) => 1 / r)));
    for (const name of present) {
      compare(
        "cold-start",
        row.runtime,
        subject,
        name,
        median(row.peers[name].map((peer, round) => peer / times[round])),
      );
    }
  }
}
if (pythonCold.length > 0) {
  out();
  out(
    `Kognic's Python client, the same request (python3, kognic-auth with requests): ${
      int(median(pythonCold))
    } ms (${spread(pythonCold, 0)}).`,
  );
  for (const row of cold) {
    const deno = row.runtime === "deno";
    compare(
      "cold-start",
      row.runtime,
      deno ? "library-source" : "library-bundled",
      "kognic-auth-python",
      median(pythonCold) / median(deno ? row.source : row.bundle),
    );
  }
}
if (cli) {
  out();
  out(
    "### `kog` and `kognic-auth` with a cached token beside Kognic's Python tools (bench/cli.ts)",
  );
  out();
  for (const line of cli.lines) out(line);
  machine.push(...cli.machine);
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
out("The entry a program uses, bundled the same way (platform node, Node's modules external):");
out("the library's `createClient`; badgateway's `OAuth2Client` and `OAuth2Fetch`; openid-client's");
out("four functions used here; simple-oauth2's `ClientCredentials`.");
out();
out("The library in two rows: its whole entry (what loads on first use included), and what a");
out("`createClient` program loads up front (scripts/size.ts: esbuild `--splitting`, platform");
out("neutral, the chunks the program imports statically, each gzipped and summed), the figure to");
out("set beside a peer's entry.");
out();
out("| package | minified bytes | minified + gzipped bytes |");
out("|---|--:|--:|");
const upFrontMinified = upFront.files.reduce((sum, file) => sum + file.minified, 0);
for (const [name, size] of Object.entries(entrySizes)) {
  if (name === "library") {
    out(`| library, whole entry | ${int(size.minified)} | ${int(size.gzipped)} |`);
    out(
      `| library, loaded up front by a \`createClient\` program (${upFront.files.length} files) | ` +
        `${int(upFrontMinified)} | ${int(upFront.gzipped)} |`,
    );
    continue;
  }
  out(`| ${name} | ${int(size.minified)} | ${int(size.gzipped)} |`);
  compare("bundle-size", "any", "library", name, size.gzipped / entrySizes.library.gzipped);
  compare("bundle-size-up-front", "any", "library", name, size.gzipped / upFront.gzipped);
}
out();
out("Machine-readable, one line per comparison (ratio > 1: the library is faster, makes fewer");
out("token requests, or is smaller):");
out();
out("```");
for (const line of [...machine, ...otelLines]) out(line);
out("```");
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

/** The load average, as uptime prints it. */
function readLoad(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(", ");
  } catch {
    return "unknown";
  }
}

/** The machine: CPU model and count. */
function machineLine(): string {
  return `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${
    Math.round(totalmem() / 2 ** 30)
  } GiB.`;
}

// The in-process benchmarks of one runtime: hot path, stampede and refresh under load. Run by
// bench/main.ts as `<runtime> bench/run.ts [--smoke]`; prints progress on stderr and one JSON
// document (see `Results`) as the last line of stdout.
import process from "node:process";
import { createClient } from "../mod.ts";
import { detectRuntime } from "../src/runtime/mod.ts";
import { memoryRuntime } from "../src/runtime/memory.ts";
import {
  CANARY_SECRET,
  createKognicServer,
  TEST_CLIENT_ID,
} from "../tests/support/kognic_server.ts";
import { serve } from "../tests/support/serve.ts";
import { naiveAuthFetch } from "./_naive.ts";
import { PEERS } from "./_peers.ts";
import { collectGarbage, median, quantile, sleep } from "./_stats.ts";

const smoke = process.argv.includes("--smoke");
const runtime = await detectRuntime();
/** "deno", "bun" or "node". */
const runtimeName = runtime.name;
/** `--only=hot,stampede,refresh` runs a subset (for working on one benchmark). */
const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice(7).split(",");
const wanted = (section: string) => !only || only.includes(section);
const TOKEN_PATH = "/v1/auth/oauth/token";
const IN_PROCESS = "https://kognic.test";
/** How long the token endpoint takes to answer in the stampede and refresh benchmarks. */
const TOKEN_DELAY_MS = 200;

const config = smoke
  ? {
    hotRounds: 1,
    hotMs: 20,
    pairedRounds: 1,
    pairedTurns: 20,
    stampedeN: [1, 10],
    stampedeReps: 1,
    refreshSegmentMs: 800,
  }
  : {
    hotRounds: 6,
    hotMs: 250,
    pairedRounds: 7,
    pairedTurns: 1_500,
    stampedeN: [1, 100, 10_000],
    stampedeReps: 3,
    refreshSegmentMs: 3_500,
  };
/** Concurrent callers in the hot-path and refresh benchmarks. */
const CONCURRENCY = 8;
/** Token lifetime in the refresh benchmark, in seconds. */
const REFRESH_LIFETIME = smoke ? 1 : 2;

/** What one runtime measured. */
export interface Results {
  runtime: string;
  hot: HotResult[];
  stampede: StampedeResult[];
  refresh: RefreshResult[];
}

export interface HotResult {
  transport: "in-process" | "loopback";
  /** Requests per second in each round, per variant. */
  library: number[];
  plain: number[];
  /** library / plain, per round (both measured back to back). */
  ratios: number[];
  /** CPU microseconds per request in each round, per variant. */
  libraryCpu: number[];
  plainCpu: number[];
  /** plain CPU / library CPU per request, per round: a throughput ratio by CPU time. */
  cpuRatios: number[];
  /**
   * One caller taking turns request by request with every variant (library, plain,
   * plain+timeout, library with timeout 0, and each peer that runs here): per variant, the
   * median latency in µs of each round. All variants meet the same disturbances, so ratios of
   * these are the steadiest figures.
   */
  paired: Record<string, number[]>;
}

export interface StampedeResult {
  variant: string;
  n: number;
  phase: "cold" | "expiry";
  tokenRequests: number[];
  wallMs: number[];
  /** Peak heap growth while the callers wait, in KiB. */
  heapKiB: number[];
  failures: number;
}

export interface RefreshResult {
  variant: string;
  /** Requests that got another answer than 200 (a token used as it expired). */
  failed: number;
  rotations: number;
  tokenRequests: number;
  during: Latencies;
  between: Latencies;
}

export interface Latencies {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** "library", "naive", or a peer's package name. */
type Variant = string;

/** One refresh segment's raw latencies in milliseconds. */
interface Segment {
  variant: Variant;
  /** Requests that got another answer than 200 (a token used as it expired). */
  failed: number;
  rotations: number;
  tokenRequests: number;
  during: number[];
  between: number[];
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A client of the test server at `base`; without `send`, on this runtime's own transport. */
function credentialsFor(base: string, send?: typeof fetch, now?: () => number) {
  return createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    runtime: send ? memoryRuntime({ fetch: send }) : undefined,
    baseUrl: base,
    authHost: base,
    fetch: send,
    clock: now ? { now } : undefined,
  });
}

/**
 * Requests per second of `fn` run by `concurrency` callers for `ms` milliseconds, and the
 * process's CPU time (user + system, all threads) per request in microseconds. CPU time is
 * what the other jobs on a shared machine disturb least.
 */
async function rate(
  fn: () => Promise<unknown>,
  ms: number,
  concurrency: number,
): Promise<[number, number]> {
  let count = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + ms;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await fn();
      count++;
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return [count / seconds, (used.user + used.system) / count];
}

/**
 * One caller taking turns with `variants` request by request (the order rotates too) for
 * `turns` turns; returns the median latency of each in µs. The median, because on a shared
 * machine a few requests stall for a whole scheduler time slice, and the mean would mostly
 * count those stalls.
 */
async function paired(variants: (() => Promise<unknown>)[], turns: number): Promise<number[]> {
  const times: number[][] = variants.map(() => []);
  for (let turn = 0; turn < turns; turn++) {
    for (let i = 0; i < variants.length; i++) {
      const which = (i + turn) % variants.length;
      const start = performance.now();
      await variants[which]();
      times[which].push(performance.now() - start);
    }
  }
  return times.map((list) => median(list) * 1000);
}

/** Runs `call` and reads the body; throws unless the answer is a 200. */
function checked(name: string, call: () => Promise<Response>): () => Promise<void> {
  return async () => {
    const response = await call();
    if (response.status !== 200) throw new Error(`${name} got ${response.status}`);
    await response.arrayBuffer();
  };
}

async function hotPath(transport: HotResult["transport"]): Promise<HotResult> {
  const server = createKognicServer();
  const served = transport === "loopback" ? await serve(server.fetch) : undefined;
  const base = served?.url ?? IN_PROCESS;
  const send = (served ? (input, init) => fetch(input, init) : server.fetch) as typeof fetch;
  try {
    // Over loopback the library uses its default transport (the runtime adapter's fetch, with
    // its proxy selection), as a program would; plain fetch is the global one.
    const client = await credentialsFor(base, served ? undefined : send);
    await (await client.fetch("/v1/items")).arrayBuffer();
    // The plain variant sends exactly the headers the library sent, fixed once.
    const seen = server.apiRequests[0].headers;
    const headers = {
      accept: seen["accept"],
      "user-agent": seen["user-agent"],
      authorization: seen["authorization"],
    };
    const url = `${base}/v1/items`;
    const library = checked("library", () => client.fetch("/v1/items"));
    const plain = checked("plain fetch", () => send(url, { headers }));
    // The baseline for the library's default 120 s timeout: the cheapest way to give plain
    // fetch the same timeout.
    const plainTimeout = checked(
      "plain fetch",
      () => send(url, { headers, signal: AbortSignal.timeout(120_000) }),
    );
    const variants: Record<string, () => Promise<void>> = {
      library,
      plain,
      "plain+timeout": plainTimeout,
      "library, timeout 0": checked(
        "library",
        () => client.fetch("/v1/items", { timeout: 0 } as RequestInit),
      ),
    };
    for (const peer of PEERS) {
      if (!peer.runsHere(runtimeName) || (!served && !peer.inProcess)) continue;
      const call = await peer.make({
        base,
        clientId: TEST_CLIENT_ID,
        clientSecret: CANARY_SECRET,
        send: served ? undefined : send,
      });
      await (await call("/v1/items")).arrayBuffer();
      variants[peer.name] = checked(peer.name, () => call("/v1/items"));
    }
    const result: HotResult = {
      transport,
      library: [],
      plain: [],
      ratios: [],
      libraryCpu: [],
      plainCpu: [],
      cpuRatios: [],
      paired: Object.fromEntries(Object.keys(variants).map((name) => [name, []])),
    };
    // Throughput: one warm-up round of each, then rounds in alternating order (ABBA…).
    const pair = { library, plain };
    for (let round = -1; round < config.hotRounds; round++) {
      const order = round % 2 === 0 ? ["library", "plain"] as const : ["plain", "library"] as const;
      const rates: Record<string, [number, number]> = {};
      for (const name of order) {
        rates[name] = await rate(pair[name], config.hotMs, CONCURRENCY);
        server.apiRequests.length = 0;
      }
      if (round < 0) continue;
      result.library.push(rates.library[0]);
      result.plain.push(rates.plain[0]);
      result.ratios.push(rates.library[0] / rates.plain[0]);
      result.libraryCpu.push(rates.library[1]);
      result.plainCpu.push(rates.plain[1]);
      result.cpuRatios.push(rates.plain[1] / rates.library[1]);
    }
    // Paired: a warm-up round, then rounds of one caller taking turns.
    const names = Object.keys(variants);
    for (let round = -1; round < config.pairedRounds; round++) {
      const medians = await paired(names.map((name) => variants[name]), config.pairedTurns);
      server.apiRequests.length = 0;
      if (round < 0) continue;
      names.forEach((name, i) => result.paired[name].push(medians[i]));
    }
    return result;
  } finally {
    await served?.close();
  }
}

/**
 * N concurrent callers on a cold cache, then N again once the token has expired. The expiry is
 * made by moving `Date.now()` forward (every variant and the server read it), so no variant's
 * own margin or background refresh can hide it.
 */
async function stampede(variant: Variant, n: number): Promise<StampedeResult[]> {
  const realNow = Date.now;
  let offset = 0;
  Date.now = () => realNow.call(Date) + offset;
  const server = createKognicServer({ now: () => Date.now() });
  const peer = PEERS.find((p) => p.name === variant);
  // The token endpoint answers after TOKEN_DELAY_MS, like a remote one. In process, except
  // for a peer that cannot take a transport: it gets the same server over loopback.
  const delayed = async (request: Request) => {
    if (request.url.endsWith(TOKEN_PATH)) await sleep(TOKEN_DELAY_MS);
    return server.fetch(request);
  };
  const served = peer && !peer.inProcess ? await serve(delayed) : undefined;
  const send = ((input: Request | URL | string, init?: RequestInit) =>
    delayed(
      input instanceof Request && !init ? input : new Request(input, init),
    )) as typeof fetch;
  try {
    let call: () => Promise<Response>;
    if (variant === "library") {
      const client = await credentialsFor(IN_PROCESS, send);
      call = () => client.fetch("/v1/items");
    } else if (variant === "naive") {
      const naive = naiveAuthFetch({
        tokenUrl: IN_PROCESS + TOKEN_PATH,
        baseUrl: IN_PROCESS,
        clientId: TEST_CLIENT_ID,
        clientSecret: CANARY_SECRET,
        fetch: send,
        now: () => Date.now(),
      });
      call = () => naive("/v1/items");
    } else {
      const made = await peer!.make({
        base: served?.url ?? IN_PROCESS,
        clientId: TEST_CLIENT_ID,
        clientSecret: CANARY_SECRET,
        send: served ? undefined : send,
      });
      call = () => made("/v1/items");
    }
    const results: StampedeResult[] = [];
    for (const phase of ["cold", "expiry"] as const) {
      if (phase === "expiry") offset += (server.tokenLifetime + 1) * 1000;
      const before = server.tokenRequests.length;
      server.apiRequests.length = 0;
      collectGarbage();
      const heapBefore = process.memoryUsage().heapUsed;
      let heapPeak = heapBefore;
      const sample = () => heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      const sampler = setInterval(sample, 5);
      const start = performance.now();
      const pending = Array.from({ length: n }, async () => {
        const response = await call();
        await response.arrayBuffer();
        return response.status;
      });
      sample();
      const statuses = await Promise.all(pending);
      const wallMs = performance.now() - start;
      clearInterval(sampler);
      results.push({
        variant,
        n,
        phase,
        tokenRequests: [server.tokenRequests.length - before],
        wallMs: [wallMs],
        heapKiB: [(heapPeak - heapBefore) / 1024],
        failures: statuses.filter((status) => status !== 200).length,
      });
    }
    return results;
  } finally {
    Date.now = realNow;
    await served?.close();
  }
}

/** Steady load over loopback across token rotations; latencies during versus between them. */
async function refresh(variant: Variant, durationMs: number): Promise<Segment> {
  const server = createKognicServer({ tokenLifetime: REFRESH_LIFETIME });
  const windows: [number, number][] = [];
  const served = await serve(async (request) => {
    if (!request.url.endsWith(TOKEN_PATH)) return server.fetch(request);
    const start = performance.now();
    await sleep(TOKEN_DELAY_MS);
    const response = await server.fetch(request);
    windows.push([start, performance.now()]);
    return response;
  });
  try {
    const send = ((input, init) => fetch(input, init)) as typeof fetch;
    let call: () => Promise<Response>;
    if (variant === "library") {
      const client = await credentialsFor(served.url, send);
      call = () => client.fetch("/v1/items");
    } else if (variant === "naive") {
      const naive = naiveAuthFetch({
        tokenUrl: served.url + TOKEN_PATH,
        baseUrl: served.url,
        clientId: TEST_CLIENT_ID,
        clientSecret: CANARY_SECRET,
        fetch: send,
        now: Date.now,
      });
      call = () => naive("/v1/items");
    } else {
      const peer = PEERS.find((p) => p.name === variant)!;
      const made = await peer.make({
        base: served.url,
        clientId: TEST_CLIENT_ID,
        clientSecret: CANARY_SECRET,
      });
      call = () => made("/v1/items");
    }
    await (await call()).arrayBuffer(); // the first token is not a rotation
    windows.length = 0;
    const samples: [number, number][] = [];
    let failed = 0;
    const end = performance.now() + durationMs;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const start = performance.now();
        const response = await call();
        await response.arrayBuffer();
        // A peer that sends a token at the moment it expires gets a 401: counted, not timed.
        if (response.status !== 200) {
          if (variant === "library") {
            throw new Error(`${variant} got ${response.status} ${response.url}`);
          }
          failed++;
          continue;
        }
        samples.push([start, performance.now()]);
        if (server.apiRequests.length > 10_000) server.apiRequests.length = 0;
      }
    }));
    // Overlapping token requests belong to one rotation.
    const rotations: [number, number][] = [];
    for (const [start, stop] of [...windows].sort((a, b) => a[0] - b[0])) {
      const last = rotations.at(-1);
      if (last && start <= last[1]) last[1] = Math.max(last[1], stop);
      else rotations.push([start, stop]);
    }
    const during: number[] = [];
    const between: number[] = [];
    for (const [start, stop] of samples) {
      const overlaps = rotations.some(([from, to]) => start < to && stop > from);
      (overlaps ? during : between).push(stop - start);
    }
    return {
      variant,
      failed,
      rotations: rotations.length,
      tokenRequests: windows.length,
      during,
      between,
    };
  } finally {
    await served.close();
  }
}

function latencies(values: number[]): Latencies {
  return {
    count: values.length,
    p50: median(values),
    p99: quantile(values, 0.99),
    max: values.length ? Math.max(...values) : NaN,
  };
}

function merge(into: StampedeResult[], more: StampedeResult[]): void {
  for (const result of more) {
    const same = into.find((r) =>
      r.variant === result.variant && r.n === result.n && r.phase === result.phase
    );
    if (!same) {
      into.push(result);
      continue;
    }
    same.tokenRequests.push(...result.tokenRequests);
    same.wallMs.push(...result.wallMs);
    same.heapKiB.push(...result.heapKiB);
    same.failures += result.failures;
  }
}

const label = `${runtime.name} ${runtime.version}`;
const results: Results = { runtime: label, hot: [], stampede: [], refresh: [] };

if (wanted("hot")) {
  log(`${label}: hot path`);
  results.hot.push(await hotPath("in-process"), await hotPath("loopback"));
}

/** The variants of the stampede and refresh benchmarks on this runtime. */
const compared: Variant[] = [
  "library",
  "naive",
  ...PEERS.filter((peer) => peer.runsHere(runtimeName)).map((peer) => peer.name),
];

if (wanted("stampede")) log(`${label}: stampede`);
for (const n of wanted("stampede") ? config.stampedeN : []) {
  for (let rep = 0; rep < config.stampedeReps; rep++) {
    // The order rotates from one repetition to the next.
    const order = [
      ...compared.slice(rep % compared.length),
      ...compared.slice(0, rep % compared.length),
    ];
    for (const variant of order) {
      const peer = PEERS.find((p) => p.name === variant);
      // A peer over loopback without single flight would open N sockets at once for its
      // token requests: not at 10,000.
      if (peer && !peer.inProcess && n > 100) continue;
      merge(results.stampede, await stampede(variant, n));
    }
  }
}

if (wanted("refresh")) log(`${label}: refresh under load`);
// Segments in ABBA order (each variant twice, the second pass reversed); the samples of both
// segments of a variant are pooled.
const segments: Segment[] = [];
const refreshOrder = smoke ? compared : [...compared, ...[...compared].reverse()];
for (const variant of wanted("refresh") ? refreshOrder : []) {
  segments.push(await refresh(variant, config.refreshSegmentMs));
}
for (const variant of wanted("refresh") ? compared : []) {
  const mine = segments.filter((s) => s.variant === variant);
  results.refresh.push({
    variant,
    failed: mine.reduce((sum, s) => sum + s.failed, 0),
    rotations: mine.reduce((sum, s) => sum + s.rotations, 0),
    tokenRequests: mine.reduce((sum, s) => sum + s.tokenRequests, 0),
    during: latencies(mine.flatMap((s) => s.during)),
    between: latencies(mine.flatMap((s) => s.between)),
  });
}

process.stdout.write(`${JSON.stringify(results)}\n`, () => process.exit(0));

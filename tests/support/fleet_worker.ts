// One process of a fleet that shares a token store: the fleet cases, bench/fleet.ts and the
// soak start many of these. It connects its store, prints `ready`, waits for `go` on stdin
// (sent to every process at once), then runs `callers` concurrent loops of getToken() for `durationMs` and prints one JSON
// line: every call's start and latency, the failed calls, and the store errors seen.
// Usage: <runtime> tests/support/fleet_worker.ts '<FleetConfig as JSON>'
import process from "node:process";
import { Credentials, type TokenEvent, type TokenStore } from "../../mod.ts";
import { TokenProvider } from "../../src/core.ts";
import { fileTokenStore } from "../../src/stores/file.ts";
import { redisTokenStore } from "../../src/stores/redis.ts";
import { denoKvTokenStore } from "../../src/stores/deno_kv.ts";

/** What one fleet process does. */
export interface FleetConfig {
  store: "redis" | "file" | "deno-kv" | "none";
  /** Whether the store offers its lease; default true. */
  lease?: boolean;
  /** The redis URL, the cache file or the Deno KV path. */
  location?: string;
  authHost: string;
  clientId: string;
  clientSecret: string;
  callers: number;
  durationMs: number;
  /** Pause between one caller's calls, ms; default 20. */
  pauseMs?: number;
  /** The provider's token request timeout (and so the lease's time to live), ms. */
  timeout?: number;
  /**
   * Instrument the provider with `@kognic/auth/otel` (an SDK meter provider with an in-memory
   * reader) and report the sum of its token-request counter.
   */
  otel?: boolean;
}

const config: FleetConfig = JSON.parse(process.argv.at(-1)!);
let store: TokenStore | undefined;
let close = async () => {};
if (config.store === "redis") {
  const { createClient } = await import("redis");
  const client = createClient({
    url: config.location,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: () => 50, connectTimeout: 1_000 },
  });
  client.on("error", () => {});
  await client.connect();
  store = redisTokenStore((args) => client.sendCommand(args));
  close = () => Promise.resolve(client.destroy());
} else if (config.store === "file") {
  store = fileTokenStore({ path: config.location });
} else if (config.store === "deno-kv") {
  // Processes that open one new SQLite file at the same moment race to set it up: the losers
  // get "database is locked" from openKv for a few milliseconds, so opening is retried (only
  // opening: the store retries its own operations).
  // deno-lint-ignore no-explicit-any
  const { openKv } = (globalThis as any).Deno;
  let kv;
  for (let attempt = 1;; attempt++) {
    try {
      kv = await openKv(config.location);
      break;
    } catch (error) {
      if (attempt >= 20 || !/locked|busy/i.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, attempt * (10 + Math.random() * 20)));
    }
  }
  store = denoKvTokenStore(kv);
  close = () => Promise.resolve(kv.close());
}
/** Whether the store's last lease call failed. */
let unreachable = false;
/** Token requests made while the store could not be reached (each process on its own). */
let unreachableRequests = 0;
if (store && config.lease === false) {
  const { load, save } = store;
  store = { load: load.bind(store), save: save.bind(store) };
} else if (store?.lease) {
  // Says when it takes the lease, so that the soak can kill the leaseholder; notes whether the
  // store answered, so that token requests made while it could not be reached are told apart.
  const { lease } = store;
  store.lease = async (key, owner, ttl) => {
    let taken;
    try {
      taken = await lease.call(store, key, owner, ttl);
    } catch (error) {
      unreachable = true;
      throw error;
    }
    unreachable = false;
    if (taken) process.stdout.write("lease\n");
    return taken;
  };
}
// KOGNIC_FLEET_TRACE=<dir>: every store operation and token request, with its time and answer,
// appended to <dir>/<pid>.jsonl as it happens (so that a killed process leaves its trace).
const traceDir = process.env.KOGNIC_FLEET_TRACE;
let trace: ((entry: Record<string, unknown>) => void) | undefined;
if (traceDir) {
  const { appendFileSync } = await import("node:fs");
  const file = `${traceDir}/${process.pid}.jsonl`;
  trace = (entry) =>
    appendFileSync(file, JSON.stringify({ t: Date.now(), pid: process.pid, ...entry }) + "\n");
  if (store) {
    const traced = store;
    const wrap = (op: "load" | "save" | "lease" | "release") => {
      const original = traced[op] as ((...args: unknown[]) => Promise<unknown>) | undefined;
      if (!original) return;
      (traced as unknown as Record<string, unknown>)[op] = async (...args: unknown[]) => {
        const started = Date.now();
        try {
          const result = await original.apply(traced, args);
          trace!({
            op,
            started,
            result: op === "load"
              ? (result as { access_token?: string } | undefined)?.access_token?.slice(-8) ?? null
              : result ?? null,
          });
          return result;
        } catch (error) {
          trace!({ op, started, error: String((error as Error)?.message ?? error).slice(0, 80) });
          throw error;
        }
      };
    };
    for (const op of ["load", "save", "lease", "release"] as const) wrap(op);
  }
}
const provider = new TokenProvider({
  credentials: new Credentials({ clientId: config.clientId, clientSecret: config.clientSecret }),
  authHost: config.authHost,
  store,
  timeout: config.timeout,
  fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
    if (unreachable) unreachableRequests++;
    const started = Date.now();
    trace?.({ op: "request", unreachable });
    const response = await fetch(input, init);
    trace?.({ op: "response", started, status: response.status });
    return response;
  },
});
const storeErrors: string[] = [];
const listener = (event: TokenEvent) => {
  if (event.type === "store_error") storeErrors.push(`${event.operation}: ${event.message}`);
  trace?.({
    event: event.type,
    ...(event.type === "token" ? { background: event.background } : {}),
  });
};
provider.subscribe(listener);
let otelTokenRequests: (() => Promise<number>) | undefined;
if (config.otel) {
  const { MeterProvider, MetricReader } = await import("@opentelemetry/sdk-metrics");
  const { instrument } = await import("../../src/otel/mod.ts");
  class Reader extends MetricReader {
    protected onForceFlush = () => Promise.resolve();
    protected onShutdown = () => Promise.resolve();
  }
  const reader = new Reader();
  instrument(provider, { meterProvider: new MeterProvider({ readers: [reader] }) });
  otelTokenRequests = async () => {
    const { resourceMetrics } = await reader.collect();
    let sum = 0;
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== "kognic_auth.token.requests") continue;
        for (const point of metric.dataPoints) sum += point.value as number;
      }
    }
    return sum;
  };
}

process.stdout.write("ready\n");
await new Promise<void>((resolve) => {
  let input = "";
  process.stdin.on("data", (chunk) => {
    input += chunk;
    if (input.includes("go\n")) resolve();
  });
});
const startAt = Date.now();
const calls: [start: number, ms: number][] = [];
const failures: string[] = [];
const end = startAt + config.durationMs;
await Promise.all(Array.from({ length: config.callers }, async () => {
  while (Date.now() < end) {
    const start = performance.now();
    const at = Date.now();
    try {
      await provider.getToken();
      const ms = performance.now() - start;
      calls.push([at, ms]);
      // Traced: a call that waited (a token served from memory takes well under 1 ms).
      if (ms > 20) trace?.({ slowCall: ms, at });
    } catch (error) {
      failures.push(String((error as Error)?.message ?? error));
    }
    await new Promise((resolve) => setTimeout(resolve, config.pauseMs ?? 20));
  }
}));
// Exit only once the report is out: a pipe takes a long line in several writes.
const counted = await otelTokenRequests?.();
await new Promise((resolve) =>
  process.stdout.write(
    JSON.stringify({
      calls,
      failures,
      storeErrors,
      unreachableRequests,
      otelTokenRequests: counted,
    }) + "\n",
    resolve,
  )
);
await close();
process.exit(0);

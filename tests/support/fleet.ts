/**
 * Runs a fleet of separate OS processes (tests/support/fleet_worker.ts) that share one token
 * store, against a Kognic test server on loopback whose token endpoint answers after a delay;
 * for the fleet cases, the soak and bench/fleet.ts. Test-only.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { repoPath } from "./cli.ts";
import {
  CANARY_SECRET,
  createKognicServer,
  type KognicServer,
  TEST_CLIENT_ID,
} from "./kognic_server.ts";
import { serve, type Served } from "./serve.ts";
import type { FleetConfig } from "./fleet_worker.ts";

/** The test server on loopback, with a token endpoint that takes `delayMs` to answer. */
export async function fleetServer(
  options: { tokenLifetime?: number; delayMs?: number | ((request: number) => number) } = {},
): Promise<{ server: KognicServer; served: Served; tokenTimes: number[] }> {
  const server = createKognicServer({ tokenLifetime: options.tokenLifetime ?? 2 });
  const tokenTimes: number[] = [];
  const served = await serve(async (request) => {
    if (new URL(request.url).pathname.endsWith("/token")) {
      tokenTimes.push(Date.now());
      const delay = options.delayMs ?? 200;
      const ms = typeof delay === "function" ? delay(tokenTimes.length) : delay;
      // Cut short when the client went away (a killed process), so that closing is quick.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        request.signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return server.fetch(request);
  });
  return { server, served, tokenTimes };
}

/** What one process reported. */
export interface WorkerResult {
  calls: [start: number, ms: number][];
  failures: string[];
  storeErrors: string[];
  /** Token requests it made while its store could not be reached. */
  unreachableRequests?: number;
  /**
   * With `otel`: the sum of its `kognic_auth.token.requests` counter (`@kognic/auth/otel`,
   * read from an in-memory metric reader at the end).
   */
  otelTokenRequests?: number;
}

/** A started fleet process. */
export interface FleetProcess {
  child: ChildProcess;
  /** When it last took the lease (epoch ms), or 0. */
  leasedAt: number;
  /** Resolves once the process connected its store. */
  ready: Promise<void>;
  /** Its report (or `undefined` when it was killed or failed, with `stderr`). */
  result: Promise<WorkerResult | undefined>;
  stderr(): string;
}

/** The command that runs a TypeScript entry on `runtime` (default this one). */
function command(runtime: string | undefined, entry: string): [string, string[]] {
  const exec = runtime ?? process.execPath;
  const isDeno = runtime
    ? /deno$/.test(runtime)
    : globalThis.navigator?.userAgent?.startsWith("Deno/");
  return isDeno
    ? [exec, ["run", "-A", "--quiet", "--no-lock", "--unstable-kv", entry]]
    : [exec, [entry]];
}

/** Starts one fleet process. */
export function startWorker(config: FleetConfig, runtime?: string): FleetProcess {
  const [exec, args] = command(runtime, repoPath("tests/support/fleet_worker.ts"));
  const child = spawn(exec, [...args, JSON.stringify(config)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  let onReady: () => void;
  const ready = new Promise<void>((resolve) => onReady = resolve);
  const started: FleetProcess = {
    child,
    leasedAt: 0,
    ready: undefined as unknown as Promise<void>,
    result: undefined as unknown as Promise<WorkerResult | undefined>,
    stderr: () => err,
  };
  child.stdout!.on("data", (chunk) => {
    if (String(chunk).includes("lease\n")) started.leasedAt = Date.now();
    out += chunk;
    if (out.includes("ready\n")) onReady();
  });
  child.stderr!.on("data", (chunk) => err += chunk);
  const result = new Promise<WorkerResult | undefined>((resolve) => {
    child.on("close", () => {
      onReady();
      const line = out.split("\n").find((line) => line.startsWith("{"));
      try {
        resolve(line ? JSON.parse(line) : undefined);
      } catch {
        err += `\nUnreadable report: ${line!.slice(0, 200)}`;
        resolve(undefined);
      }
    });
  });
  started.ready = ready;
  started.result = result;
  return started;
}

/** Options of {@linkcode runFleet}. */
export interface FleetOptions {
  processes: number;
  callers?: number;
  durationMs: number;
  store: FleetConfig["store"];
  lease?: boolean;
  location?: string;
  runtime?: string;
  timeout?: number;
  pauseMs?: number;
  /** Called with the processes once they all run (to inject faults). */
  during?: (processes: FleetProcess[]) => Promise<void>;
  /** Instrument each process's provider with `@kognic/auth/otel` and report its counter. */
  otel?: boolean;
}

/** Starts the fleet against `authHost`, all at one moment, and collects the reports. */
export async function runFleet(authHost: string, options: FleetOptions): Promise<{
  results: (WorkerResult | undefined)[];
  stderr: string[];
  startAt: number;
}> {
  const base: FleetConfig = {
    store: options.store,
    lease: options.lease,
    location: options.location,
    authHost,
    clientId: TEST_CLIENT_ID,
    clientSecret: CANARY_SECRET,
    callers: options.callers ?? 4,
    durationMs: options.durationMs,
    timeout: options.timeout,
    pauseMs: options.pauseMs,
    otel: options.otel,
  };
  const processes: FleetProcess[] = [];
  for (let i = 0; i < options.processes; i++) processes.push(startWorker(base, options.runtime));
  await Promise.all(processes.map((p) => p.ready));
  const startAt = Date.now();
  for (const p of processes) p.child.stdin!.end("go\n");
  if (options.during) await options.during(processes);
  const results = await Promise.all(processes.map((p) => p.result));
  return { results, stderr: processes.map((p) => p.stderr()), startAt };
}

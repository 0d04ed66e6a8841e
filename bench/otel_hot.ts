// The cached-token hot path with `@kognic/auth/otel` loaded and the client instrumented but no
// OpenTelemetry SDK registered (what a library user pays who never sets one up), beside the same
// client without it; and, for scale, an instrumented client recording into an SDK with an
// in-memory exporter. In process and over loopback; one caller takes turns request by request
// with every variant (as bench/hot_compare.ts does). Bench-only code.
//
// Usage: <runtime> bench/otel_hot.ts [--rounds=7] [--turns=1500] [--smoke]
// Prints a table per transport and `bench scenario=otel-hot-<transport> runtime=<r>
// subject=<variant> baseline=library ratio=<baseline µs ÷ subject µs>` lines (above 1: faster).
import process from "node:process";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { createClient } from "../mod.ts";
import { instrument } from "../src/otel/mod.ts";
import { memoryRuntime } from "../src/runtime/memory.ts";
import {
  CANARY_SECRET,
  createKognicServer,
  TEST_CLIENT_ID,
} from "../tests/support/kognic_server.ts";
import { serve } from "../tests/support/serve.ts";
import { fixed, median, spread } from "./_stats.ts";

const arg = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const smoke = process.argv.includes("--smoke");
const rounds = smoke ? 1 : Number(arg("rounds") ?? 7);
const turns = smoke ? 20 : Number(arg("turns") ?? 1500);
const runtimeName = navigator.userAgent.split("/")[0].toLowerCase().replace("node.js", "node");

for (const transport of ["in-process", "loopback"] as const) {
  const server = createKognicServer();
  const served = transport === "loopback" ? await serve(server.fetch) : undefined;
  const base = served?.url ?? "https://kognic.test";
  const send = (served ? (input, init) => fetch(input, init) : server.fetch) as typeof fetch;
  // One transport function per client, so that no two clients share a provider.
  const make = () => {
    const own = ((input, init) => send(input, init)) as typeof fetch;
    return createClient({
      auth: [TEST_CLIENT_ID, CANARY_SECRET],
      baseUrl: base,
      authHost: base,
      runtime: memoryRuntime({ fetch: own }),
      fetch: own,
    });
  };
  try {
    const library = await make();
    const instrumented = await make();
    instrument(instrumented);
    const exporter = new InMemorySpanExporter();
    const recording = await make();
    instrument(recording, {
      tracerProvider: new BasicTracerProvider({
        spanProcessors: [new SimpleSpanProcessor(exporter)],
      }),
      meterProvider: new MeterProvider(),
    });
    const call = (client: typeof library) => async () => {
      const response = await client.fetch("/v1/items");
      if (response.status !== 200) throw new Error(`got ${response.status}`);
      await response.arrayBuffer();
    };
    const variants: Record<string, () => Promise<void>> = {
      library: call(library),
      "library+otel": call(instrumented),
      "library+otel+sdk": call(recording),
    };
    for (const run of Object.values(variants)) await run();
    const names = Object.keys(variants);
    const medians: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = -1; round < rounds; round++) {
      const times: number[][] = names.map(() => []);
      for (let turn = 0; turn < turns; turn++) {
        for (let i = 0; i < names.length; i++) {
          const which = (i + turn) % names.length;
          const start = performance.now();
          await variants[names[which]]();
          times[which].push(performance.now() - start);
        }
      }
      server.apiRequests.length = 0;
      exporter.reset();
      if (round < 0) continue;
      names.forEach((name, i) => medians[name].push(median(times[i]) * 1000));
    }
    const ratio = (name: string) =>
      medians[name].map((value, round) => medians.library[round] / value);
    process.stdout.write(`\n${runtimeName} ${transport}, ${rounds} × ${turns} paired turns\n`);
    for (const name of names) {
      const r = ratio(name);
      process.stdout.write(
        `  ${name.padEnd(18)} ${fixed(median(medians[name]), 1).padStart(7)} µs   ` +
          `library ÷ it ${fixed(median(r), 3)} (${spread(r, 3)})\n`,
      );
    }
    for (const subject of names.slice(1)) {
      process.stdout.write(
        `bench scenario=otel-hot-${transport} runtime=${runtimeName} subject=${subject} ` +
          `baseline=library ratio=${fixed(median(ratio(subject)), 3)}\n`,
      );
    }
  } finally {
    await served?.close();
  }
}
process.exit(0);

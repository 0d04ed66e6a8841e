// Profiling aid for the hot path: one caller sends cached-token requests over loopback (or
// in-process with `--in-process`) for a few seconds, to be run under a CPU profiler:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile_hot.ts [library|plain|plain+timeout]
//   deno run -A --v8-flags=--prof... (see bench/README.md)
// Then `node bench/profile_summary.ts /tmp/prof/<file>.cpuprofile` lists the self time by
// function. Bench-only code.
import process from "node:process";
import { createClient } from "../mod.ts";
import { memoryRuntime } from "../src/runtime/memory.ts";
import {
  CANARY_SECRET,
  createKognicServer,
  TEST_CLIENT_ID,
} from "../tests/support/kognic_server.ts";
import { serve } from "../tests/support/serve.ts";

const variant = process.argv.find((arg) => !arg.startsWith("-") && /^(library|plain)/.test(arg)) ??
  "library";
const inProcess = process.argv.includes("--in-process");
const seconds = Number(process.argv.find((arg) => arg.startsWith("--seconds="))?.slice(10) ?? 4);
const server = createKognicServer();
const served = inProcess ? undefined : await serve(server.fetch);
const base = served?.url ?? "https://kognic.test";
const send = inProcess ? server.fetch as typeof fetch : undefined;
const client = await createClient({
  auth: [TEST_CLIENT_ID, CANARY_SECRET],
  baseUrl: base,
  authHost: base,
  runtime: send ? memoryRuntime({ fetch: send }) : undefined,
  fetch: send,
});
await (await client.fetch("/v1/items")).arrayBuffer();
const seen = server.apiRequests[0].headers;
const headers = {
  accept: seen["accept"],
  "user-agent": seen["user-agent"],
  authorization: seen["authorization"],
};
const url = `${base}/v1/items`;
const transport = send ?? fetch;
const call = variant === "library"
  ? () => client.fetch("/v1/items")
  : variant === "plain"
  ? () => transport(url, { headers })
  : () => transport(url, { headers, signal: AbortSignal.timeout(120_000) });
let count = 0;
const end = performance.now() + seconds * 1000;
while (performance.now() < end) {
  const response = await call();
  await response.arrayBuffer();
  count++;
  if (server.apiRequests.length > 1000) server.apiRequests.length = 0;
}
// deno-lint-ignore no-console
console.error(`${variant}: ${(seconds * 1e6 / count).toFixed(1)} µs per request`);
await served?.close();

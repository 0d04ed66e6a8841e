// Takes the hot path over loopback apart: one caller takes turns request by request with plain
// fetch, plain fetch with AbortSignal.timeout(120 s), the same with `redirect: "manual"`, the
// runtime adapter's fetch (proxy selection) with both, and the library. Prints the median
// latency of each in µs and its ratio to plain + timeout. Bench-only code.
// Usage: <runtime> bench/hot_parts.ts [rounds=7] [ms per round=1500]
import process from "node:process";
import { createClient } from "../mod.ts";
import { detectRuntime } from "../src/runtime/mod.ts";
import {
  CANARY_SECRET,
  createKognicServer,
  TEST_CLIENT_ID,
} from "../tests/support/kognic_server.ts";
import { serve } from "../tests/support/serve.ts";
import { median, takeTurns } from "./_stats.ts";

const rounds = Number(process.argv[2] ?? 7);
const ms = Number(process.argv[3] ?? 1500);
const server = createKognicServer();
const served = await serve(server.fetch);
const runtime = await detectRuntime();
// Taken once, as a client does: each read of `runtime.fetch` reads the proxy variables anew.
const adapterFetch = runtime.fetch;
const client = await createClient({
  auth: [TEST_CLIENT_ID, CANARY_SECRET],
  baseUrl: served.url,
  authHost: served.url,
});
await (await client.fetch("/v1/items")).arrayBuffer();
const seen = server.apiRequests[0].headers;
const headers = {
  accept: seen["accept"],
  "user-agent": seen["user-agent"],
  authorization: seen["authorization"],
};
const url = `${served.url}/v1/items`;
const variants: [string, () => Promise<Response>][] = [
  ["plain", () => fetch(url, { headers })],
  ["plain+timeout", () => fetch(url, { headers, signal: AbortSignal.timeout(120_000) })],
  [
    "plain+timeout+manual",
    () => fetch(url, { headers, redirect: "manual", signal: AbortSignal.timeout(120_000) }),
  ],
  [
    "adapter+timeout+manual",
    () => adapterFetch(url, { headers, redirect: "manual", signal: AbortSignal.timeout(120_000) }),
  ],
  [
    "plain+ctl+manual",
    () => fetch(url, { headers, redirect: "manual", signal: new AbortController().signal }),
  ],
  [
    "plain+ctl+manual+sunset",
    () =>
      fetch(url, { headers, redirect: "manual", signal: new AbortController().signal }).then(
        (r) => {
          r.headers.get("sunset-date");
          return r;
        },
      ),
  ],
  [
    "adapter+ctl+manual",
    () => adapterFetch(url, { headers, redirect: "manual", signal: new AbortController().signal }),
  ],
  ["library", () => client.fetch("/v1/items")],
  ["library, timeout 0", () => client.fetch("/v1/items", { timeout: 0 } as RequestInit)],
];
const medians = await takeTurns(
  variants.map(([, send]) => send),
  rounds,
  ms,
  () => {
    if (server.apiRequests.length > 1000) server.apiRequests.length = 0;
  },
);
await served.close();
const base = median(medians[1]);
// deno-lint-ignore no-console
console.log(`${runtime.name} ${runtime.version}, ${rounds} × ${ms} ms, median µs per request:`);
for (let i = 0; i < variants.length; i++) {
  const us = median(medians[i]);
  // deno-lint-ignore no-console
  console.log(
    `  ${variants[i][0].padEnd(24)} ${us.toFixed(1).padStart(7)}  ÷ plain+timeout ${
      (base / us).toFixed(3)
    }`,
  );
}

// Takes the library's cached-token request over loopback apart step by step: the runtime
// adapter's fetch with what the library hands it (a frozen header record, `redirect: "manual"`,
// a fresh controller's signal), then the same inside an async function that reads the status and
// the sunset-date header as the library does, then the library with timeout 0 and with its
// default timeout. One caller takes turns request by request; median µs of each and its
// difference to the first. Bench-only code.
// Usage: <runtime> bench/hot_steps.ts [rounds=7] [ms per round=1000]
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
import { deadlinesOf } from "../src/http/_deadline.ts";

const rounds = Number(process.argv[2] ?? 7);
const ms = Number(process.argv[3] ?? 1000);
const server = createKognicServer();
const served = await serve(server.fetch);
const runtime = await detectRuntime();
const adapterFetch = runtime.fetch;
const client = await createClient({
  auth: [TEST_CLIENT_ID, CANARY_SECRET],
  baseUrl: served.url,
  authHost: served.url,
});
await (await client.fetch("/v1/items")).arrayBuffer();
const seen = server.apiRequests[0].headers;
const headers = Object.freeze({
  accept: seen["accept"],
  "user-agent": seen["user-agent"],
  authorization: seen["authorization"],
});
const url = `${served.url}/v1/items`;
const variants: [string, () => Promise<Response>][] = [
  ["plain", () => fetch(url, { headers })],
  [
    "adapter+ctl+manual",
    () => adapterFetch(url, { headers, redirect: "manual", signal: new AbortController().signal }),
  ],
  [
    "async+status+sunset",
    async () => {
      const response = await adapterFetch(url, {
        headers,
        redirect: "manual",
        signal: new AbortController().signal,
      });
      if (response.status > 299) throw new Error("status");
      response.headers.get("sunset-date");
      return response;
    },
  ],
  [
    "async+deadline",
    async () => {
      const deadlines = deadlinesOf(120_000);
      const controller = new AbortController();
      const deadline = deadlines.start(controller);
      let response;
      try {
        response = await adapterFetch(url, {
          headers,
          redirect: "manual",
          signal: controller.signal,
        });
      } finally {
        deadlines.end(deadline, controller);
      }
      if (response.status > 299) throw new Error("status");
      response.headers.get("sunset-date");
      return response;
    },
  ],
  ["library, timeout 0", () => client.fetch("/v1/items", { timeout: 0 } as RequestInit)],
  ["library", () => client.fetch("/v1/items")],
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
    `  ${variants[i][0].padEnd(24)} ${us.toFixed(1).padStart(7)}  ${(us - base).toFixed(1)}`,
  );
}

// The cached-token hot path of this checkout beside an earlier one, on the runtime that runs it:
// one caller takes turns request by request with every variant (as bench/run.ts's paired rounds
// do), in process and over loopback. Besides the library (default options, 120 s timeout) and
// plain fetch with and without `AbortSignal.timeout(120_000)`, it runs plain fetch with a fresh
// `AbortController`'s signal per request (what the library hands the runtime for its timeout)
// and the library with timeout 0 (which takes the general path: a request with an init), and
// over loopback the runtime adapter's fetch as the library calls it and the lane's steps written
// out around it, so that the runtime's own cost of a signal, the adapter's and that of any such
// wrapper in this harness show apart from the library's work, and `createAuthFetch` over that
// same adapter function, which tells the library's code from the transport its client took.
// Bench-only code.
//
// Usage: <runtime> bench/hot_compare.ts [--before=DIR] [--rounds=7] [--turns=1500]
//   --before  a checkout of an earlier version (`git archive <rev> | tar -x -C DIR`): its mod.ts
//             runs as the variant "before".
// The two slots are not alike on Deno and Node ("library" shares its modules with the test server
// and this script, "before" has its own; identical code differed by up to 5 %): run it both ways
// round (DIR's own script with --before= this checkout too) and take the geometric mean.
import process from "node:process";
import { createClient } from "../mod.ts";
import { memoryRuntime } from "../src/runtime/memory.ts";
import { detectRuntime } from "../src/runtime/mod.ts";
import { deadlinesOf } from "../src/http/_deadline.ts";
import { createAuthFetch } from "../src/http/create_auth_fetch.ts";
import {
  CANARY_SECRET,
  createKognicServer,
  TEST_CLIENT_ID,
} from "../tests/support/kognic_server.ts";
import { serve } from "../tests/support/serve.ts";
import { PEERS } from "./_peers.ts";
import { fixed, median, spread } from "./_stats.ts";

const arg = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const rounds = Number(arg("rounds") ?? 7);
const turns = Number(arg("turns") ?? 1500);
const before = arg("before");
const runtimeName = navigator.userAgent.split("/")[0].toLowerCase().replace("node.js", "node");
const make: typeof createClient = before
  ? (await import(`${before.replace(/\/$/, "")}/mod.ts`)).createClient
  : createClient;

type Call = () => Promise<void>;

function checked(name: string, call: () => Promise<Response>): Call {
  return async () => {
    const response = await call();
    if (response.status !== 200) throw new Error(`${name} got ${response.status}`);
    await response.arrayBuffer();
  };
}

for (const transport of ["in-process", "loopback"] as const) {
  const server = createKognicServer();
  const served = transport === "loopback" ? await serve(server.fetch) : undefined;
  const base = served?.url ?? "https://kognic.test";
  const send = (served ? (input, init) => fetch(input, init) : server.fetch) as typeof fetch;
  const options = {
    auth: [TEST_CLIENT_ID, CANARY_SECRET] as [string, string],
    baseUrl: base,
    authHost: base,
    runtime: served ? undefined : memoryRuntime({ fetch: send }),
    fetch: served ? undefined : send,
  };
  try {
    const client = await createClient(options);
    await (await client.fetch("/v1/items")).arrayBuffer();
    const seen = server.apiRequests[0].headers;
    const headers = {
      accept: seen["accept"],
      "user-agent": seen["user-agent"],
      authorization: seen["authorization"],
    };
    const url = `${base}/v1/items`;
    const variants: Record<string, Call> = {
      library: checked("library", () => client.fetch("/v1/items")),
      "library, timeout 0": checked(
        "library",
        () => client.fetch("/v1/items", { timeout: 0 } as RequestInit),
      ),
      plain: checked("plain", () => send(url, { headers })),
      "plain+timeout": checked(
        "plain",
        () => send(url, { headers, signal: AbortSignal.timeout(120_000) }),
      ),
      "plain+controller": checked(
        "plain",
        () => send(url, { headers, signal: new AbortController().signal }),
      ),
    };
    if (served) {
      // Over loopback, the runtime adapter's fetch (taken once, as a client does) with what the
      // library's fast lane hands it: the frozen header record, manual redirects and a fresh
      // controller's signal. Between it and "plain+controller" is the adapter's cost; between
      // it and "library" the library's own work.
      const adapter = (await detectRuntime()).fetch;
      const record = Object.freeze({ ...headers });
      variants["adapter+controller"] = checked(
        "adapter",
        () =>
          adapter(url, {
            headers: record,
            redirect: "manual",
            signal: new AbortController().signal,
          }),
      );
      // The lane's steps written out here (a controller on the shared deadlines, the adapter's
      // fetch, the status and sunset-date checks, in an async function): between it and
      // "adapter+controller" is what any such wrapper costs in this harness, between it and
      // "library" what the library's own code costs beyond it.
      const deadlines = deadlinesOf(120_000);
      variants["lane's steps"] = checked("lane's steps", async () => {
        const controller = new AbortController();
        const deadline = deadlines.start(controller);
        let response;
        try {
          response = await adapter(url, {
            headers: record,
            redirect: "manual",
            signal: controller.signal,
          });
        } finally {
          deadlines.end(deadline, controller);
        }
        if (response.status > 299) throw new Error(`lane's steps got ${response.status}`);
        response.headers.get("sunset-date");
        return response;
      });
    }
    if (served) {
      // The library's fetch over the very adapter function "adapter+controller" calls: between it
      // and "library" is the transport the client took; between it and "lane's steps" the
      // library's own code.
      const adapter = (await detectRuntime()).fetch;
      const own = createAuthFetch(client.provider, {
        baseUrl: base,
        headers: { accept: headers.accept, "user-agent": headers["user-agent"] },
        fetch: adapter,
      });
      await (await own("/v1/items")).arrayBuffer();
      variants["createAuthFetch+adapter"] = checked("createAuthFetch", () => own("/v1/items"));
    }
    if (before) {
      const earlier = await make({ ...options, fetch: options.fetch });
      await (await earlier.fetch("/v1/items")).arrayBuffer();
      variants.before = checked("before", () => earlier.fetch("/v1/items"));
    }
    // Every peer that runs here and, in process, takes the in-process transport.
    const peers = PEERS.filter((peer) =>
      peer.runsHere(runtimeName) && (served !== undefined || peer.inProcess)
    );
    for (const peer of peers) {
      const call = await peer.make({
        base,
        clientId: TEST_CLIENT_ID,
        clientSecret: CANARY_SECRET,
        send: served ? undefined : send,
      });
      await (await call("/v1/items")).arrayBuffer();
      variants[peer.name] = checked(peer.name, () => call("/v1/items"));
    }
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
      if (round < 0) continue;
      names.forEach((name, i) => medians[name].push(median(times[i]) * 1000));
    }
    const ratio = (name: string, baseline: string) =>
      medians[name].map((value, round) => medians[baseline][round] / value);
    process.stdout.write(`\n${runtimeName} ${transport}, ${rounds} × ${turns} paired turns\n`);
    for (const name of names) {
      const r = ratio(name, "plain+timeout");
      process.stdout.write(
        `  ${name.padEnd(26)} ${fixed(median(medians[name]), 1).padStart(7)} µs   ` +
          `plain+timeout ÷ it ${fixed(median(r), 3)} (${spread(r, 3)})\n`,
      );
    }
    for (const subject of ["library", ...(before ? ["before"] : [])]) {
      for (const baseline of ["plain+timeout", ...peers.map((peer) => peer.name)]) {
        process.stdout.write(
          `bench scenario=hot-${transport} runtime=${runtimeName} subject=${subject} ` +
            `baseline=${baseline} ratio=${fixed(median(ratio(subject, baseline)), 3)}\n`,
        );
      }
    }
  } finally {
    await served?.close();
  }
}
// Two copies of the library in one process (with --before): Bun kept running after the last
// round.
process.exit(0);

// The hot path against a server in another process (bench/main.ts serves it), to set the
// library beside Kognic's Python client, which can only be measured that way: one caller
// taking turns request by request with the library and plain fetch with a 120 s timeout.
// Reads KOGNIC_BENCH_URL, KOGNIC_CLIENT_ID, KOGNIC_CLIENT_SECRET; prints JSON: per variant,
// the median µs per request of each round. Bench-only code.
// Usage: <runtime> bench/_hot_client.ts TURNS ROUNDS
import process from "node:process";
import { createClient } from "../mod.ts";
import { median } from "./_stats.ts";

const [turns, rounds] = process.argv.slice(2).map(Number);
const base = process.env.KOGNIC_BENCH_URL!;
const client = await createClient({ baseUrl: base, authHost: base });
const first = await client.fetch("/v1/items");
await first.arrayBuffer();
const headers = {
  accept: "application/json",
  authorization: `Bearer ${await client.provider.getToken()}`,
};
const url = `${base}/v1/items`;
const variants: Record<string, () => Promise<Response>> = {
  library: () => client.fetch("/v1/items"),
  "plain+timeout": () => fetch(url, { headers, signal: AbortSignal.timeout(120_000) }),
};
const names = Object.keys(variants);
const result: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
for (let round = -1; round < rounds; round++) {
  const times: number[][] = names.map(() => []);
  for (let turn = 0; turn < turns; turn++) {
    for (let i = 0; i < names.length; i++) {
      const which = (i + turn) % names.length;
      const start = performance.now();
      const response = await variants[names[which]]();
      await response.arrayBuffer();
      times[which].push(performance.now() - start);
      if (response.status !== 200) throw new Error(`${names[which]} got ${response.status}`);
    }
  }
  if (round >= 0) names.forEach((name, i) => result[name].push(median(times[i]) * 1000));
}
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));

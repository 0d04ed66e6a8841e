// Cold start, baseline: the same request with plain fetch and a ready-made token from
// KOGNIC_BENCH_TOKEN, against KOGNIC_BENCH_URL. Prints "ok" when the response is in. Spawned
// by bench/main.ts.
import process from "node:process";

const response = await fetch(`${process.env.KOGNIC_BENCH_URL}/v1/items`, {
  headers: { Authorization: `Bearer ${process.env.KOGNIC_BENCH_TOKEN}` },
});
await response.arrayBuffer();
const { user, system } = process.cpuUsage();
process.stdout.write(response.status === 200 ? "ok\n" : `status ${response.status}\n`);
// The CPU time (all threads) up to the response, for bench/cold_start.ts: steadier than wall
// time on a loaded machine.
process.stdout.write(`cpu ${user + system}\n`);
process.exit(0);

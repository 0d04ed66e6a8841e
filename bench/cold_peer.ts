// Cold start, a peer library (bench/_peers.ts, named by KOGNIC_BENCH_PEER): one authenticated
// request with KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET against KOGNIC_BENCH_URL, then "ok".
// bench/main.ts and bench/cold_start.ts bundle this file per peer, as the library's cold start
// is judged bundled.
import process from "node:process";
import { PEERS } from "./_peers.ts";

const peer = PEERS.find((candidate) => candidate.name === process.env.KOGNIC_BENCH_PEER)!;
const call = await peer.make({
  base: process.env.KOGNIC_BENCH_URL!,
  clientId: process.env.KOGNIC_CLIENT_ID!,
  clientSecret: process.env.KOGNIC_CLIENT_SECRET!,
});
const response = await call("/v1/items");
await response.arrayBuffer();
const { user, system } = process.cpuUsage();
process.stdout.write(response.status === 200 ? "ok\n" : `status ${response.status}\n`);
// The CPU time (all threads) up to the response, for bench/cold_start.ts.
process.stdout.write(`cpu ${user + system}\n`);
process.exit(0);

// Cold start, library: one authenticated request with credentials from the environment
// (KOGNIC_CLIENT_ID, KOGNIC_CLIENT_SECRET), against KOGNIC_BENCH_URL. Prints "ok" when the
// response is in. A program as a user writes it: the library imported statically. Run from
// source, or bundled with the library into one file (bench/_cold.ts); spawned by
// bench/cold_start.ts and bench/main.ts.
import process from "node:process";
import { createClient } from "../mod.ts";

const url = process.env.KOGNIC_BENCH_URL!;
const kognic = await createClient({ baseUrl: url, authHost: url });
const response = await kognic.fetch("/v1/items");
await response.arrayBuffer();
const { user, system } = process.cpuUsage();
process.stdout.write(response.status === 200 ? "ok\n" : `status ${response.status}\n`);
// The CPU time (all threads) up to the response, for bench/cold_start.ts: steadier than wall
// time on a loaded machine.
process.stdout.write(`cpu ${user + system}\n`);
process.exit(0);

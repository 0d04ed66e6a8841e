// Cold start, library: one authenticated request with credentials from the environment
// (KOGNIC_CLIENT_ID, KOGNIC_CLIENT_SECRET), against KOGNIC_BENCH_URL. Prints "ok" when the
// response is in. Loads the library from KOGNIC_BENCH_MODULE (a bundle) when set, otherwise
// from the TypeScript source. Spawned by bench/main.ts.
import process from "node:process";

const module = process.env.KOGNIC_BENCH_MODULE;
const { createClient }: typeof import("../mod.ts") = await import(module ?? "../mod.ts");

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

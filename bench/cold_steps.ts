// Cold start, step by step, in one process: milliseconds since the process started (the
// runtime's `performance.timeOrigin`) at the first line of this program, after importing the
// library, after `createClient()` and when the first authenticated response is in. Bench-only
// code; run like bench/cold_client.ts (KOGNIC_BENCH_URL, KOGNIC_CLIENT_ID, KOGNIC_CLIENT_SECRET),
// for where the milliseconds of bench/cold_start.ts go.
//
// Usage: <runtime> bench/cold_steps.ts [rounds=1, each in this process after the first is cold]
import process from "node:process";

const at = () => performance.now();
const start = at();
const { createClient }: typeof import("../mod.ts") = await import("../mod.ts");
const imported = at();
const url = process.env.KOGNIC_BENCH_URL!;
const kognic = await createClient({ baseUrl: url, authHost: url });
const created = at();
const response = await kognic.fetch("/v1/items");
await response.arrayBuffer();
const done = at();
const ms = (value: number) => value.toFixed(1).padStart(6);
process.stdout.write(
  `${response.status === 200 ? "ok" : `status ${response.status}`}: started ${ms(start)}  ` +
    `import ${ms(imported - start)}  createClient ${ms(created - imported)}  ` +
    `first response ${ms(done - created)}  total ${ms(done)} ms\n`,
);
process.exit(0);

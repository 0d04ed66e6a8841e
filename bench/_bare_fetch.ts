// The baseline of bench/cli.ts: one authenticated GET with a token that is already known, the
// least a command-line call can do. Reads BENCH_URL and BENCH_TOKEN, prints the body.
import process from "node:process";

const response = await fetch(process.env.BENCH_URL!, {
  headers: { Authorization: `Bearer ${process.env.BENCH_TOKEN}`, Accept: "application/json" },
});
process.stdout.write(`${await response.text()}\n`);
process.exitCode = response.ok ? 0 : 1;

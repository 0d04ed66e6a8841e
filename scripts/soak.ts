// The bounded soak of the Reliability table: about a minute of concurrent load over loopback
// while tokens live two seconds and the token endpoint and the API fail now and then.
// Usage: <runtime> scripts/soak.ts [seconds]
import process from "node:process";
import { runSoak } from "../tests/support/soak.ts";
import { detectRuntime } from "../src/runtime/mod.ts";

const seconds = Number(process.argv[2] ?? 60);
const runtime = await detectRuntime();
const report = await runSoak(seconds);
const line = Object.entries(report).filter(([key]) => key !== "failures")
  .map(([key, value]) => `${key}=${value}`).join(" ");
// deno-lint-ignore no-console
console.log(`soak ${runtime.name}-${runtime.version}: ${line}`);
process.exit(report.failedCalls === 0 && report.tokensUsed === report.tokensIssued ? 0 : 1);

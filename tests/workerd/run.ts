// Runs the conformance suite inside workerd (Cloudflare's runtime) through Miniflare: bundles
// tests/workerd/worker.ts with esbuild, starts it with `nodejs_compat` and prints the lines it
// streams, ending with `workerd-<version>: N passed, N failed, N skipped`. Then runs the cases
// that need several isolates and Miniflare's real KV (tests/workerd/isolates.ts), closing with
// `workerd isolates: N passed, N failed`. Exits non-zero when a case fails.
// Usage: node tests/workerd/run.ts [name filter]
import process from "node:process";
import { run } from "../support/harness.ts";
import { printLines } from "../support/stream_lines.ts";
import "./isolates.ts";
import { bundleWorker, startWorkers, workerdVersion } from "./_support.ts";

const filter = process.argv[2];
const mf = await startWorkers([{ name: "conformance", script: await bundleWorker("worker.ts") }]);
let failed = true;
try {
  const url = new URL("http://localhost/");
  url.searchParams.set("label", `workerd-${await workerdVersion()}`);
  if (filter) url.searchParams.set("filter", filter);
  const response = await mf.dispatchFetch(url);
  const last = await printLines(response.body!);
  failed = !/^workerd-[0-9.]*: \d+ passed, 0 failed/.test(last);
} finally {
  await mf.dispose();
}
// The label has a space so that scripts/test.sh does not take it for a runtime's summary.
const isolates = await run("workerd isolates", {
  capabilities: ["fs", "sockets", "subprocess"],
  filter,
});
process.exit(failed || isolates.failed ? 1 : 0);

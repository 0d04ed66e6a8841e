// Runs the conformance suite inside workerd (Cloudflare's runtime) through Miniflare: bundles
// tests/workerd/worker.ts with esbuild, starts it with `nodejs_compat` and prints the lines it
// streams, ending with `workerd-<version>: N passed, N failed, N skipped`. Exits non-zero when a
// case fails. Usage: node tests/workerd/run.ts [name filter]
import process from "node:process";
import { bundleWorker, startWorkers, workerdVersion } from "./_support.ts";

const mf = await startWorkers([{ name: "conformance", script: await bundleWorker("worker.ts") }]);
let failed = true;
try {
  const url = new URL("http://localhost/");
  url.searchParams.set("label", `workerd-${await workerdVersion()}`);
  if (process.argv[2]) url.searchParams.set("filter", process.argv[2]);
  const response = await mf.dispatchFetch(url);
  let last = "";
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of response.body!) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      process.stdout.write(line + "\n");
      if (line.trim()) last = line;
    }
  }
  if (pending) {
    process.stdout.write(pending + "\n");
    last = pending;
  }
  failed = !/^workerd-[0-9.]*: \d+ passed, 0 failed/.test(last);
} finally {
  await mf.dispose();
}
process.exit(failed ? 1 : 0);

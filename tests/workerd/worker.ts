// The workerd entry of the conformance suite: every case of tests/conformance/mod.ts runs inside
// the worker's first request; the lines stream back as the response body. Bundled and run by
// tests/workerd/run.ts.
import "../conformance/mod.ts";
import { run } from "../support/harness.ts";

export default {
  fetch(request: Request): Response {
    const label = new URL(request.url).searchParams.get("label") ?? "workerd";
    const filter = new URL(request.url).searchParams.get("filter") ?? undefined;
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    const print = (line: string) => void writer.write(encoder.encode(line + "\n"));
    // No file system, sockets or subprocesses inside a worker: those cases report as skipped.
    run(label, { capabilities: [], filter, print })
      .catch((error) => print(`Bail out! ${error instanceof Error ? error.stack : error}`))
      .finally(() => writer.close());
    return new Response(readable, { headers: { "content-type": "text/plain; charset=utf-8" } });
  },
};

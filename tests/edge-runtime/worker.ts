// The edge-runtime entry of the conformance suite: every case of tests/conformance/mod.ts runs
// inside the function's first request, as a Vercel edge function would; the lines stream back as
// the response body. Bundled and run by tests/edge-runtime/run.ts.
import "../conformance/mod.ts";
import { run } from "../support/harness.ts";

interface FetchEvent extends Event {
  request: Request;
  respondWith(response: Response | Promise<Response>): void;
}

addEventListener("fetch", (event) => {
  const { request } = event as FetchEvent;
  const label = new URL(request.url).searchParams.get("label") ?? "edge-runtime";
  const filter = new URL(request.url).searchParams.get("filter") ?? undefined;
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  const print = (line: string) => void writer.write(encoder.encode(line + "\n"));
  // No file system, sockets or subprocesses in an edge function: those cases report as skipped.
  run(label, { capabilities: [], filter, print })
    .catch((error) => print(`Bail out! ${error instanceof Error ? error.stack : error}`))
    .finally(() => writer.close());
  (event as FetchEvent).respondWith(
    new Response(readable, { headers: { "content-type": "text/plain; charset=utf-8" } }),
  );
});

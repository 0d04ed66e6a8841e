/**
 * The conformance suite inside an edge host's request (workerd, edge-runtime): the request's
 * `label` and `filter` query parameters pick the summary label and the cases; the lines stream
 * back as the response body. There are no files, sockets or subprocesses there: those cases
 * report as not applicable. Test-only.
 *
 * @module
 */
import { run } from "./harness.ts";

/** Runs the registered cases for one request and streams their lines as its answer. */
export function runInRequest(request: Request, defaultLabel: string): Response {
  const params = new URL(request.url).searchParams;
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  const print = (line: string) => void writer.write(encoder.encode(line + "\n"));
  run(params.get("label") ?? defaultLabel, {
    capabilities: [],
    filter: params.get("filter") ?? undefined,
    print,
  })
    .catch((error) => print(`Bail out! ${error instanceof Error ? error.stack : error}`))
    .finally(() => writer.close());
  return new Response(readable, { headers: { "content-type": "text/plain; charset=utf-8" } });
}

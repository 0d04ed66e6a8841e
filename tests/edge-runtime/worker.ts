// The edge-runtime entry of the conformance suite: every case of tests/conformance/mod.ts runs
// inside the function's first request, as a Vercel edge function would; the lines stream back as
// the response body. Bundled and run by tests/edge-runtime/run.ts.
import "../conformance/mod.ts";
import { runInRequest } from "../support/edge_run.ts";

interface FetchEvent extends Event {
  request: Request;
  respondWith(response: Response | Promise<Response>): void;
}

addEventListener("fetch", (event) => {
  const fetchEvent = event as FetchEvent;
  fetchEvent.respondWith(runInRequest(fetchEvent.request, "edge-runtime"));
});

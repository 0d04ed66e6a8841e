// The workerd entry of the conformance suite: every case of tests/conformance/mod.ts runs inside
// the worker's first request; the lines stream back as the response body. Bundled and run by
// tests/workerd/run.ts.
import "../conformance/mod.ts";
import { runInRequest } from "../support/edge_run.ts";

export default {
  fetch: (request: Request): Response => runInRequest(request, "workerd"),
};

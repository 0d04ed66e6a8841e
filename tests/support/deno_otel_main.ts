// A program that relies on Deno's built-in OpenTelemetry (OTEL_DENO=true) alone: no SDK set up,
// every client instrumented; it calls the API at KOGNIC_URL twice with the credentials of the
// environment. Run by tests/conformance/otel_test.ts, which receives what Deno exports.
import process from "node:process";
import { createClient } from "../../mod.ts";
import { instrumentAll } from "../../src/otel/mod.ts";

instrumentAll();
const url = process.env.KOGNIC_URL!;
const kognic = await createClient({ baseUrl: url, authHost: url });
// The query (a canary the case looks for) must not reach the library's spans.
await kognic.get("/v1/projects?page=QueryCanary9b2e");
await kognic.get("/v1/projects");

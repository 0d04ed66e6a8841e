// Traces and metrics of @kognic/auth on the console: the OpenTelemetry SDK with console
// exporters, and every client the program makes instrumented. Credentials come from the
// environment (KOGNIC_CREDENTIALS, or KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET); KOGNIC_URL,
// when set, is both the API and the auth server (a local test server, say).
// Run: deno run -A examples/otel.ts, bun examples/otel.ts or node examples/otel.ts.
import process from "node:process";
import { metrics, trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { createClient } from "@kognic/auth";
import { instrumentAll } from "@kognic/auth/otel";

// The application sets up the SDK (a real one exports over OTLP instead of to the console).
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
});
trace.setGlobalTracerProvider(tracerProvider);
const meterProvider = new MeterProvider({
  readers: [
    new PeriodicExportingMetricReader({
      exporter: new ConsoleMetricExporter(),
      exportIntervalMillis: 60_000,
    }),
  ],
});
metrics.setGlobalMeterProvider(meterProvider);

// The one line: every client made from here on is instrumented.
instrumentAll();

const url = process.env.KOGNIC_URL;
const kognic = await createClient(url ? { baseUrl: url, authHost: url } : {});
await kognic.get("/v1/projects");
await kognic.get("/v1/projects"); // the cached token: an API call span, no token request

// Export what is left before the program ends.
await meterProvider.shutdown();
await tracerProvider.shutdown();

// Runs one code block of the documentation on the runtime that executes this file, against the
// Kognic test server: every request for Kognic's production hosts goes to the test server's URL
// (KOGNIC_DOCS_SERVER), as if DNS pointed there, so the block runs exactly as it is shown.
// Usage: <runtime> tests/docs/run_block.ts <block file> [plain|hono]
// A "hono" block exports a Hono app as its default: it is served on loopback and called.
import process from "node:process";
import { pathToFileURL } from "node:url";
import { serve } from "../../src/testing/_serve.ts";

const [file, mode = "plain"] = process.argv.slice(2);
const server = process.env.KOGNIC_DOCS_SERVER;
if (!file || !server) {
  throw new Error("Usage: run_block.ts <file> [plain|hono] with KOGNIC_DOCS_SERVER");
}

const KOGNIC_HOSTS = new Set(["app.kognic.com", "auth.app.kognic.com"]);
const realFetch = globalThis.fetch;
globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : input);
  if (!KOGNIC_HOSTS.has(url.hostname)) return realFetch(input, init);
  const request = new Request(input, init);
  const body = ["GET", "HEAD"].includes(request.method) ? undefined : await request.arrayBuffer();
  return realFetch(new URL(url.pathname + url.search, server), {
    method: request.method,
    headers: request.headers,
    body,
    redirect: "manual",
    signal: init?.signal ?? undefined,
  });
}) as typeof fetch;

const block = await import(pathToFileURL(file).href);
if (mode === "hono") {
  const app = block.default as { fetch: (request: Request) => Response | Promise<Response> };
  const served = await serve((request) => app.fetch(request));
  try {
    const results: Record<string, unknown> = {};
    for (
      const [path, headers] of [
        ["/projects", {}],
        ["/kognic/v1/projects", { "x-api-key": process.env.PROXY_API_KEY ?? "" }],
        ["/kognic/v1/projects", { "x-api-key": "wrong" }],
      ] as const
    ) {
      const response = await realFetch(`${served.url}${path}`, { headers });
      const text = await response.text();
      results[`${path} ${headers["x-api-key"] ?? ""}`.trim()] = response.status === 200
        ? (JSON.parse(text).data ?? JSON.parse(text)).length
        : response.status;
    }
    process.stdout.write(`${JSON.stringify(results)}\n`);
  } finally {
    await served.close();
  }
}
process.exit(0);

// The Hono proxy served on this runtime for bench/proxy_limits.ts: prints its URL, answers
// GET /rss with its resident memory. Usage: <runtime> bench/_proxy_server.ts <upstream> <max>
// With BENCH_HIDE_UNDICI=1 on Node, the `undici` package cannot be resolved (Node's own fetch).
import process from "node:process";

const [upstream, max] = process.argv.slice(-2);
if (process.env.BENCH_HIDE_UNDICI === "1") {
  const { registerHooks } = await import("node:module");
  registerHooks({
    resolve(specifier, context, next) {
      if (specifier === "undici") {
        throw Object.assign(new Error("Cannot find module 'undici'"), {
          code: "MODULE_NOT_FOUND",
        });
      }
      return next(specifier, context);
    },
  });
}
const { Hono } = await import("hono");
const { createClient } = await import("../mod.ts");
const { kognicProxy } = await import("../src/hono/mod.ts");
const { serve } = await import("../tests/support/serve.ts");

const client = await createClient({
  auth: ["bench-client", "bench-secret"],
  baseUrl: upstream,
  authHost: upstream,
});
const app = new Hono();
app.get("/rss", (c) => c.json({ rss: process.memoryUsage().rss }));
app.all(
  "/kognic/*",
  kognicProxy({
    client,
    access: () => true,
    paths: ["/v1"],
    mount: "/kognic",
    maxBodyBytes: Number(max),
  }),
);
const served = await serve((request) => app.fetch(request));
// deno-lint-ignore no-console
console.log(served.url);

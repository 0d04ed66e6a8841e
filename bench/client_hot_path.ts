// The hot path of an authenticated request with a cached token: client.fetch over a stub
// `fetch` that answers at once, so the figure is the library's own work per request.
// Usage: <runtime> bench/client_hot_path.ts [path of the mod.ts to measure, default ../mod.ts]
// Compare a branch with main: node bench/client_hot_path.ts /work/main/mod.ts
import process from "node:process";

const target = process.argv[2] ?? "../mod.ts";
const mod = await import(target.startsWith("/") ? `file://${target}` : target);
const tokenBody = JSON.stringify({ access_token: "a.b.c", token_type: "Bearer", expires_in: 3600 });
const answer = new Response(null, { status: 204 });
const stub = ((input: Request | URL | string) =>
  Promise.resolve(
    String(input instanceof Request ? input.url : input).includes("/oauth/token")
      ? new Response(tokenBody, { headers: { "content-type": "application/json" } })
      : answer,
  )) as typeof fetch;
const client = await mod.createClient({
  auth: ["bench-id", "bench-secret-0123456789"],
  baseUrl: "https://app.kognic.test",
  authHost: "https://auth.kognic.test",
  fetch: stub,
});
await client.fetch("/v1/warm");

async function measure(label: string, init?: RequestInit): Promise<void> {
  const rounds = 5;
  const n = 20_000;
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < n; i++) await client.fetch("/v1/projects", init);
    results.push((performance.now() - start) / n * 1000);
  }
  results.sort((a, b) => a - b);
  // deno-lint-ignore no-console
  console.log(
    `${label}: median ${results[2].toFixed(2)} µs per request (best ${results[0].toFixed(2)})`,
  );
}

await measure("client.fetch, cached token");
await measure("client.fetch, cached token, caller signal", {
  signal: new AbortController().signal,
});
await measure("client.fetch, cached token, timeout 0", { timeout: 0 } as RequestInit);

// Prints the per-request cost of the adapters' proxy selection (reading the proxy variables,
// matching NO_PROXY) with a no-op transport, so no network time is included.
// Usage: <runtime> bench/proxy_selection.ts
import process from "node:process";
import { proxyAwareFetch } from "../src/runtime/_proxy.ts";

const ok = Promise.resolve(new Response(null));
const selecting = proxyAwareFetch({
  env: (name) => process.env[name],
  direct: () => ok,
  through: () => () => ok,
});
const scenarios: [string, Record<string, string>][] = [
  ["no proxy variables", {}],
  ["HTTPS_PROXY + 3-entry NO_PROXY", {
    HTTPS_PROXY: "http://p:1",
    NO_PROXY: "a.test,.corp,10.0.0.1:80",
  }],
];
for (const [label, vars] of scenarios) {
  for (const name of ["HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"]) {
    delete process.env[name];
  }
  Object.assign(process.env, vars);
  for (let i = 0; i < 20_000; i++) await selecting("https://app.kognic.com/v1/x");
  const n = 200_000;
  const started = performance.now();
  for (let i = 0; i < n; i++) await selecting("https://app.kognic.com/v1/x");
  // deno-lint-ignore no-console
  console.log(`${label}: ${((performance.now() - started) * 1000 / n).toFixed(2)} µs/request`);
}

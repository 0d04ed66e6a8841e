// Prints the per-request cost of the adapters' proxy selection (the choice per request URL; the
// variables are read once, when the fetch is made) with a no-op transport, so no network time is
// included.
// Usage: <runtime> bench/proxy_selection.ts
import process from "node:process";
import { proxyAwareFetch } from "../src/runtime/_proxy_fetch.ts";

const ok = Promise.resolve(new Response(null));
const transport = {
  env: (name: string) => process.env[name],
  direct: () => ok,
  through: () => () => ok,
};
const scenarios: [string, Record<string, string>][] = [
  ["no proxy variables", {}],
  ["HTTPS_PROXY + 3-entry NO_PROXY", {
    HTTPS_PROXY: "http://p:1",
    NO_PROXY: "a.test,.corp,10.0.0.1:80",
  }],
];
const LOOPS: [string, string[]][] = [
  ["one URL", ["https://app.kognic.com/v1/x"]],
  ["3 URLs in turn", [
    "https://app.kognic.com/v1/x",
    "https://app.kognic.com/v1/y",
    "https://a.test/z",
  ]],
];
for (const [label, vars] of scenarios) {
  for (const name of ["HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"]) {
    delete process.env[name];
  }
  Object.assign(process.env, vars);
  // The variables are read here, once, as a client does when it is created (the same values
  // give the same function: the later calls measure the reading alone).
  const selecting = proxyAwareFetch(transport);
  const made = performance.now();
  for (let i = 0; i < 10_000; i++) proxyAwareFetch(transport);
  const readUs = (performance.now() - made) * 1000 / 10_000;
  for (let i = 0; i < 20_000; i++) await selecting("https://app.kognic.com/v1/x");
  const n = 200_000;
  for (const [what, urls] of LOOPS) {
    const started = performance.now();
    for (let i = 0; i < n; i++) await selecting(urls[i % urls.length]);
    // deno-lint-ignore no-console
    console.log(
      `${label}, ${what}: ${((performance.now() - started) * 1000 / n).toFixed(2)} µs/request` +
        ` (reading the variables, once per client: ${readUs.toFixed(2)} µs)`,
    );
  }
}

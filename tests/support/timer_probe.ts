/**
 * Run by a hot-path case of tests/conformance/hot_path_test.ts in a process of its own: sends
 * authenticated requests with the default 120 s timeout (one after another, then several at
 * once), prints "answered", and must then exit by itself. A timer left behind that keeps the
 * program alive lets the unreferenced watchdog fire: it prints "kept alive" and exits with 3.
 * Test-only.
 *
 * @module
 */
import process from "node:process";
import { createAuthFetch } from "../../src/core.ts";

const tokens = { getToken: () => Promise.resolve("probe-token"), invalidate: () => false };
const authFetch = createAuthFetch(tokens, {
  baseUrl: "https://app.kognic.test",
  fetch: () => Promise.resolve(new Response("ok")),
});
for (let i = 0; i < 3; i++) await (await authFetch("/v1/whoami")).text();
await Promise.all(Array.from({ length: 5 }, async () => (await authFetch("/v1/whoami")).text()));
process.stdout.write("answered\n");
const watchdog = setTimeout(() => {
  process.stdout.write("kept alive\n");
  process.exit(3);
}, 5_000) as unknown as { unref?: () => void };
watchdog.unref?.();

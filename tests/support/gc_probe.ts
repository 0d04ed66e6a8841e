/**
 * Run by the listener-lifetime case of tests/conformance/client_resilience_test.ts in a process
 * of its own, with the garbage collector exposed (`node --expose-gc`, `deno
 * --v8-flags=--expose-gc`; Bun has `Bun.gc`). Prints one JSON line: whether a dropped client
 * was collected although its provider lives on, and how many token events its logger saw while
 * only the client's `fetch` was kept, and after that was dropped too; and how many events an
 * inline listener given to the public `subscribe` saw after collections (it is held strongly).
 * Test-only.
 *
 * @module
 */
import process from "node:process";
import { createClient, type KognicClient, type Logger } from "../../mod.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import { FakeClock } from "./clock.ts";
import { CANARY_SECRET, createKognicServer, TEST_CLIENT_ID } from "./kognic_server.ts";

const runtimeGc = (globalThis as { gc?: () => void }).gc ??
  (globalThis as { Bun?: { gc(full: boolean): void } }).Bun?.gc.bind(null, true);
if (!runtimeGc) throw new Error("run with the garbage collector exposed");
const gc = runtimeGc;

/** Collects, and lets finalizers run. */
async function collect(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const clock = new FakeClock();
const server = createKognicServer({ now: () => clock.now() });
const logged: string[] = [];
const logger: Logger = {
  debug: (message) => logged.push(message),
  info() {},
  warn: (message) => logged.push(message),
  error: (message) => logged.push(message),
};
const collected = new Set<string>();
const finalizers = new FinalizationRegistry<string>((name) => collected.add(name));

let client: KognicClient | undefined = await createClient({
  auth: [TEST_CLIENT_ID, CANARY_SECRET],
  runtime: memoryRuntime(),
  authHost: "https://auth.kognic.test",
  baseUrl: "https://app.kognic.test",
  fetch: server.fetch as typeof fetch,
  clock,
  logger,
});
const provider = client.provider;
// A listener nothing but the provider refers to: the public subscribe keeps it.
let publicEvents = 0;
provider.subscribe(() => publicEvents++);
let kognicFetch: typeof fetch | undefined = client.fetch;
finalizers.register(client, "client");
finalizers.register(kognicFetch, "fetch");
await (await kognicFetch("/v1/whoami")).body?.cancel();
client = undefined;
await collect();

// Only the client's fetch is left: its logger still hears about the next token.
const before = logged.length;
clock.advance(3600_000);
await (await kognicFetch("/v1/whoami")).body?.cancel();
const whileFetchKept = logged.length - before;

// Nothing of the client is left: the provider goes on, and nobody logs for it any more.
kognicFetch = undefined;
await collect();
const after = logged.length;
clock.advance(3600_000);
await provider.getToken();
const afterAllDropped = logged.length - after;

process.stdout.write(
  JSON.stringify({
    clientCollected: collected.has("client"),
    fetchCollected: collected.has("fetch"),
    whileFetchKept,
    afterAllDropped,
    tokenRequests: server.tokenRequests.length,
    publicEvents,
  }) + "\n",
);

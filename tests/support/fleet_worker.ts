// One process of a fleet that shares a token store: the fleet cases, bench/fleet.ts and the
// soak start many of these. It connects its store, prints `ready`, waits for `go` on stdin
// (sent to every process at once), then runs `callers` concurrent loops of getToken() for `durationMs` and prints one JSON
// line: every call's start and latency, the failed calls, and the store errors seen.
// Usage: <runtime> tests/support/fleet_worker.ts '<FleetConfig as JSON>'
import process from "node:process";
import { Credentials, type TokenEvent, TokenProvider, type TokenStore } from "../../mod.ts";
import { FileTokenStore } from "../../src/cache/file.ts";
import { redisTokenStore } from "../../src/cache/redis.ts";
import { denoKvTokenStore } from "../../src/cache/deno_kv.ts";

/** What one fleet process does. */
export interface FleetConfig {
  store: "redis" | "file" | "deno-kv" | "none";
  /** Whether the store offers its lease; default true. */
  lease?: boolean;
  /** The redis URL, the cache file or the Deno KV path. */
  location?: string;
  authHost: string;
  clientId: string;
  clientSecret: string;
  callers: number;
  durationMs: number;
  /** Pause between one caller's calls, ms; default 20. */
  pauseMs?: number;
  /** The provider's token request timeout (and so the lease's time to live), ms. */
  timeout?: number;
}

const config: FleetConfig = JSON.parse(process.argv.at(-1)!);
let store: TokenStore | undefined;
let close = async () => {};
if (config.store === "redis") {
  const { createClient } = await import("redis");
  const client = createClient({
    url: config.location,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: () => 50, connectTimeout: 1_000 },
  });
  client.on("error", () => {});
  await client.connect();
  store = redisTokenStore((args) => client.sendCommand(args));
  close = () => Promise.resolve(client.destroy());
} else if (config.store === "file") {
  store = new FileTokenStore({ path: config.location });
} else if (config.store === "deno-kv") {
  // Processes that open one new SQLite file at the same moment race to set it up: the losers
  // get "database is locked" from openKv for a few milliseconds, so opening is retried (only
  // opening: the store retries its own operations).
  // deno-lint-ignore no-explicit-any
  const { openKv } = (globalThis as any).Deno;
  let kv;
  for (let attempt = 1;; attempt++) {
    try {
      kv = await openKv(config.location);
      break;
    } catch (error) {
      if (attempt >= 20 || !/locked|busy/i.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, attempt * (10 + Math.random() * 20)));
    }
  }
  store = denoKvTokenStore(kv);
  close = () => Promise.resolve(kv.close());
}
if (store && config.lease === false) {
  const { load, save } = store;
  store = { load: load.bind(store), save: save.bind(store) };
} else if (store?.lease) {
  // Says when it takes the lease, so that the soak can kill the leaseholder.
  const { lease } = store;
  store.lease = async (key, owner, ttl) => {
    const taken = await lease.call(store, key, owner, ttl);
    if (taken) process.stdout.write("lease\n");
    return taken;
  };
}
const provider = new TokenProvider({
  credentials: new Credentials({ clientId: config.clientId, clientSecret: config.clientSecret }),
  authHost: config.authHost,
  store,
  timeout: config.timeout,
});
const storeErrors: string[] = [];
const listener = (event: TokenEvent) => {
  if (event.type === "store_error") storeErrors.push(`${event.operation}: ${event.message}`);
};
provider.subscribe(listener);

process.stdout.write("ready\n");
await new Promise<void>((resolve) => {
  let input = "";
  process.stdin.on("data", (chunk) => {
    input += chunk;
    if (input.includes("go\n")) resolve();
  });
});
const startAt = Date.now();
const calls: [start: number, ms: number][] = [];
const failures: string[] = [];
const end = startAt + config.durationMs;
await Promise.all(Array.from({ length: config.callers }, async () => {
  while (Date.now() < end) {
    const start = performance.now();
    const at = Date.now();
    try {
      await provider.getToken();
      calls.push([at, performance.now() - start]);
    } catch (error) {
      failures.push(String((error as Error)?.message ?? error));
    }
    await new Promise((resolve) => setTimeout(resolve, config.pauseMs ?? 20));
  }
}));
// Exit only once the report is out: a pipe takes a long line in several writes.
await new Promise((resolve) =>
  process.stdout.write(JSON.stringify({ calls, failures, storeErrors }) + "\n", resolve)
);
await close();
process.exit(0);

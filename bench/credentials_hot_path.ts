// The cost of watching credentials on the hot path: `provider.getToken()` with a cached token for a
// client whose credentials come from a file (a provider in front of the shared one: expiry
// warnings and rotation, looked at only at token requests) against one from a pair (the shared
// provider alone). Prints the median ns per call of each and their ratio. Bench-only code.
// Usage: <runtime> bench/credentials_hot_path.ts [rounds=7] [calls per round=200000]
import process from "node:process";
import { createClient } from "../mod.ts";
import { memoryRuntime } from "../src/runtime/memory.ts";
import {
  CANARY_SECRET,
  createKognicServer,
  TEST_CLIENT_ID,
} from "../tests/support/kognic_server.ts";
import { median } from "./_stats.ts";

const rounds = Number(process.argv[2] ?? 7);
const calls = Number(process.argv[3] ?? 200_000);
const server = createKognicServer();
const document = JSON.stringify({
  clientId: TEST_CLIENT_ID,
  clientSecret: CANARY_SECRET,
  email: "bench@example.com",
  userId: 1,
  issuer: "auth.kognic.test",
  expires: new Date(Date.now() + 365 * 86_400_000).toISOString(),
});
const common = {
  authHost: "https://auth.kognic.test",
  fetch: server.fetch as typeof fetch,
};
const fromPair = await createClient({
  ...common,
  auth: [TEST_CLIENT_ID, CANARY_SECRET],
  runtime: memoryRuntime(),
});
const fromFile = await createClient({
  ...common,
  auth: "/creds.json",
  runtime: memoryRuntime({ files: { "/creds.json": document } }),
  // Another clock: not the pair's provider.
  clock: { now: () => Date.now() },
});
const variants = [["pair", fromPair], ["file (watched)", fromFile]] as const;
for (const [, client] of variants) await client.provider.getToken();
// Chunks of 1,000 calls taking turns, so that a busy machine slows both alike.
const CHUNK = 1000;
const medians: number[][] = variants.map(() => []);
for (let round = -1; round < rounds; round++) {
  const spent = variants.map(() => 0);
  for (let chunk = 0; chunk < calls / CHUNK; chunk++) {
    for (const [index, [, client]] of variants.entries()) {
      const start = performance.now();
      for (let i = 0; i < CHUNK; i++) await client.provider.getToken();
      spent[index] += performance.now() - start;
    }
  }
  if (round >= 0) spent.forEach((ms, index) => medians[index].push(ms * 1e6 / calls));
}
const [pair, file] = medians.map(median);
process.stdout.write(
  `getToken, cached token: pair ${pair.toFixed(0)} ns, file (watched) ${
    file.toFixed(0)
  } ns per call; ratio ${(pair / file).toFixed(2)} (above 1: the watched one is faster)\n`,
);
process.stdout.write(`token requests: ${server.tokenRequests.length}\n`);

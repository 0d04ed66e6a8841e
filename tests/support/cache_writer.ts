// Writes one entry to a token cache file through FileTokenStore and the real runtime adapter,
// as a separate process: the files tests start many of these at once.
// Usage: <runtime> tests/support/cache_writer.ts <cache path> <key>
import process from "node:process";
import { fileTokenStore } from "../../src/stores/file.ts";

const [path, key] = process.argv.slice(-2);
const now = Math.floor(Date.now() / 1000);
await fileTokenStore({ path }).save(key, {
  access_token: `token-of-${key}`,
  token_type: "Bearer",
  expires_in: 3600,
  expires_at: now + 3600,
});

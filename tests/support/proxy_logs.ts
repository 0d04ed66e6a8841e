/**
 * Keeps the logs of the real proxies the cases start (tinyproxy, squid) for the secret scan of
 * scripts/test.sh: where `KOGNIC_TEST_PROXY_LOGS` names a directory, each proxy's log is copied
 * there when it stops, and the scan looks for the proxy passwords in those files as in the
 * run's output. Test-only.
 *
 * @module
 */
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";

/**
 * Copies `log` into the directory named by `KOGNIC_TEST_PROXY_LOGS`, if it is set.
 *
 * @param log The log file.
 * @param proxy The proxy's name, for the copy's name.
 */
export async function keepLog(log: string, proxy: string): Promise<void> {
  const dir = process.env.KOGNIC_TEST_PROXY_LOGS;
  if (!dir) return;
  const name = `${proxy}-${Date.now()}-${crypto.randomUUID()}.log`;
  // A proxy that never logged leaves no file: nothing to keep.
  await copyFile(log, join(dir, name)).catch((error) => {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
  });
}

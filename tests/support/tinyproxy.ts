/**
 * Starts a real HTTP proxy (Debian's `tinyproxy`) on a loopback port with a generated
 * configuration, for the proxy cases. Test-only; needs the `tinyproxy` binary on PATH.
 *
 * @module
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keepLog } from "./proxy_logs.ts";
import { freePort, startService } from "./service.ts";

/** A running tinyproxy. */
export interface Tinyproxy {
  /** `http://127.0.0.1:<port>`, without credentials. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** The request lines tinyproxy logged so far, such as `GET http://127.0.0.1:1234/v1/items`. */
  requests(): Promise<string[]>;
  /** The raw log, for the secret scan. */
  log(): Promise<string>;
  /** Kills it and removes its files. */
  close(): Promise<void>;
}

/**
 * Starts tinyproxy on 127.0.0.1.
 *
 * @param options `auth` requires Basic proxy credentials.
 * @returns The running proxy.
 */
export async function startTinyproxy(
  options: { auth?: { user: string; password: string } } = {},
): Promise<Tinyproxy> {
  const dir = await mkdtemp(join(tmpdir(), "kognic-tinyproxy-"));
  const log = join(dir, "tinyproxy.log");
  const config = join(dir, "tinyproxy.conf");
  for (let attempt = 0;; attempt++) {
    const port = await freePort();
    await writeFile(
      config,
      [
        `Port ${port}`,
        "Listen 127.0.0.1",
        "Timeout 10",
        `LogFile "${log}"`,
        "LogLevel Connect",
        "MaxClients 20",
        "Allow 127.0.0.1",
        ...(options.auth ? [`BasicAuth ${options.auth.user} ${options.auth.password}`] : []),
        "",
      ].join("\n"),
    );
    // At most 100 × 20 ms for the listening socket.
    const service = await startService("tinyproxy", ["-d", "-c", config], port, { waitMs: 2_000 });
    if (!service) {
      if (attempt < 2) continue; // The port was taken meanwhile: try another one.
      await rm(dir, { recursive: true, force: true });
      throw new Error(`tinyproxy did not start on port ${port}`);
    }
    const text = () => readFile(log, "utf8").catch(() => "");
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      log: text,
      requests: async () =>
        [...(await text()).matchAll(/Request \(file descriptor \d+\): (.*)$/gm)].map((m) => m[1]),
      close: async () => {
        await service.stop();
        await keepLog(log, "tinyproxy");
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
}

/**
 * Starts a real HTTP proxy (Debian's `tinyproxy`) on a loopback port with a generated
 * configuration, for the proxy cases. Test-only; needs the `tinyproxy` binary on PATH.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running tinyproxy. */
export interface Tinyproxy {
  /** `http://127.0.0.1:<port>`, without credentials. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** The request lines tinyproxy logged so far, such as `GET http://127.0.0.1:1234/v1/items`. */
  requests(): Promise<string[]>;
  /** Kills it and removes its files. */
  close(): Promise<void>;
}

/** A loopback port nothing listens on (free when this returns). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
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
    let exited = false;
    let child;
    try {
      child = spawn("tinyproxy", ["-d", "-c", config], { stdio: "ignore" });
    } catch (error) {
      throw new Error(`Cannot start tinyproxy (apt-get install -y tinyproxy): ${error}`);
    }
    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once("spawn", () => resolve(undefined));
      child.once("error", (error) => resolve(error));
    });
    if (spawned) {
      throw new Error(`Cannot start tinyproxy (apt-get install -y tinyproxy): ${spawned.message}`);
    }
    child.once("exit", () => exited = true);
    // Bounded wait for the listening socket: at most 100 × 20 ms.
    for (let i = 0; i < 100 && !exited && !(await accepts(port)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (exited || !(await accepts(port))) {
      child.kill("SIGKILL");
      if (attempt < 2) continue; // The port was taken meanwhile: try another one.
      await rm(dir, { recursive: true, force: true });
      throw new Error(`tinyproxy did not start on port ${port}`);
    }
    const running = child;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      requests: async () => {
        const text = await readFile(log, "utf8").catch(() => "");
        return [...text.matchAll(/Request \(file descriptor \d+\): (.*)$/gm)].map((m) => m[1]);
      },
      close: async () => {
        if (!exited) {
          const gone = new Promise((resolve) => running.once("exit", resolve));
          running.kill("SIGKILL");
          await gone;
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
}

/**
 * Starting and stopping the services the tests run (redis-server, squid, tinyproxy): a free
 * loopback port, a bounded wait until that port accepts connections, a stop by PID. Test-only.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createConnection, createServer } from "node:net";

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

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A service process started by {@linkcode startService}. */
export interface Service {
  /** The process. */
  readonly child: ChildProcess;
  /** Whether it has exited. */
  readonly exited: boolean;
  /** Sends `signal` (default SIGKILL) to its PID unless it exited, and waits for the exit. */
  stop(signal?: "SIGKILL" | "SIGTERM"): Promise<void>;
}

/**
 * Starts `command` and waits (at most `waitMs`, default 5 s) until 127.0.0.1:`port` accepts
 * connections. Returns `undefined`, the process killed, when it exited first or the port never
 * accepted (another process may have taken the port meanwhile); throws when the command cannot
 * be run at all, naming the Debian package to install.
 */
export async function startService(
  command: string,
  args: readonly string[],
  port: number,
  options: { waitMs?: number; apt?: string } = {},
): Promise<Service | undefined> {
  const child = spawn(command, args, { stdio: "ignore" });
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once("spawn", () => resolve(undefined));
    child.once("error", (error) => resolve(error));
  });
  if (spawned) {
    throw new Error(
      `Cannot start ${command} (apt-get install -y ${options.apt ?? command}): ${spawned.message}`,
    );
  }
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  gone.then(() => exited = true);
  const service: Service = {
    child,
    get exited() {
      return exited;
    },
    async stop(signal = "SIGKILL") {
      if (exited) return;
      child.kill(signal);
      await gone;
    },
  };
  const until = Date.now() + (options.waitMs ?? 5_000);
  while (!exited && !(await accepts(port))) {
    if (Date.now() > until) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (exited || !(await accepts(port))) {
    await service.stop();
    return undefined;
  }
  return service;
}

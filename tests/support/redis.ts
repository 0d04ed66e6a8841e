/**
 * A private redis-server for the fleet cases and benchmarks: a free loopback port, no
 * persistence, stopped by PID; restartable on the same port to inject faults. Test-only.
 *
 * @module
 */
import { Socket } from "node:net";
import { freePort, type Service, startService } from "./service.ts";

/** A running redis-server. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGTERM by PID) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after {@linkcode RedisServer.stop}). */
  start(): Promise<void>;
  /** Sends one command over a fresh connection (for the cases' own looks and faults). */
  command(args: string[]): Promise<unknown>;
}

/** Starts redis-server on a free port, with extra arguments such as `--requirepass`. */
export async function startRedis(extra: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  let service: Service | undefined;
  const start = async () => {
    service = await startService(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        ...extra,
      ],
      port,
      { waitMs: 10_000 },
    );
    if (!service) throw new Error(`redis-server did not start on port ${port}`);
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop: () => service?.stop("SIGTERM") ?? Promise.resolve(),
    command: (args) => rawCommand(port, args),
  };
}

/** One RESP command over its own connection; replies are parsed enough for simple values. */
export function rawCommand(port: number, args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let data = "";
    socket.on("error", reject);
    socket.connect(port, "127.0.0.1", () => {
      const encoder = new TextEncoder();
      let out = `*${args.length}\r\n`;
      for (const arg of args) out += `$${encoder.encode(arg).length}\r\n${arg}\r\n`;
      socket.write(out);
    });
    socket.on("data", (chunk) => {
      data += chunk.toString();
      const reply = parse(data);
      if (reply !== INCOMPLETE) {
        socket.destroy();
        if (reply instanceof Error) reject(reply);
        else resolve(reply);
      }
    });
  });
}

const INCOMPLETE = Symbol();

function parse(text: string): unknown {
  const end = text.indexOf("\r\n");
  if (end < 0) return INCOMPLETE;
  const head = text.slice(1, end);
  switch (text[0]) {
    case "+":
      return head;
    case "-":
      return new Error(head);
    case ":":
      return Number(head);
    case "$": {
      const length = Number(head);
      if (length < 0) return null;
      const body = text.slice(end + 2);
      return new TextEncoder().encode(body).length >= length + 2 ? body.slice(0, -2) : INCOMPLETE;
    }
    case "*": {
      // Arrays of bulk strings (KEYS): enough for the cases.
      const count = Number(head);
      const items: unknown[] = [];
      let rest = text.slice(end + 2);
      for (let i = 0; i < count; i++) {
        const line = rest.indexOf("\r\n");
        if (line < 0) return INCOMPLETE;
        const length = Number(rest.slice(1, line));
        const body = rest.slice(line + 2, line + 2 + length);
        if (body.length < length || rest.length < line + 4 + length) return INCOMPLETE;
        items.push(body);
        rest = rest.slice(line + 4 + length);
      }
      return items;
    }
  }
  return new Error(`Unexpected reply ${JSON.stringify(text.slice(0, 20))}`);
}

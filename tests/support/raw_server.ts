/**
 * A raw TCP server on loopback for faults an HTTP framework cannot produce: answers cut off
 * mid-body, connections reset before any answer, answers that never finish. Test-only; uses
 * `node:net`, which Deno, Bun and Node all provide.
 *
 * @module
 */
import { createServer, type Socket } from "node:net";

/** A running raw server. */
export interface RawServer {
  /** Base URL without a trailing slash. */
  url: string;
  /** How many connections it accepted. */
  readonly connections: () => number;
  /** Stops it and destroys every open connection. */
  close(): Promise<void>;
}

/**
 * Serves `onRequest` for the first request on each connection; it writes raw bytes to the
 * socket.
 *
 * @param onRequest Called with the socket, the request head (request line and headers) and the
 * body once `Content-Length` bytes of it have arrived.
 * @returns The running server.
 */
export function rawServer(
  onRequest: (socket: Socket, head: string, body: string) => void,
): Promise<RawServer> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let received = "";
    let done = false;
    socket.on("data", (chunk) => {
      if (done) return;
      received += chunk.toString("latin1");
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = received.slice(0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      const body = received.slice(end + 4);
      if (body.length < length) return;
      done = true;
      onRequest(socket, head, body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${address.port}`,
        connections: () => count,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

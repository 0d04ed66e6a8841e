// A forward proxy for the tests: the `proxy` npm package (CONNECT and Basic auth) on a free
// loopback port, run by Node as a subprocess of tests/support/forward_proxy.ts. It prints
// `listening <port> <log port>` once. It logs one line per request, `CONNECT <host:port> <status>`
// or `<METHOD> <url> <status>` (407 for refused credentials); a connection to the log port gets
// the lines so far as JSON. Argument: the expected `Proxy-Authorization` value, or nothing for
// an open proxy. With KOGNIC_PROXY_TLS_CERT and KOGNIC_PROXY_TLS_KEY (PEM files) in its
// environment it listens on TLS with that certificate: an HTTPS proxy.
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer } from "node:net";
import process from "node:process";
import { createProxy } from "proxy";

const expected = process.argv[2];
const lines: string[] = [];
const log = createTcpServer((socket) => socket.end(JSON.stringify(lines)));
const { KOGNIC_PROXY_TLS_CERT: certFile, KOGNIC_PROXY_TLS_KEY: keyFile } = process.env;
const server = createProxy(
  certFile && keyFile
    ? createHttpsServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) })
    : createServer(),
);
// A client that does not trust the certificate hangs up during the handshake: not a request.
server.on("tlsClientError", () => {});
server.authenticate = (request: IncomingMessage) => {
  const ok = !expected || request.headers["proxy-authorization"] === expected;
  lines.push(`${request.method} ${request.url} ${ok ? 200 : 407}`);
  return ok;
};
const portOf = (address: unknown) => (address as { port: number }).port;
server.listen(0, "127.0.0.1", () => {
  log.listen(0, "127.0.0.1", () => {
    process.stdout.write(`listening ${portOf(server.address())} ${portOf(log.address())}\n`);
  });
});
process.on("SIGTERM", () => process.exit(0));

// A TLS front for the tests, run by Node as a subprocess of tests/support/tls.ts: it accepts TLS
// on a free loopback port with the given certificate and key files and pipes each connection to
// a plain TCP port (the test's http server). Prints `listening <port>`. Arguments: cert file,
// key file, target port.
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import process from "node:process";
import { createServer } from "node:tls";

const [certFile, keyFile, target] = process.argv.slice(2);
const server = createServer(
  { cert: readFileSync(certFile), key: readFileSync(keyFile) },
  (socket) => {
    const upstream = connect({ host: "127.0.0.1", port: Number(target) });
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on("error", end);
    upstream.on("error", end);
  },
);
server.on("tlsClientError", () => {});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
process.on("SIGTERM", () => process.exit(0));

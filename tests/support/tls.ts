/**
 * A certificate authority made at test time with the `openssl` command, a server certificate it
 * signed for `127.0.0.1` and `localhost`, and a TLS front (Node, in a subprocess) that serves
 * that certificate on a loopback port and passes the connections to a plain http server.
 * Test-only.
 *
 * @module
 */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeBinary } from "./forward_proxy.ts";

/** A generated CA and a server certificate it signed. */
export interface TestCa {
  /** The CA certificate, PEM. */
  caPem: string;
  /** Path of the CA certificate file. */
  caFile: string;
  /** Path of the server certificate file. */
  certFile: string;
  /** Path of the server key file. */
  keyFile: string;
  /** Removes the files. */
  remove(): Promise<void>;
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("openssl", args, { cwd, timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`openssl ${args[0]} failed: ${stderr}`));
      else resolve();
    });
  });
}

/**
 * Makes a CA and a server certificate for 127.0.0.1 and localhost, with `openssl`.
 *
 * @param name The CA's common name.
 * @returns The PEM of the CA and the paths of the files.
 */
export async function makeTestCa(name = "Kognic Test CA"): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), "kognic-ca-"));
  await writeFile(
    join(dir, "server.ext"),
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n" +
      "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
  );
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  await openssl([
    "req",
    ...ec,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  ], dir);
  await openssl([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "server.ext",
  ], dir);
  return {
    caPem: await readFile(join(dir, "ca.pem"), "utf8"),
    caFile: join(dir, "ca.pem"),
    certFile: join(dir, "server.pem"),
    keyFile: join(dir, "server.key"),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A running TLS front. */
export interface TlsFront {
  /** `https://127.0.0.1:<port>`. */
  url: string;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Serves TLS with the CA's server certificate on a loopback port, passing every connection on
 * to `target` (an `http://127.0.0.1:<port>` URL).
 *
 * @param ca The certificate to serve.
 * @param target The plain http server behind it.
 * @returns The https URL and a `close()`.
 */
export async function startTlsFront(ca: TestCa, target: string): Promise<TlsFront> {
  const main = new URL("./tls_front_main.ts", import.meta.url).pathname;
  const child = spawn(
    nodeBinary(),
    [
      "--experimental-strip-types",
      "--no-warnings",
      main,
      ca.certFile,
      ca.keyFile,
      new URL(target).port,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  gone.then(() => exited = true);
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      buffer += chunk;
      const listening = /^listening (\d+)$/m.exec(buffer);
      if (listening) resolve(Number(listening[1]));
    });
    child.once("error", reject);
    gone.then(() => reject(new Error("The TLS front exited before it listened")));
  });
  return {
    url: `https://127.0.0.1:${port}`,
    close: async () => {
      if (!exited) {
        child.kill("SIGTERM");
        await gone;
      }
    },
  };
}

/**
 * Starts a real forward proxy on a loopback port: the `proxy` npm package (a dev dependency, so
 * it is there after `npm ci`), run by Node in a subprocess. It tunnels `CONNECT`, forwards plain
 * http requests, and with `auth` answers 407 to any request without exactly those Basic
 * credentials, and with `tls` listens on TLS (an HTTPS proxy). Every request it got is logged,
 * refused ones too. Test-only.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { createConnection } from "node:net";
import process from "node:process";

/** A running forward proxy. */
export interface ForwardProxy {
  /** `http://127.0.0.1:<port>` (`https://` with `tls`), without credentials. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Every request so far: `CONNECT 127.0.0.1:443 407`, `GET http://… 200`. */
  lines(): Promise<string[]>;
  /**
   * How many `CONNECT` requests it got so far, refused ones included; with `host` (`host:port`)
   * only those for that target (Deno's own update check may use the proxy too).
   */
  connects(host?: string): Promise<number>;
  /** Kills it. */
  close(): Promise<void>;
}

/** The Node binary: this one on Node, else the Node 24 the repository installs. */
export function nodeBinary(): string {
  return globalThis.navigator?.userAgent?.startsWith("Node.js/") &&
      !("Bun" in globalThis) && !("Deno" in globalThis)
    ? process.execPath
    : new URL("../../node_modules/node24/bin/node", import.meta.url).pathname;
}

function readLog(port: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let text = "";
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => text += chunk);
    socket.once("end", () => resolve(JSON.parse(text)));
    socket.once("error", reject);
  });
}

/**
 * Starts the proxy on 127.0.0.1.
 *
 * @param options `auth` requires these Basic proxy credentials (raw, not encoded); `tls` makes
 * it listen on TLS with that certificate and key (PEM files), such as those of makeTestCa.
 * @returns The running proxy.
 */
export async function startForwardProxy(
  options: {
    auth?: { user: string; password: string };
    tls?: { certFile: string; keyFile: string };
  } = {},
): Promise<ForwardProxy> {
  const main = new URL("./forward_proxy_main.ts", import.meta.url).pathname;
  const expected = options.auth
    ? `Basic ${
      btoa(String.fromCharCode(
        ...new TextEncoder().encode(`${options.auth.user}:${options.auth.password}`),
      ))
    }`
    : "";
  // Node 22 needs the flag for a .ts file; Node 24 accepts it.
  const child = spawn(
    nodeBinary(),
    ["--experimental-strip-types", "--no-warnings", main, ...(expected ? [expected] : [])],
    {
      stdio: ["ignore", "pipe", "inherit"],
      cwd: new URL("../..", import.meta.url).pathname,
      env: {
        ...process.env,
        ...(options.tls
          ? {
            KOGNIC_PROXY_TLS_CERT: options.tls.certFile,
            KOGNIC_PROXY_TLS_KEY: options.tls.keyFile,
          }
          : {}),
      },
    },
  );
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  gone.then(() => exited = true);
  const [port, logPort] = await new Promise<number[]>((resolve, reject) => {
    let buffer = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      buffer += chunk;
      const listening = /^listening (\d+) (\d+)$/m.exec(buffer);
      if (listening) resolve([Number(listening[1]), Number(listening[2])]);
    });
    child.once("error", reject);
    gone.then(() => reject(new Error("The forward proxy exited before it listened")));
  });
  const lines = () => readLog(logPort);
  return {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    lines,
    connects: async (host?: string) =>
      (await lines()).filter((line) => line.startsWith(`CONNECT ${host ?? ""}`)).length,
    close: async () => {
      if (!exited) {
        child.kill("SIGTERM");
        await gone;
      }
    },
  };
}

/** The proxy variables, both cases. */
export const PROXY_VARIABLES = [
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "NO_PROXY",
  "no_proxy",
];

/** Runs `fn` with exactly `vars` as the proxy variables, restoring them afterwards. */
export async function withProxyEnv<T>(
  vars: Record<string, string>,
  fn: () => Promise<T>,
): Promise<T> {
  const saved = PROXY_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const name of PROXY_VARIABLES) delete process.env[name];
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

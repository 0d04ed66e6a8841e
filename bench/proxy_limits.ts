// Prints what one large upload does to the memory of the Hono proxy (kognicProxy), and whether
// the proxy still serves while many connections never finish their headers.
//
// Usage: node_modules/node24/bin/node bench/proxy_limits.ts [upload MiB = 256] [slow = 300]
//
// Upload: a loopback upstream answers the token endpoint and drains every other request body;
// the proxy runs in a child process (Node 24 with and without the `undici` package, Deno) with
// a body limit above the upload; one chunked POST of N MiB goes through it, and the child's
// resident memory is printed before, right after, and 3 s after the upload. Bun is left out:
// Bun.serve refuses bodies above 128 MB on its own.
//
// Slow connections: K sockets send half a request head and nothing more; then one normal
// request goes through the proxy (served or not within 5 s), and after 15 s the number of those
// sockets the server has closed is printed (a server with a header timeout closes them all).
import { spawn } from "node:child_process";
import { createServer, request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import process from "node:process";

const MiB = 1024 * 1024;
const uploadMiB = Number(process.argv[2] ?? 256);
const slow = Number(process.argv[3] ?? 300);
const root = new URL("..", import.meta.url).pathname;

// deno-lint-ignore no-console
const print = (line: string) => console.log(line);

const upstream = createServer((req, res) => {
  if (req.url?.startsWith("/v1/auth/oauth/token")) {
    req.resume();
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({
        access_token: `bench-token-${Date.now()}`,
        token_type: "Bearer",
        expires_in: 3600,
      }));
    });
    return;
  }
  let bytes = 0;
  req.on("data", (chunk: Uint8Array) => bytes += chunk.length);
  req.on("end", () => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ data: { bytes } }));
  });
});
await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
const address = upstream.address();
const upstreamUrl = `http://127.0.0.1:${typeof address === "object" && address?.port}`;

interface Child {
  url: string;
  exited: () => number | null;
  stop(): void;
}

function startProxy(
  command: string[],
  env: Record<string, string> = {},
  nofile = 1024, // A typical default file limit, whatever this shell allows.
): Promise<Child> {
  const script = `${root}bench/_proxy_server.ts`;
  const child = spawn(
    "sh",
    [
      "-c",
      `ulimit -n ${nofile}; exec "$@"`,
      "sh",
      ...command,
      script,
      upstreamUrl,
      String(2 ** 40),
    ],
    { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Uint8Array) => {
      out += new TextDecoder().decode(chunk);
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out)?.[0];
      if (url) resolve({ url, exited: () => child.exitCode, stop: () => child.kill() });
    });
    child.on("exit", (code) => reject(new Error(`proxy exited with ${code}`)));
  });
}

async function rss(url: string): Promise<number> {
  const response = await fetch(`${url}/rss`);
  return (await response.json()).rss / MiB;
}

function upload(url: string, mib: number): Promise<string> {
  const chunk = new Uint8Array(MiB).fill(97);
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/kognic/v1/upload`, { method: "POST" }, (res) => {
      let text = "";
      res.on("data", (part: Uint8Array) => text += new TextDecoder().decode(part));
      res.on("end", () => resolve(`${res.statusCode} ${text}`));
    });
    req.on("error", reject);
    let sent = 0;
    const write = () => {
      while (sent < mib) {
        sent++;
        if (!req.write(chunk)) return void req.once("drain", write);
      }
      req.end();
    };
    write();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const runtimes: [string, string[], Record<string, string>?][] = [
  ["Node 24, undici 8", [`${root}node_modules/node24/bin/node`]],
  ["Node 24, no undici", [`${root}node_modules/node24/bin/node`], { BENCH_HIDE_UNDICI: "1" }],
  ["Deno", [`${root}node_modules/.bin/deno`, "run", "-A"]],
  ["Bun", [`${root}node_modules/.bin/bun`]],
];

print(`Upload of ${uploadMiB} MiB (chunked) through the proxy, child RSS in MiB:`);
for (const [label, command, env] of runtimes.slice(0, 3)) {
  const proxy = await startProxy(command, env);
  try {
    await upload(proxy.url, 1); // token fetched, connections warm
    const before = await rss(proxy.url);
    const started = performance.now();
    const answer = await upload(proxy.url, uploadMiB);
    const seconds = (performance.now() - started) / 1000;
    const after = await rss(proxy.url);
    await sleep(3000);
    const later = await rss(proxy.url);
    print(
      `  ${label.padEnd(20)} before ${before.toFixed(0).padStart(5)}  after ${
        after.toFixed(0).padStart(5)
      }  3 s later ${later.toFixed(0).padStart(5)}  (${seconds.toFixed(1)} s, upstream: ${
        answer.slice(0, 40)
      })`,
    );
  } finally {
    proxy.stop();
  }
}

async function slowConnections(label: string, proxy: Child): Promise<void> {
  const { hostname, port } = new URL(proxy.url);
  const sockets: Socket[] = [];
  let closed = 0;
  try {
    await fetch(`${proxy.url}/rss`);
    for (let i = 0; i < slow; i++) {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.on("error", () => {});
      socket.on("close", () => closed++);
      socket.write("GET /kognic/v1/x HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      sockets.push(socket);
    }
    await sleep(500);
    const served = await fetch(`${proxy.url}/kognic/v1/ok`, { signal: AbortSignal.timeout(5000) })
      .then((response) => `served (${response.status})`, (error) => `NOT served (${error.name})`);
    await sleep(15_000);
    const exit = proxy.exited();
    print(
      `  ${
        label.padEnd(20)
      } a normal request: ${served}; closed by the server after 15 s: ${closed}/${slow}${
        exit === null ? "" : `; the server EXITED (${exit})`
      }`,
    );
  } finally {
    for (const socket of sockets) socket.destroy();
    proxy.stop();
  }
}

const headerRuntimes = [runtimes[0], runtimes[2], runtimes[3]];
print(`\n${slow} connections that never finish their headers (proxy under ulimit -n 1024):`);
for (const [label, command, env] of headerRuntimes) {
  await slowConnections(label, await startProxy(command, env));
}
const small = Math.max(64, Math.floor(slow * 0.8));
print(`\nThe same under ulimit -n ${small}: fewer descriptors than connections:`);
for (const [label, command, env] of headerRuntimes) {
  await slowConnections(label, await startProxy(command, env, small));
}
upstream.close();

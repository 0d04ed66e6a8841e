// Cold start alone, with an optional earlier checkout side by side: spawn to first authenticated
// response of the programs of bench/_cold.ts (the library from source and bundled, the bare
// script as TypeScript and as JavaScript, each peer bundled), rounds in rotated order so that
// load falls on every variant alike. Bench-only code.
//
// Usage: node bench/cold_start.ts [--rounds=20] [--runtimes=deno,bun,node24] [--before=DIR]
//        [--no-peers]
//   --before  a checkout of an earlier version (e.g. `git archive <rev> | tar -x -C DIR`): this
//             bench/cold_client.ts with its mod.ts (copied into DIR/bench for the run) runs as
//             "before source" and, bundled, "before bundled" in the same rounds.
// Prints per runtime the median ms (min–max) of each variant and the median of the per-round
// ratios to the bare script of the same language (wall time, and the CPU time the process reports up to the response,
// which a loaded machine disturbs less), then one `bench scenario=cold-start…` line per
// wall-time ratio of a library variant to the bare script (`baseline=plain`) and to each peer
// (median of the per-round ratios; above 1: the library is faster).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import {
  CANARY_SECRET,
  createKognicServer,
  TEST_CLIENT_ID,
} from "../tests/support/kognic_server.ts";
import { serve } from "../tests/support/serve.ts";
import { fixed, median, spread } from "./_stats.ts";
import { PEERS } from "./_peers.ts";
import { bundleBare, bundleClient, bundlePeer } from "./_cold.ts";

const arg = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const rounds = Number(arg("rounds") ?? 20);
const only = arg("runtimes")?.split(",");
const before = arg("before");
const peers = !process.argv.includes("--no-peers");

const bin = "node_modules/.bin";
const runtimes = [
  { name: "deno", run: [`${bin}/deno`, "run", "-A"] },
  { name: "bun", run: [`${bin}/bun`] },
  { name: "node24", run: ["node_modules/node24/bin/node"] },
].filter((runtime) => !only || only.includes(runtime.name));

/**
 * Milliseconds from spawning `command` until it prints its first line, which must be "ok", and
 * the CPU milliseconds (all threads) the process reports up to then.
 */
function timeToFirstLine(command: string[], env: Record<string, string | undefined>) {
  return new Promise<{ wall: number; cpu: number }>((done, fail) => {
    const start = performance.now();
    const child = spawn(command[0], command.slice(1), {
      stdio: ["ignore", "pipe", "inherit"],
      env,
    });
    let stdout = "";
    let at = NaN;
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (Number.isNaN(at) && stdout.includes("\n")) at = performance.now() - start;
    });
    child.on("error", fail);
    child.on("close", (code) => {
      const cpu = Number(/^cpu (\d+)$/m.exec(stdout)?.[1]) / 1000;
      if (code === 0 && stdout.startsWith("ok\n")) done({ wall: at, cpu });
      else fail(new Error(`${command.join(" ")} printed ${JSON.stringify(stdout)} (${code})`));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), "kognic-auth-cold-"));

let sameProgram: string | undefined;
const server = createKognicServer();
const served = await serve(server.fetch);
const load = [loadavg()[0]];
try {
  const answer = await fetch(`${served.url}/v1/auth/oauth/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: TEST_CLIENT_ID,
      client_secret: CANARY_SECRET,
    }),
  });
  const { access_token: token } = await answer.json();
  const env: Record<string, string | undefined> = {
    ...process.env,
    KOGNIC_BENCH_URL: served.url,
    KOGNIC_BENCH_TOKEN: token,
    KOGNIC_CLIENT_ID: TEST_CLIENT_ID,
    KOGNIC_CLIENT_SECRET: CANARY_SECRET,
  };
  delete env.KOGNIC_CREDENTIALS;
  // Each variant: its script and the bare script it is divided by (same language).
  type Variant = { script: string; env: typeof env; bare?: "bare" | "bare js" };
  const variants: Record<string, Variant> = {
    source: { script: "bench/cold_client.ts", env, bare: "bare" },
    bundled: { script: await bundleClient(".", join(dir, "after")), env, bare: "bare js" },
    bare: { script: "bench/cold_bare.ts", env },
    "bare js": { script: await bundleBare(join(dir, "bare.mjs")), env },
  };
  if (before) {
    const root = resolve(before);
    // The same program beside the earlier checkout's mod.ts (written into that checkout).
    sameProgram = join(root, "bench", "_cold_client_now.ts");
    writeFileSync(sameProgram, readFileSync("bench/cold_client.ts"));
    variants["before source"] = { script: sameProgram, env, bare: "bare" };
    variants["before bundled"] = {
      script: await bundleClient(root, join(dir, "before")),
      env,
      bare: "bare js",
    };
  }
  const peerScripts = peers
    ? await Promise.all(
      PEERS.map((peer, index) => bundlePeer(peer.name, join(dir, `peer-${index}.mjs`))),
    )
    : [];
  const lines: string[] = [];
  for (const runtime of runtimes) {
    const here = runtime.name === "node24" ? "node" : runtime.name;
    const own: Record<string, Variant> = { ...variants };
    PEERS.forEach((peer, index) => {
      if (peers && peer.runsHere(here)) {
        own[peer.name] = {
          script: peerScripts[index],
          env: { ...env, KOGNIC_BENCH_PEER: peer.name },
        };
      }
    });
    const names = Object.keys(own);
    const each = () => Object.fromEntries(names.map((name) => [name, [] as number[]]));
    const [times, ratios, cpus, cpuRatios] = [each(), each(), each(), each()];
    // One unmeasured round fills the caches (Deno's module cache, the OS's).
    for (let round = -1; round < rounds; round++) {
      const shift = Math.max(round, 0) % names.length;
      const order = [...names.slice(shift), ...names.slice(0, shift)];
      const took: Record<string, { wall: number; cpu: number }> = {};
      for (const name of order) {
        const { script, env } = own[name];
        took[name] = await timeToFirstLine([...runtime.run, script], env);
      }
      if (round < 0) continue;
      for (const name of names) {
        times[name].push(took[name].wall);
        const bare = took[own[name].bare ?? "bare"];
        ratios[name].push(took[name].wall / bare.wall);
        cpus[name].push(took[name].cpu);
        cpuRatios[name].push(took[name].cpu / bare.cpu);
      }
    }
    load.push(loadavg()[0]);
    process.stdout.write(`\n${runtime.name}, ${rounds} rounds\n`);
    for (const name of names) {
      process.stdout.write(
        `  ${name.padEnd(15)} ${fixed(median(times[name]), 1).padStart(6)} ms (${
          spread(times[name], 0)
        })  ÷ bare ${fixed(median(ratios[name]))} (${spread(ratios[name])})   CPU ${
          fixed(median(cpus[name]), 1).padStart(6)
        } ms  ÷ bare ${fixed(median(cpuRatios[name]))} (${spread(cpuRatios[name])})\n`,
      );
    }
    // Per library variant: ÷ bare, and ÷ each peer (the median of the per-round ratios).
    const library = names.filter((name) => variants[name]?.bare);
    const others = names.filter((name) => !(name in variants));
    for (const name of library) {
      const subject = `library-${name.replace(" ", "-")}`;
      const line = (baseline: string, ratio: number) =>
        lines.push(
          `bench scenario=cold-start runtime=${runtime.name} subject=${subject} ` +
            `baseline=${baseline} ratio=${fixed(ratio, 3)}`,
        );
      line("plain", 1 / median(ratios[name]));
      for (const peer of others) {
        line(peer, median(times[peer].map((ms, round) => ms / times[name][round])));
      }
    }
  }
  process.stdout.write(`\nload (1 min) ${load.map((value) => value.toFixed(2)).join(" → ")}\n`);
  process.stdout.write(`${lines.join("\n")}\n`);
} finally {
  await served.close();
  rmSync(dir, { recursive: true, force: true });
  if (sameProgram) rmSync(sameProgram, { force: true });
}

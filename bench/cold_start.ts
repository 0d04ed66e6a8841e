// Cold start alone, with an optional earlier checkout side by side: spawn to first authenticated
// response of bench/cold_client.ts (library from source and bundled) and bench/cold_bare.ts,
// rounds in rotated order so that load falls on every variant alike. Bench-only code.
//
// Usage: node bench/cold_start.ts [--rounds=20] [--runtimes=deno,bun,node24] [--before=DIR]
//   --before  a checkout of an earlier version (e.g. `git archive <rev> | tar -x -C DIR`): its
//             bench/cold_client.ts and mod.ts run as the variants "before source" and
//             "before bundled" in the same rounds.
// Prints per runtime the median ms (min–max) of each variant and the median of the per-round
// ratios to the bare script (wall time, and the CPU time the process reports up to the response,
// which a loaded machine disturbs less), then one `bench scenario=cold-start…` line per wall-time
// ratio.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { build } from "esbuild";
import {
  CANARY_SECRET,
  createKognicServer,
  TEST_CLIENT_ID,
} from "../tests/support/kognic_server.ts";
import { serve } from "../tests/support/serve.ts";
import { fixed, median, spread } from "./_stats.ts";

const arg = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const rounds = Number(arg("rounds") ?? 20);
const only = arg("runtimes")?.split(",");
const before = arg("before");

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
async function bundleOf(root: string, name: string): Promise<string> {
  const outfile = join(dir, name);
  await build({
    entryPoints: [join(root, "mod.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["node:*"],
    outfile,
    logLevel: "error",
  });
  return outfile;
}

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
  const variants: Record<string, { script: string; env: typeof env }> = {
    source: { script: "bench/cold_client.ts", env },
    bundled: {
      script: "bench/cold_client.ts",
      env: { ...env, KOGNIC_BENCH_MODULE: await bundleOf(".", "after.mjs") },
    },
    bare: { script: "bench/cold_bare.ts", env },
  };
  if (before) {
    const root = resolve(before);
    variants["before source"] = { script: join(root, "bench/cold_client.ts"), env };
    variants["before bundled"] = {
      script: join(root, "bench/cold_client.ts"),
      env: { ...env, KOGNIC_BENCH_MODULE: await bundleOf(root, "before.mjs") },
    };
  }
  const names = Object.keys(variants);
  const lines: string[] = [];
  for (const runtime of runtimes) {
    const each = () => Object.fromEntries(names.map((name) => [name, [] as number[]]));
    const [times, ratios, cpus, cpuRatios] = [each(), each(), each(), each()];
    // One unmeasured round fills the caches (Deno's module cache, the OS's).
    for (let round = -1; round < rounds; round++) {
      const shift = Math.max(round, 0) % names.length;
      const order = [...names.slice(shift), ...names.slice(0, shift)];
      const took: Record<string, { wall: number; cpu: number }> = {};
      for (const name of order) {
        const { script, env } = variants[name];
        took[name] = await timeToFirstLine([...runtime.run, script], env);
      }
      if (round < 0) continue;
      for (const name of names) {
        times[name].push(took[name].wall);
        ratios[name].push(took[name].wall / took.bare.wall);
        cpus[name].push(took[name].cpu);
        cpuRatios[name].push(took[name].cpu / took.bare.cpu);
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
      if (name !== "bare") {
        lines.push(
          `bench scenario=cold-start runtime=${runtime.name} subject=library-${
            name.replace(" ", "-")
          } baseline=plain ratio=${fixed(1 / median(ratios[name]), 3)}`,
        );
      }
    }
  }
  process.stdout.write(`\nload (1 min) ${load.map((value) => value.toFixed(2)).join(" → ")}\n`);
  process.stdout.write(`${lines.join("\n")}\n`);
} finally {
  await served.close();
  rmSync(dir, { recursive: true, force: true });
}

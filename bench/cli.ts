// `kog` and `kognic-auth` with a cached token, the whole process, side by side with Kognic's
// Python tools on the same files: wall time and max RSS per runtime, paired round by round.
// Bench-only code; no assertions.
//
// Usage: npm run bench:cli [-- rounds] [--baseline DIR] [--runtimes deno,bun,…] [--floor]
// (default 10 rounds, every runtime; Python from the oracle)
//
// --floor: each runtime's floor in the same rounds, as rows without targets: a bare start (an
// empty module, bench/_cli_bare.mjs) and the command's own I/O without this package
// (bench/_cli_floor.mjs: read the token cache file, one request to loopback for `kog`, write
// standard output), so that the tables say how far each command is from what any program doing
// the same pays.
//
// --baseline DIR: another checkout of this package (e.g. `git worktree add DIR main`, or a
// `git archive` of it with this checkout's node_modules linked in) runs in the same rounds, with
// the same runtimes, as "before" rows: a paired before/after. Its runs keep caches of their own
// (a second XDG_CACHE_HOME: Node 22's stripped modules are kept there per path, and would
// otherwise be replaced by each checkout in turn); its token cache file fills at its warm-up.
//
// Each round runs every command once, in an order that rotates from round to round, against
// the Kognic test server on loopback, in a sandbox HOME whose token cache file already holds the
// token (no D-Bus session):
// - `kog get <server>/v1/projects` and `kognic-auth get-access-token --env local`, both with
//   `--token-cache file`;
// - as users start them: Deno `deno run -A src/cli/….ts` (what `deno run -A jsr:…` and
//   `deno install` run), Bun and Node the bin shims (`bunx`/`npx` after `bun link`/`npm install`);
// - Python: `/usr/bin/python3` (KOGNIC_AUTH_PYTHON) with KOGNIC_AUTH_ORACLE on PYTHONPATH, the
//   console scripts' own entry points, bytecode cached as an installed package has it.
// Wall time is spawn to exit as this process sees it; max RSS comes from GNU time (`/usr/bin/time`,
// Debian package `time`) where it is installed. Ratios: per round Python ÷ this library, then
// the median (> 1: the library is faster); memory: Python's median MiB ÷ the library's.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { createKognicServer } from "../tests/support/kognic_server.ts";
import { serve } from "../tests/support/serve.ts";
import { repoPath, runProgram, sandbox } from "../tests/support/cli.ts";
import { credentialsDocument } from "../tests/support/fixtures.ts";
import { oracle } from "../tests/support/capabilities.ts";

/** One command line to time, and what the figures are held to. */
interface Subject {
  /** The runtime label of the machine-readable lines (`node` is Node 24). */
  runtime: string;
  /** The label of the table row. */
  label: string;
  /** The program and arguments before the tool's own arguments, per tool. */
  command: Record<Tool, string[]>;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** The least time ratio (Python ÷ library), and whether memory must not exceed Python's. */
  target?: { speed: number; memory: boolean };
}

type Tool = "kog" | "kognic-auth";

/** The figures of one subject in one scenario. */
export interface CliFigures {
  label: string;
  runtime: string;
  ms: number[];
  mib: number[];
  /** CPU milliseconds (user + system, GNU time's 10 ms steps). */
  cpu: number[];
  /** Per round, Python's time ÷ this subject's. */
  ratios: number[];
  target?: { speed: number; memory: boolean };
}

/** What {@linkcode cliBench} measured. */
export interface CliBenchResult {
  /** Per tool: Python's figures and every subject's. */
  scenarios: {
    tool: Tool;
    python: { ms: number[]; mib: number[]; cpu: number[] };
    rows: CliFigures[];
  }[];
  /** Markdown lines: the tables. */
  lines: string[];
  /** `bench scenario=cli-… runtime=… subject=library baseline=python ratio=…` lines. */
  machine: string[];
}

const DENO = repoPath("node_modules/.bin/deno");
const BUN = repoPath("node_modules/.bin/bun");
const NODE24 = repoPath("node_modules/node24/bin/node");
const NODE22 = repoPath("node_modules/node22/bin/node");

/** The subjects run from the checkout at `root` (this one by default). */
const subjectsOf = (root?: string): Subject[] => {
  const at = (path: string) => root ? join(root, path) : repoPath(path);
  return [
    {
      runtime: "deno",
      label: "Deno (deno run -A)",
      command: {
        kog: [DENO, "run", "-A", "--quiet", "--no-lock", at("src/cli/kog.ts")],
        "kognic-auth": [DENO, "run", "-A", "--quiet", "--no-lock", at("src/cli/mod.ts")],
      },
      target: { speed: 4, memory: true },
    },
    {
      runtime: "bun",
      label: "Bun (bin shim)",
      command: {
        kog: [BUN, at("bin/kog.mjs")],
        "kognic-auth": [BUN, at("bin/kognic-auth.mjs")],
      },
      target: { speed: 8, memory: true },
    },
    {
      runtime: "node",
      label: "Node 24 (bin shim)",
      command: {
        kog: [NODE24, at("bin/kog.mjs")],
        "kognic-auth": [NODE24, at("bin/kognic-auth.mjs")],
      },
      target: { speed: 1, memory: false },
    },
    {
      runtime: "node22",
      label: "Node 22 (bin shim)",
      command: {
        kog: [NODE22, at("bin/kog.mjs")],
        "kognic-auth": [NODE22, at("bin/kognic-auth.mjs")],
      },
      target: { speed: 1, memory: false },
    },
    {
      // Not a target: what the compile cache saves, and a first start after installing.
      runtime: "node-no-compile-cache",
      label: "Node 24, NODE_DISABLE_COMPILE_CACHE=1",
      command: {
        kog: [NODE24, at("bin/kog.mjs")],
        "kognic-auth": [NODE24, at("bin/kognic-auth.mjs")],
      },
      env: { NODE_DISABLE_COMPILE_CACHE: "1" },
    },
  ];
};

const SUBJECTS = subjectsOf();

/** The floors of `--floor`: per runtime, a bare start and the commands' I/O alone. */
const FLOORS: Subject[] = [
  ["deno", "Deno", [DENO, "run", "-A", "--quiet", "--no-lock"]],
  ["bun", "Bun", [BUN]],
  ["node", "Node 24", [NODE24]],
  ["node22", "Node 22", [NODE22]],
].flatMap(([runtime, name, start]) => {
  const [bare, floor] = ["bench/_cli_bare.mjs", "bench/_cli_floor.mjs"].map(repoPath);
  return [
    {
      runtime: runtime as string,
      label: `${name}, floor: bare start`,
      command: { kog: [...start, bare], "kognic-auth": [...start, bare] },
    },
    {
      runtime: runtime as string,
      label: `${name}, floor: token file, request (kog), stdout`,
      command: { kog: [...start, floor], "kognic-auth": [...start, floor] },
    },
  ];
});
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Whether GNU time is there to report the max RSS (`%M`, KiB). */
async function gnuTime(): Promise<boolean> {
  try {
    const ran = await runProgram("/usr/bin/time", ["--version"]);
    return /GNU/.test(ran.stdout + ran.stderr);
  } catch {
    return false;
  }
}

/** Whether the Python oracle runs here. */
async function pythonRuns(): Promise<boolean> {
  const { python, env } = oracle();
  try {
    const ran = await runProgram(python, ["-c", "import kognic.auth.cli.api_request"], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    });
    return ran.code === 0;
  } catch {
    return false;
  }
}

/**
 * Times `kog` and `kognic-auth` with a cached token against Python's, `rounds` rounds.
 * Returns undefined (after `log`ging why) where the Python oracle does not run.
 */
export async function cliBench(
  rounds: number,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  baseline?: string,
  only?: readonly string[],
  floors = false,
): Promise<CliBenchResult | undefined> {
  if (!await pythonRuns()) {
    log("cli: Kognic's Python kognic-auth not found (set KOGNIC_AUTH_ORACLE): not applicable");
    return undefined;
  }
  const withRss = await gnuTime();
  if (!withRss) log("cli: no GNU time (/usr/bin/time, Debian package time): no max RSS");
  const kognic = createKognicServer();
  const served = await serve(kognic.fetch);
  const box = await sandbox();
  const scratch = await mkdtemp(join(tmpdir(), "kognic-bench-cli-"));
  try {
    const credentials = await box.write("credentials.json", JSON.stringify(credentialsDocument()));
    await box.write(
      "config/kognic/environments.json",
      JSON.stringify({
        environments: { local: { host: "127.0.0.1", auth_server: served.url, credentials } },
      }),
    );
    // `--token-cache file`: without a keyring Python's `auto` mode caches nothing (it asks for
    // a token at every start), so the file is the cache both tools share here.
    const args: Record<Tool, string[]> = {
      kog: ["get", `${served.url}/v1/projects`, "--token-cache", "file"],
      "kognic-auth": ["get-access-token", "--env", "local", "--token-cache", "file"],
    };
    const { python, env: pythonVariables } = oracle();
    const entry = {
      kog: "from kognic.auth.cli.api_request import main",
      "kognic-auth": "from kognic.auth.cli import main",
    };
    const pythonCommand = (tool: Tool) => [
      python,
      "-c",
      `import sys; sys.argv[0] = ${JSON.stringify(tool)}; ${entry[tool]}; sys.exit(main())`,
    ];
    // Bytecode cached outside the oracle's folder, as an installed package has its own.
    const pythonEnv = {
      ...box.env,
      ...pythonVariables,
      PYTHONPYCACHEPREFIX: join(scratch, "pycache"),
    };

    let at = 0;
    const rssFile = join(scratch, "rss");
    const time = async (command: string[], env: Record<string, string>) => {
      const full = withRss
        ? ["/usr/bin/time", "-f", "%M %U %S", "-o", rssFile, ...command]
        : command;
      const started = performance.now();
      const ran = await runProgram(full[0], full.slice(1), { env });
      const ms = performance.now() - started;
      if (ran.code !== 0) {
        throw new Error(`${command.join(" ")} failed (${ran.code}): ${ran.stderr.slice(-500)}`);
      }
      // GNU time's last line: max RSS (KiB), user and system CPU seconds.
      const [kib, user, system] = withRss
        ? (await readFile(rssFile, "utf8")).trim().split("\n").at(-1)!.split(" ").map(Number)
        : [NaN, NaN, NaN];
      at++;
      return { ms, mib: kib / 1024, cpu: (user + system) * 1000 };
    };

    // The baseline checkout's subjects: no targets, caches of their own.
    const before = baseline
      ? subjectsOf(baseline).map((subject) => ({
        ...subject,
        label: `${subject.label}, before`,
        target: undefined,
        env: { ...subject.env, XDG_CACHE_HOME: join(scratch, "baseline-cache") },
      }))
      : [];
    const subjects = [...SUBJECTS, ...before, ...floors ? FLOORS : []].filter((subject) =>
      !only || only.includes(subject.runtime)
    );
    const scenarios: CliBenchResult["scenarios"] = [];
    for (const tool of ["kog", "kognic-auth"] as Tool[]) {
      log(`cli: ${tool}, ${rounds} rounds`);
      type Run = { name: string; command: string[]; env: Record<string, string> };
      const runs: Run[] = [
        { name: "python", command: [...pythonCommand(tool), ...args[tool]], env: pythonEnv },
        ...subjects.map((subject) => ({
          name: subject.label,
          command: [...subject.command[tool], ...args[tool]],
          env: { ...box.env, ...subject.env },
        })),
      ];
      // Warm-up: fills the token cache and each runtime's own caches.
      for (const run of runs) await time(run.command, run.env);
      const figures = new Map(
        runs.map((
          run,
        ) => [run.name, { ms: [] as number[], mib: [] as number[], cpu: [] as number[] }]),
      );
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < runs.length; i++) {
          const run = runs[(i + round) % runs.length];
          const { ms, mib, cpu } = await time(run.command, run.env);
          figures.get(run.name)!.ms.push(ms);
          figures.get(run.name)!.mib.push(mib);
          figures.get(run.name)!.cpu.push(cpu);
        }
      }
      const py = figures.get("python")!;
      scenarios.push({
        tool,
        python: py,
        rows: subjects.map((subject) => {
          const own = figures.get(subject.label)!;
          return {
            label: subject.label,
            runtime: subject.runtime,
            ms: own.ms,
            mib: own.mib,
            cpu: own.cpu,
            ratios: own.ms.map((ms, round) => py.ms[round] / ms),
            target: subject.target,
          };
        }),
      });
    }
    // One expected (two with a baseline): the first warm-up run fills the cache file that every
    // later run reads.
    log(`cli: ${at} processes; token requests during the run: ${kognic.tokenRequests.length}`);
    return { scenarios, ...report(scenarios, rounds) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await box.close();
    await served.close();
  }
}

function report(
  scenarios: CliBenchResult["scenarios"],
  rounds: number,
): { lines: string[]; machine: string[] } {
  const lines: string[] = [];
  const machine: string[] = [];
  const ms = (values: number[]) => median(values).toFixed(0);
  const mib = (values: number[]) =>
    Number.isNaN(median(values)) ? "n/a" : median(values).toFixed(1);
  for (const { tool, python, rows } of scenarios) {
    const what = tool === "kog"
      ? "`kog get URL --token-cache file`"
      : "`kognic-auth get-access-token --env NAME --token-cache file`";
    lines.push(
      `${what} with a cached token, whole process: median of ${rounds} paired rounds. Python ` +
        `(${tool}): ${ms(python.ms)} ms, ${ms(python.cpu)} ms CPU, ${mib(python.mib)} MiB max RSS.`,
      "",
      "| runtime | ms | CPU ms | max RSS MiB | Python ÷ this, time (min–max) | target | met | memory ≤ Python's |",
      "|---|--:|--:|--:|--:|--:|:-:|:-:|",
    );
    for (const row of rows) {
      const ratio = median(row.ratios);
      const memory = median(python.mib) / median(row.mib);
      const spread = `${Math.min(...row.ratios).toFixed(2)}–${Math.max(...row.ratios).toFixed(2)}`;
      const target = row.target ? `≥ ${row.target.speed}×` : "—";
      const met = row.target ? (ratio >= row.target.speed ? "yes" : "**no**") : "—";
      const memoryMet = row.target?.memory
        ? (Number.isNaN(memory) ? "n/a" : memory >= 1 ? "yes" : "**no**")
        : "—";
      lines.push(
        `| ${row.label} | ${ms(row.ms)} | ${ms(row.cpu)} | ${mib(row.mib)} | ${
          ratio.toFixed(2)
        } (${spread}) | ` +
          `${target} | ${met} | ${memoryMet} |`,
      );
      if (!row.target) continue;
      const scenario = `cli-${tool}`;
      machine.push(
        `bench scenario=${scenario} runtime=${row.runtime} subject=library baseline=python ` +
          `ratio=${ratio.toFixed(3)}`,
      );
      if (!Number.isNaN(memory)) {
        machine.push(
          `bench scenario=${scenario}-memory runtime=${row.runtime} subject=library ` +
            `baseline=python ratio=${memory.toFixed(3)}`,
        );
      }
    }
    lines.push("");
  }
  return { lines, machine };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const flag = args.indexOf("--baseline");
  const baseline = flag >= 0 ? args.splice(flag, 2)[1] : undefined;
  const runtimesFlag = args.indexOf("--runtimes");
  const only = runtimesFlag >= 0 ? args.splice(runtimesFlag, 2)[1].split(",") : undefined;
  const floorFlag = args.indexOf("--floor");
  if (floorFlag >= 0) args.splice(floorFlag, 1);
  const rounds = Number(args[0] ?? 10);
  const load = () =>
    readFile("/proc/loadavg", "utf8").then((text) => text.split(" ").slice(0, 3).join(", "))
      .catch(() => "unknown");
  const before = await load();
  const result = await cliBench(rounds, undefined, baseline, only, floorFlag >= 0);
  if (result) {
    const out = [
      ...result.lines,
      `Load (1, 5, 15 min) before: ${before}; after: ${await load()}.`,
      "",
      "```",
      ...result.machine,
      "```",
    ];
    process.stdout.write(`${out.join("\n")}\n`);
  }
}

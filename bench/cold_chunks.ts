// Cold start, what the files of a bundle cost: a program that imports `createClient` and does
// nothing else, bundled by esbuild twice with the same code up front: with code splitting (the
// chunks a createClient program loads up front, as bench/_cold.ts bundles it) and into one file
// (what `import()` loads left out of it, as it is never run here). Beside them an empty program.
// Each runs in a fresh process, rounds in rotated order; printed: the median CPU milliseconds the
// process reports (all threads) and the files each variant loads. Bench-only code.
//
// Usage: node bench/cold_chunks.ts [--rounds=15] [--runtimes=bun,node24,deno] [--before=DIR]
//   --before  a checkout of an earlier version: its program, bundled both ways, runs in the
//             same rounds ("split before", "one before").
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { build, type Plugin } from "esbuild";
import { median, spread } from "./_stats.ts";

const arg = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const rounds = Number(arg("rounds") ?? 15);
const only = arg("runtimes")?.split(",");
const before = arg("before");
const bin = "node_modules/.bin";
const runtimes = [
  { name: "bun", run: [`${bin}/bun`] },
  { name: "node24", run: ["node_modules/node24/bin/node"] },
  { name: "deno", run: [`${bin}/deno`, "run", "-A"] },
].filter((runtime) => !only || only.includes(runtime.name));

const dir = mkdtempSync(join(tmpdir(), "kognic-auth-chunks-"));
const report = `const { user, system } = process.cpuUsage();
process.stdout.write("cpu " + (user + system) + "\\n");`;
const program = (library: string) =>
  `import process from "node:process";
import { createClient } from ${JSON.stringify(library)};
(globalThis as { kept?: unknown }).kept = createClient;
${report}`;
const sides = {
  "": resolve("mod.ts"),
  ...(before ? { " before": resolve(before, "mod.ts") } : {}),
};
for (const [side, library] of Object.entries(sides)) {
  writeFileSync(join(dir, `program${side.trim()}.ts`), program(library));
}
writeFileSync(join(dir, "empty.ts"), `import process from "node:process";\n${report}`);

const common = {
  bundle: true,
  format: "esm",
  platform: "node",
  target: "es2022",
  logLevel: "error",
} as const;
// What `import()` loads stays out of the one-file bundle: this program never runs it.
const noDynamic: Plugin = {
  name: "dynamic-imports-external",
  setup(build) {
    build.onResolve(
      { filter: /.*/ },
      (args) => args.kind === "dynamic-import" ? { path: args.path, external: true } : undefined,
    );
  },
};
try {
  await build({ ...common, entryPoints: [join(dir, "empty.ts")], outfile: join(dir, "empty.mjs") });
  const variants: Record<string, { file: string; note: string }> = {
    empty: { file: join(dir, "empty.mjs"), note: "1 file" },
  };
  for (const side of Object.keys(sides)) {
    const name = `program${side.trim()}`;
    const out = join(dir, `split${side.trim()}`);
    await build({
      ...common,
      entryPoints: [join(dir, `${name}.ts`)],
      splitting: true,
      outdir: out,
      outExtension: { ".js": ".mjs" },
    });
    await build({
      ...common,
      entryPoints: [join(dir, `${name}.ts`)],
      outfile: join(dir, `${name}.mjs`),
      plugins: [noDynamic],
    });
    // The chunks the program imports statically, itself included.
    const closure = new Set<string>();
    const visit = (file: string) => {
      if (closure.has(file)) return;
      closure.add(file);
      const text = readFileSync(join(out, file), "utf8");
      for (
        const [, chunk] of text.matchAll(/(?:^|[;\n])\s*import\s*[^"'()]*["']\.\/([^"']+)["']/g)
      ) {
        visit(chunk);
      }
    };
    visit(`${name}.mjs`);
    const size = (files: string[], at: string) =>
      files.reduce((sum, file) => sum + readFileSync(join(at, file)).length, 0);
    variants[`one${side}`] = {
      file: join(dir, `${name}.mjs`),
      note: `1 file, ${size([`${name}.mjs`], dir)} B`,
    };
    variants[`split${side}`] = {
      file: join(out, `${name}.mjs`),
      note: `${closure.size} files of ${readdirSync(out).length}, ${size([...closure], out)} B`,
    };
  }
  const names = Object.keys(variants);
  for (const runtime of runtimes) {
    const cpu: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
    for (let round = -1; round < rounds; round++) {
      const shift = Math.max(round, 0) % names.length;
      for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
        const ran = spawnSync(runtime.run[0], [...runtime.run.slice(1), variants[name].file], {
          encoding: "utf8",
        });
        const micros = Number(/^cpu (\d+)$/m.exec(ran.stdout)?.[1]);
        if (ran.status !== 0 || Number.isNaN(micros)) {
          throw new Error(`${runtime.name} ${name}: ${ran.stdout}${ran.stderr}`);
        }
        if (round >= 0) cpu[name].push(micros / 1000);
      }
    }
    process.stdout.write(`\n${runtime.name}, ${rounds} rounds: CPU ms, median (min–max)\n`);
    for (const name of names) {
      process.stdout.write(
        `  ${name.padEnd(13)} ${median(cpu[name]).toFixed(1).padStart(6)} (${
          spread(cpu[name], 1)
        })  ${variants[name].note}\n`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// The layer check: every import in src/ points down a layer, never up and never across shells.
// Bottom to top: the shared base (src/errors.ts, src/version.ts and the private src/_*.ts
// helpers), runtime/ (adapters), credentials/, token/, http/, stores/ (token stores, which the
// shells may use), the entries (mod.ts, src/core.ts, which nothing in src/ imports) and the
// shells (cli/, edge/, hono/, otel/, testing/), which never import one another. A file whose
// name starts with `_` is private to its folder: another folder may not import it (the base's
// src/_*.ts are shared by all of src/). Run by scripts/test.sh; exits 1 and names each import
// that breaks a rule. Usage: node scripts/layers.ts
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import process from "node:process";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const LAYERS = ["base", "runtime", "credentials", "token", "http", "stores", "entry", "shell"];
const SHELLS = new Set(["cli", "edge", "hono", "otel", "testing"]);

/** The layer of a file (a path relative to the repository), and its folder for shells. */
function placeOf(file: string): { layer: number; folder: string } | undefined {
  if (file === "mod.ts" || file === "src/core.ts") return { layer: 6, folder: "" };
  const parts = file.split("/");
  if (parts[0] !== "src") return undefined;
  if (parts.length === 2) return { layer: 0, folder: "src" };
  const folder = parts[1];
  if (SHELLS.has(folder)) return { layer: 7, folder };
  const layer = LAYERS.indexOf(folder);
  return layer > 0 && layer < 6 ? { layer, folder } : { layer: -1, folder };
}

async function* sources(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s*(?:[^"';()]*?from\s*)?["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g;
const problems: string[] = [];
let count = 0;
for await (
  const path of [join(root, "mod.ts"), ...await Array.fromAsync(sources(join(root, "src")))]
) {
  const file = relative(root, path);
  const from = placeOf(file)!;
  if (from.layer < 0) problems.push(`${file}: in no layer (add its folder to scripts/layers.ts)`);
  // Comments may quote imports (examples in JSDoc): only code counts.
  const code = (await readFile(path, "utf8")).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
  for (const match of code.matchAll(IMPORT)) {
    count++;
    const target = relative(root, resolve(dirname(path), match[1] ?? match[2]));
    const to = placeOf(target);
    const say = (why: string) => problems.push(`${file} imports ${target}: ${why}`);
    if (!to) continue;
    const name = target.split("/").at(-1)!;
    if (name.startsWith("_") && dirname(target) !== dirname(file) && to.folder !== "src") {
      say(`a file private to ${dirname(target)}/`);
    }
    if (to.layer === 6) say("an entry; import the module it re-exports");
    else if (to.layer > from.layer) say(`${LAYERS[to.layer]} is above ${LAYERS[from.layer]}`);
    else if (from.layer === 7 && to.layer === 7 && to.folder !== from.folder) {
      say(`shells do not import one another (${from.folder}/ and ${to.folder}/)`);
    }
  }
}
for (const problem of problems) process.stdout.write(`Error: ${problem}\n`);
process.stdout.write(`layers: ${count} imports checked, ${problems.length} out of order\n`);
process.exit(problems.length ? 1 : 0);

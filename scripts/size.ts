// The size budget of the edge entry: bundles src/edge/mod.ts (core + edge adapter, everything a
// Cloudflare Worker or Deno Deploy function loads) with esbuild, minified, gzips it, prints the
// figure and fails above the budget: 5000 B gzipped (issue 3), or `--max N` for a ratchet.
// `npm run size` checks the budget; `npm test` runs the ratchet (see scripts/test.sh).
// Usage: node scripts/size.ts [--max BYTES]
import process from "node:process";
import { bundle } from "./_bundle.ts";

/** The budget of issue 3, in bytes gzipped. */
const BUDGET = 5000;
const print = (line: string) => process.stdout.write(line + "\n");
const flag = process.argv.indexOf("--max");
const max = flag === -1 ? BUDGET : Number(process.argv[flag + 1]);
const entry = new URL("../src/edge/mod.ts", import.meta.url).pathname;

const { code, gzipped, metafile } = await bundle(entry);
const text = new TextDecoder().decode(code);

const inputs = Object.entries(Object.values(metafile.outputs)[0].inputs)
  .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
  .sort(([, a], [, b]) => b.bytesInOutput - a.bytesInOutput);
for (const [file, { bytesInOutput }] of inputs) {
  print(`  ${String(bytesInOutput).padStart(6)} B minified  ${file}`);
}
const nodeImports = text.match(/["']node:[^"']+["']/g) ?? [];
print(
  `edge entry: ${code.length} B minified, ${gzipped} B gzipped (budget ${BUDGET} B gzipped` +
    (gzipped > BUDGET ? `, over by ${gzipped - BUDGET} B` : "") +
    (max === BUDGET ? ")" : `; this run fails above ${max} B)`),
);
if (nodeImports.length) {
  print(`The edge bundle imports Node modules: ${[...new Set(nodeImports)].join(", ")}`);
  process.exit(1);
}
if (gzipped > max) {
  print(`Error: the edge entry is ${gzipped} B gzipped, more than ${max} B`);
  process.exit(1);
}

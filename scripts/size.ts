// The size budget of the edge entry: bundles src/edge/mod.ts (`@kognic/auth/edge`: the core and
// the edge adapter, everything `edgeFetch` needs in a Cloudflare Worker or Deno Deploy function)
// with esbuild, minified, gzips it, prints the figure and fails above the budget: 5000 B gzipped
// (issue 3), or `--max N` for a ratchet. It also prints `@kognic/auth/edge/client` (the edge
// entry plus the full API client) and, for scale, the client-credentials subset of oauth4webapi
// (which issue 3 puts at about 5.0 KB) for information, and fails when either of ours imports a
// `node:` module. `npm run size` checks the budget; `npm test` runs the ratchet (scripts/test.sh).
// Then what a `createClient` program loads up front: the program bundled with code splitting, the
// chunks its entry imports statically, each gzipped, summed (what loads on first use apart); with
// `--closure-max N` it fails above N.
// Usage: node scripts/size.ts [--max BYTES] [--closure-max BYTES]
import process from "node:process";
import { fileURLToPath } from "node:url";
import { bundle, closure, CREATE_CLIENT_PROGRAM } from "./_bundle.ts";

/** The budget of issue 3, in bytes gzipped. */
const BUDGET = 5000;
const print = (line: string) => process.stdout.write(line + "\n");
const flag = process.argv.indexOf("--max");
const max = flag === -1 ? BUDGET : Number(process.argv[flag + 1]);
const path = (file: string) => new URL(`../src/edge/${file}`, import.meta.url).pathname;

let failed = false;
for (
  const [name, file, checked] of [["edge", "mod.ts", true], [
    "edge/client",
    "client.ts",
    false,
  ]] as const
) {
  const { code, gzipped, metafile } = await bundle(path(file));
  const inputs = Object.entries(Object.values(metafile.outputs)[0].inputs)
    .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
    .sort(([, a], [, b]) => b.bytesInOutput - a.bytesInOutput);
  if (checked) {
    for (const [input, { bytesInOutput }] of inputs) {
      print(`  ${String(bytesInOutput).padStart(6)} B minified  ${input}`);
    }
  }
  print(
    `@kognic/auth/${name}: ${code.length} B minified, ${gzipped} B gzipped` +
      (checked
        ? ` (budget ${BUDGET} B gzipped` +
          (gzipped > BUDGET ? `, over by ${gzipped - BUDGET} B` : "") +
          (max === BUDGET ? ")" : `; this run fails above ${max} B)`)
        : " (not budgeted)"),
  );
  const nodeImports = new TextDecoder().decode(code).match(/["']node:[^"']+["']/g) ?? [];
  if (nodeImports.length) {
    print(
      `Error: @kognic/auth/${name} imports Node modules: ${[...new Set(nodeImports)].join(", ")}`,
    );
    failed = true;
  }
  if (checked && gzipped > max) {
    print(`Error: @kognic/auth/${name} is ${gzipped} B gzipped, more than ${max} B`);
    failed = true;
  }
}
const scale = new URL("./_oauth4webapi_subset.ts", import.meta.url).pathname;
const { code, gzipped } = await bundle(scale);
print(
  `oauth4webapi client credentials, for scale: ${code.length} B minified, ${gzipped} B gzipped`,
);

const loaded = await closure(CREATE_CLIENT_PROGRAM, fileURLToPath(new URL("..", import.meta.url)));
const closureFlag = process.argv.indexOf("--closure-max");
const closureMax = closureFlag === -1 ? Infinity : Number(process.argv[closureFlag + 1]);
print(
  `a createClient program loads up front: ${loaded.gzipped} B gzipped in ${loaded.files.length} ` +
    `files (esbuild --splitting, each file gzipped); ${loaded.deferred} B more load on first use` +
    (closureMax === Infinity ? "" : ` (this run fails above ${closureMax} B)`),
);
if (loaded.gzipped > closureMax) {
  print(
    `Error: a createClient program loads ${loaded.gzipped} B up front, more than ${closureMax} B`,
  );
  failed = true;
}
process.exit(failed ? 1 : 0);

// One way to measure an entry point's size, shared by scripts/size.ts and bench/main.ts: bundled
// and minified by esbuild for any runtime (ESM, platform neutral), then gzipped at level 9.
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";

/** An entry point's bundle and its sizes. */
export interface Bundled {
  /** The minified code. */
  code: Uint8Array;
  /** Bytes minified. */
  minified: number;
  /** Bytes minified and gzipped. */
  gzipped: number;
  /** What went into the bundle, per input file. */
  metafile: Metafile;
}

/**
 * Bundles `entry` (a path) minified. `node:` imports stay external, so that a stray one shows in
 * the code instead of failing the build.
 */
export async function bundle(entry: string): Promise<Bundled> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["node:*"],
    metafile: true,
    write: false,
    logLevel: "error",
  });
  const code = result.outputFiles[0].contents;
  return {
    code,
    minified: code.byteLength,
    gzipped: gzipSync(code, { level: 9 }).byteLength,
    metafile: result.metafile,
  };
}

/**
 * The program whose up-front load scripts/size.ts measures and ratchets, and bench/main.ts
 * prints beside the peers' entries: it makes a client and calls the API once. Resolved from
 * the repository's root.
 */
export const CREATE_CLIENT_PROGRAM = `import { createClient } from "./mod.ts";
const kognic = await createClient();
console.log(await kognic.get("/v1/projects"));
`;

/** What a program loads before its first line runs: the chunks its entry imports statically. */
export interface Closure {
  /** Each statically reachable output file with its bytes minified and gzipped. */
  files: { path: string; minified: number; gzipped: number }[];
  /** Bytes minified and gzipped, each file gzipped on its own, summed. */
  gzipped: number;
  /** Bytes of the chunks that load only on a dynamic `import()`, gzipped and summed. */
  deferred: number;
}

/**
 * Bundles a program (its source text, resolved from `dir`) with code splitting, as a bundler
 * that keeps dynamic imports apart does, and measures what it loads up front: the entry chunk
 * and every chunk reachable from it by static imports.
 */
export async function closure(contents: string, dir: string): Promise<Closure> {
  const result = await build({
    stdin: { contents, resolveDir: dir, loader: "ts", sourcefile: "program.ts" },
    bundle: true,
    splitting: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["node:*"],
    outdir: "/closure",
    metafile: true,
    write: false,
    logLevel: "error",
  });
  // The metafile names outputs relative to the working directory, the files absolutely: both
  // end with the file's name, unique within the output directory.
  const name = (path: string) => path.slice(path.lastIndexOf("/") + 1);
  const code = new Map(result.outputFiles.map((file) => [name(file.path), file.contents]));
  const outputs = result.metafile.outputs;
  // The program's own chunk: with splitting, each module a dynamic import() loads is an entry
  // point of its own too.
  const entry = Object.keys(outputs).find((path) => outputs[path].entryPoint === "program.ts")!;
  const reached = new Set<string>();
  const walk = (path: string) => {
    if (reached.has(path)) return;
    reached.add(path);
    for (const { path: next, kind } of outputs[path].imports) {
      if (kind === "import-statement" && next in outputs) walk(next);
    }
  };
  walk(entry);
  const measure = (path: string) => {
    const bytes = code.get(name(path))!;
    return { path, minified: bytes.byteLength, gzipped: gzipSync(bytes, { level: 9 }).byteLength };
  };
  const files = [...reached].map(measure);
  const rest = Object.keys(outputs).filter((path) => !reached.has(path) && path.endsWith(".js"));
  return {
    files,
    gzipped: files.reduce((sum, file) => sum + file.gzipped, 0),
    deferred: rest.map(measure).reduce((sum, file) => sum + file.gzipped, 0),
  };
}

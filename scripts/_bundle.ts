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

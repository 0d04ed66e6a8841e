// The programs of the cold-start benchmark, as bench/cold_start.ts and bench/main.ts run them:
// each a user's program in the shape it ships. Bench-only code.
//
// - library, source: bench/cold_client.ts run as TypeScript, importing mod.ts statically;
// - library, bundled: the same program and the library bundled by esbuild, what `import()`
//   loads kept in chunks of its own (as a bundler that splits code keeps it, and as JSR's npm
//   layer, one module per file, gives it);
// - bare: bench/cold_bare.ts (one `fetch` with a ready token), as TypeScript beside the source
//   variant and bundled into JavaScript beside the bundled one, so that each pair pays the same
//   for its program's language (Node strips the types of every TypeScript file it loads);
// - a peer: bench/cold_peer.ts bundled with that peer alone.
import { join, resolve } from "node:path";
import { build, type Plugin } from "esbuild";
import { PEERS } from "./_peers.ts";

const here = new URL(".", import.meta.url).pathname;

/**
 * Bundles `entry` as one ESM program for Node-compatible runtimes: into one file, or with
 * `splitting` into `out` as a directory of chunks (what `import()` loads stays apart, as a
 * bundler that splits code, or a package of one module per file, keeps it); returns the file
 * to run.
 */
async function bundleTo(
  entry: string,
  out: string,
  options: { plugins?: Plugin[]; external?: string[]; require?: boolean; splitting?: boolean } = {},
): Promise<string> {
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    external: options.external,
    plugins: options.plugins,
    // CommonJS packages (simple-oauth2) call require() for Node's modules.
    banner: options.require
      ? {
        js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
      }
      : undefined,
    ...(options.splitting
      ? { splitting: true, outdir: out, outExtension: { ".js": ".mjs" } }
      : { outfile: out }),
    logLevel: "error",
  });
  return options.splitting ? join(out, entry.slice(entry.lastIndexOf("/") + 1, -3) + ".mjs") : out;
}

/**
 * bench/cold_client.ts with the library of the checkout at `root` (its mod.ts), bundled with
 * code splitting into the directory `outdir`; returns the program's file.
 */
export function bundleClient(root: string, outdir: string): Promise<string> {
  const library = join(resolve(root), "mod.ts");
  const swap: Plugin = {
    name: "library-of-root",
    setup(build) {
      build.onResolve(
        { filter: /^\.\.\/mod\.ts$/ },
        (args) => args.importer === join(here, "cold_client.ts") ? { path: library } : undefined,
      );
    },
  };
  return bundleTo(join(here, "cold_client.ts"), outdir, { plugins: [swap], splitting: true });
}

/** bench/cold_bare.ts bundled into `outfile`. */
export function bundleBare(outfile: string): Promise<string> {
  return bundleTo(join(here, "cold_bare.ts"), outfile);
}

/** bench/cold_peer.ts bundled with the peer `name` alone into `outfile`. */
export function bundlePeer(name: string, outfile: string): Promise<string> {
  // The other peers' dynamic imports are never run here: left out of this peer's bundle.
  const others = PEERS.filter((other) => other.name !== name).map((other) => other.name);
  return bundleTo(join(here, "cold_peer.ts"), outfile, {
    external: others,
    require: name === "simple-oauth2",
  });
}

// What the command shims do before they load the TypeScript source: on Node, keep what it
// compiles between runs. Bun and Deno keep caches of their own, and load no `node:` module here
// (on Bun each costs start-up memory).

/**
 * On Node, turns on its on-disk compile cache (Node ≥ 22.1) for the modules loaded after this
 * call, so that the next start reads their compiled code instead of compiling it again. It lives
 * in `NODE_COMPILE_CACHE` or the user's own cache folder (`$XDG_CACHE_HOME/kognic-auth-js/`,
 * not Node's default in the shared temporary folder, where another user could plant entries),
 * never in the install folder (which may be read-only); a cache that cannot be written is
 * skipped. Node 24 keeps the TypeScript
 * modules with their types stripped in it too; Node 22 strips them again at every start, loading
 * its type stripper each time, so for Node 22 the stripped text of this package's own modules is
 * kept as well (see {@linkcode keepStripped}). `NODE_DISABLE_COMPILE_CACHE=1` turns both off.
 */
// deno-lint-ignore explicit-module-boundary-types -- JavaScript: no return type to write
export async function fastStart() {
  if (globalThis.Bun || globalThis.Deno) return;
  process = globalThis.process;
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return;
  module = process.getBuiltinModule("node:module");
  // A folder the user named is taken as it is; ours only when no one else can write to it.
  const compiled = process.env.NODE_COMPILE_CACHE || ownFolder(cacheFolder("compile"));
  try {
    if (compiled) module.enableCompileCache?.(compiled);
  } catch {
    // Starts as without the cache.
  }
  if (Number(process.versions.node.split(".")[0]) < 24) await keepStripped();
}

/** Node's `process` and `node:module`, set by {@linkcode fastStart} on Node. */
let process;
let module;

/**
 * A folder of this package's caches in the user's own cache folder (`$XDG_CACHE_HOME`, else
 * `~/.cache`), or undefined without either.
 */
function cacheFolder(name) {
  const base = process.env.XDG_CACHE_HOME ||
    (process.env.HOME && `${process.env.HOME}/.cache`);
  return base ? `${base}/kognic-auth-js/${name}` : undefined;
}

/**
 * `dir`, created (0700) if missing, when it and its parent belong to this user and no one else
 * may write to them: what another user could plant there would run as this user. Undefined
 * otherwise, and then no cache is used.
 */
function ownFolder(dir) {
  if (!dir) return undefined;
  try {
    const fs = process.getBuiltinModule("node:fs");
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!process.getuid) return dir;
    for (const folder of [dir, `${dir}/..`]) {
      const { uid, mode } = fs.statSync(folder);
      if (uid !== process.getuid() || (mode & 0o022) !== 0) return undefined;
    }
    return dir;
  } catch {
    return undefined;
  }
}

/** FNV-1a, 32 bits: tells a changed module from the one whose stripped text was kept. */
function fingerprint(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return `${(hash >>> 0).toString(16)}-${text.length}`;
}

/**
 * Node 22 (≥ 22.15, with `module.registerHooks` and `module.stripTypeScriptTypes`): loads this
 * package's `.ts` modules from their stripped text, kept in the user's own cache folder
 * (`$XDG_CACHE_HOME/kognic-auth-js/node-VERSION/`, one file per module, 0600 in a 0700
 * folder, never a shared temporary folder whose files another user could plant), each ending
 * with the fingerprint of the source it came from; a module whose source changed is stripped and
 * kept again. Anything that fails leaves the module to Node's own stripping.
 */
async function keepStripped() {
  if (!module.registerHooks || !module.stripTypeScriptTypes) return;
  const [fs, path, url] = await Promise.all([
    import("node:fs"),
    import("node:path"),
    import("node:url"),
  ]);
  const dir = ownFolder(cacheFolder(`node-${process.versions.node}`));
  if (!dir) return;
  const root = new URL("../src/", import.meta.url).href;
  module.registerHooks({
    load(href, context, nextLoad) {
      if (!href.startsWith(root) || !href.endsWith(".ts")) return nextLoad(href, context);
      let text;
      try {
        text = fs.readFileSync(url.fileURLToPath(href), "utf8");
      } catch {
        return nextLoad(href, context);
      }
      const mark = `\n// kognic-auth-source=${fingerprint(text)}\n`;
      const file = path.join(dir, `${href.slice(root.length).replaceAll("/", "__")}.js`);
      try {
        const kept = fs.readFileSync(file, "utf8");
        if (kept.endsWith(mark)) return { format: "module", source: kept, shortCircuit: true };
      } catch {
        // Not kept yet.
      }
      // Node warns that stripTypeScriptTypes is experimental; what it strips is what Node's
      // own loader would run.
      const warn = process.emitWarning;
      let source;
      try {
        process.emitWarning = () => {};
        source = module.stripTypeScriptTypes(text) + mark;
      } catch {
        return nextLoad(href, context);
      } finally {
        process.emitWarning = warn;
      }
      try {
        const temporary = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(temporary, source, { mode: 0o600 });
        fs.renameSync(temporary, file);
      } catch {
        // Not kept: the next start strips it again.
      }
      return { format: "module", source, shortCircuit: true };
    },
  });
}

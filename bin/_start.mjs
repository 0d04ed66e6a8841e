// What the command shims do before they load the TypeScript source.
import module from "node:module";

/**
 * On Node, turns on its on-disk compile cache (Node ≥ 22.1) for the modules loaded after this
 * call: the next start reads each module's stripped types and compiled code from the cache
 * instead of stripping and compiling it again, which halves a short command's start-up time.
 * The cache lives in `NODE_COMPILE_CACHE` or the system's temporary folder, never in the
 * install folder (which may be read-only); a cache that cannot be written is skipped, and
 * `NODE_DISABLE_COMPILE_CACHE=1` turns it off. Bun and Deno keep caches of their own.
 */
// deno-lint-ignore explicit-module-boundary-types -- JavaScript: no return type to write
export function fastStart() {
  if (globalThis.Bun || globalThis.Deno) return;
  try {
    module.enableCompileCache?.();
  } catch {
    // Starts as without the cache.
  }
}

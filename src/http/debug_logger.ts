// The logger the `DEBUG` variable asks for. Apart from ./logging.ts so that createClient loads it
// only where `DEBUG` is set. Not part of the public API.
import type { Logger } from "./logging.ts";

/**
 * The logger that the `DEBUG` variable asks for, the convention of the `debug` package: a
 * comma- or space-separated list of namespaces, `*` a wildcard, a leading `-` excluding. When
 * it enables `kognic-auth` (`DEBUG=kognic-auth`, `DEBUG=kognic*`, `DEBUG=*`), every message
 * goes to standard error (never standard output, where a command prints its results), debug
 * and info lines prefixed with `kognic-auth`. Otherwise `undefined`: the default logger.
 *
 * @internal
 */
export function debugLogger(env: (name: string) => string | undefined): Logger | undefined {
  let enabled = false;
  for (const pattern of (env("DEBUG") ?? "").split(/[\s,]+/)) {
    const exclude = pattern.startsWith("-");
    const glob = exclude ? pattern.slice(1) : pattern;
    if (!glob) continue;
    const expression = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*");
    if (new RegExp(`^${expression}$`).test("kognic-auth")) {
      if (exclude) return undefined;
      enabled = true;
    }
  }
  return enabled ? stderrLogger : undefined;
}

// One object, so that clients sharing a provider write each token event once.
// deno-lint-ignore no-console
const write = (message: string) => console.error(`kognic-auth ${message}`);
const stderrLogger: Logger = { debug: write, info: write, warn: write, error: write };

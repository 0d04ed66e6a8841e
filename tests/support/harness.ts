/**
 * A tiny test harness that runs unchanged on Deno, Bun, Node and workerd: cases register with
 * {@linkcode test}; {@linkcode run} executes them in order, prints one line per case and a
 * closing `<label>: N passed, N failed[, N skipped]` line.
 *
 * @module
 */

/**
 * What a case needs from its host; a host without it reports the case as not applicable.
 * `keyring`: a reachable Secret Service (scripts/test.sh starts a D-Bus session with an
 * unlocked gnome-keyring when the tools are installed).
 */
export type Capability =
  | "fs"
  | "sockets"
  | "subprocess"
  | "keyring"
  | "redis"
  | "squid"
  | "tinyproxy"
  | "openssl"
  | "python";

/**
 * The capabilities that come from Debian packages (tests/support/capabilities.ts), with the
 * packages to name when one is missing. Under CI (`strict`) a case that misses one fails.
 */
const PACKAGED: Readonly<Partial<Record<Capability, string>>> = {
  keyring: "gnome-keyring, libsecret-tools and dbus",
  redis: "redis-server",
  squid: "squid",
  tinyproxy: "tinyproxy",
  openssl: "openssl",
  python:
    "python3-authlib, python3-requests, python3-keyring, python3-httpx and KOGNIC_AUTH_ORACLE",
};

interface Case {
  name: string;
  fn: () => unknown;
  needs: readonly Capability[];
  timeout: number;
}

const cases: Case[] = [];

/** Options of {@linkcode test}. */
export interface TestOptions {
  /** Capabilities the case needs; default none. */
  needs?: readonly Capability[];
  /** Milliseconds before the case fails as hung; default 10 000. */
  timeout?: number;
}

/**
 * Registers a case.
 *
 * @param name What the case shows.
 * @param fn The case; it fails by throwing.
 * @param options What it needs and how long it may take.
 */
export function test(name: string, fn: () => unknown, options: TestOptions = {}): void {
  cases.push({ name, fn, needs: options.needs ?? [], timeout: options.timeout ?? 10_000 });
}

/** The counts of a run. */
export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Runs every registered case whose name contains `filter`.
 *
 * @param label One word naming the host, such as `node-24.21.0`.
 * @param host The capabilities of the host, the filter, and where to print.
 * @returns The counts.
 */
export async function run(
  label: string,
  host: {
    capabilities: readonly Capability[];
    filter?: string;
    print?: (line: string) => void;
    /** Fail, rather than skip, a case whose missing capability a package would bring (CI). */
    strict?: boolean;
  },
): Promise<Summary> {
  // deno-lint-ignore no-console
  const print = host.print ?? ((line: string) => console.log(line));
  const summary: Summary = { passed: 0, failed: 0, skipped: 0 };
  for (const [index, item] of cases.entries()) {
    if (host.filter && !item.name.includes(host.filter)) continue;
    const missing = item.needs.filter((need) => !host.capabilities.includes(need));
    if (missing.length) {
      const packages = missing.flatMap((need) => PACKAGED[need] ? [PACKAGED[need]] : []);
      const why = `needs ${missing.join(", ")}` +
        (packages.length ? ` (Debian: ${packages.join("; ")})` : "");
      if (host.strict && packages.length) {
        summary.failed++;
        print(`not ok ${index + 1} - ${item.name}\n  # missing under CI: ${why}`);
        continue;
      }
      summary.skipped++;
      print(`ok ${index + 1} - ${item.name} # SKIP not applicable: ${why}`);
      continue;
    }
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(item.fn),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`Timed out after ${item.timeout} ms`)),
            item.timeout,
          );
        }),
      ]);
      summary.passed++;
      print(`ok ${index + 1} - ${item.name} (${Math.round(performance.now() - started)} ms)`);
    } catch (error) {
      summary.failed++;
      print(`not ok ${index + 1} - ${item.name}`);
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      print(text.split("\n").map((line) => `  # ${line}`).join("\n"));
    } finally {
      clearTimeout(timer);
    }
  }
  const skipped = summary.skipped ? `, ${summary.skipped} skipped` : "";
  print(`${label}: ${summary.passed} passed, ${summary.failed} failed${skipped}`);
  return summary;
}

/**
 * Runs the real CLI (`src/cli/mod.ts` as `kognic-auth`, `src/cli/kog.ts` as `kog`) as a
 * subprocess of the runtime that runs the tests, in a sandbox with its own `HOME`,
 * `XDG_CONFIG_HOME` and `XDG_CACHE_HOME`. Test-only.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/**
 * A file of the repository, by its path from the root. A function, not a constant: in the
 * workerd bundle `import.meta.url` is no file URL, and this module is still loaded there.
 */
export function repoPath(path: string): string {
  return join(fileURLToPath(new URL("../../", import.meta.url)), path);
}

/** What a finished process left behind. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program and collects its output; `stdin` is written and closed. */
export function runProgram(
  command: string,
  args: readonly string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env as Record<string, string>,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    child.stdout.on("data", (chunk: Uint8Array) => out.push(chunk));
    child.stderr.on("data", (chunk: Uint8Array) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code: number | null) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }));
    child.stdin.on("error", () => {});
    child.stdin.end(options.stdin ?? "");
  });
}

/** The command line that runs a TypeScript entry on this runtime. */
export function entryCommand(entry: string): [string, string[]] {
  const agent = globalThis.navigator?.userAgent ?? "";
  if (agent.startsWith("Deno/")) {
    return [process.execPath, ["run", "-A", "--quiet", "--no-lock", entry]];
  }
  return [process.execPath, [entry]];
}

/**
 * Whether the private test keyring of scripts/test.sh is there (`KOGNIC_AUTH_TEST_KEYRING=1`)
 * and a Secret Service answers on its session bus through `secret-tool`.
 */
export async function keyringReachable(): Promise<boolean> {
  if (process.env.KOGNIC_AUTH_TEST_KEYRING !== "1" || !process.env.DBUS_SESSION_BUS_ADDRESS) {
    return false;
  }
  try {
    const attributes = ["service", "kognic-auth-test-probe", "username", "probe"];
    const stored = await runProgram("secret-tool", ["store", "--label=probe", ...attributes], {
      stdin: "probe",
    });
    if (stored.code !== 0) return false;
    await runProgram("secret-tool", ["clear", ...attributes]);
    return true;
  } catch {
    return false;
  }
}

/** A temporary home for one test. */
export interface Sandbox {
  /** The temporary directory; `HOME`. */
  home: string;
  /** `$XDG_CONFIG_HOME/kognic/environments.json`. */
  environmentsPath: string;
  /** `$XDG_CACHE_HOME/kognic-auth/tokens.json`. */
  cachePath: string;
  /** The environment the CLI runs with. */
  env: Record<string, string>;
  /** Writes a file below the sandbox (directories created) and returns its path. */
  write(relative: string, text: string): Promise<string>;
  /** Runs `kognic-auth` (`program` "kognic-auth") or `kog`. */
  run(program: "kognic-auth" | "kog", args: readonly string[]): Promise<Ran>;
  /** Removes the sandbox. */
  close(): Promise<void>;
}

/**
 * Creates a sandbox. The D-Bus session is passed on only with `keyring: true`, so that the
 * `auto` token cache is the file otherwise.
 */
export async function sandbox(options: { keyring?: boolean } = {}): Promise<Sandbox> {
  const home = await mkdtemp(join(tmpdir(), "kognic-cli-"));
  const config = join(home, "config");
  const cache = join(home, "cache");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    XDG_CONFIG_HOME: config,
    XDG_CACHE_HOME: cache,
    // Deno keeps its compile cache below XDG_CACHE_HOME: point it at the usual one.
    DENO_DIR: process.env.DENO_DIR ??
      join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "deno"),
    NO_COLOR: "1",
  };
  if (options.keyring && process.env.DBUS_SESSION_BUS_ADDRESS) {
    env.DBUS_SESSION_BUS_ADDRESS = process.env.DBUS_SESSION_BUS_ADDRESS;
  }
  return {
    home,
    environmentsPath: join(config, "kognic", "environments.json"),
    cachePath: join(cache, "kognic-auth", "tokens.json"),
    env,
    async write(relative, text) {
      const path = join(home, relative);
      await mkdir(join(path, ".."), { recursive: true });
      await writeFile(path, text);
      return path;
    },
    run(program, args) {
      const [command, base] = entryCommand(
        repoPath(program === "kog" ? "src/cli/kog.ts" : "src/cli/mod.ts"),
      );
      return runProgram(command, [...base, ...args], { env });
    },
    close: () => rm(home, { recursive: true, force: true }),
  };
}

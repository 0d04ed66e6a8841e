/**
 * What the host offers beyond the runtime itself: services and tools from Debian packages that
 * some cases start or run (a Secret Service, redis-server, squid, tinyproxy, openssl, the Python
 * oracle).
 * A case that needs one reports itself as not applicable where it is missing, naming the package
 * (tests/support/harness.ts); under CI (`CI=true`) a missing package fails the case instead, so
 * nothing is quietly skipped there. Test-only.
 *
 * @module
 */
import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import process from "node:process";
import { keyringReachable, runProgram } from "./cli.ts";

/** Whether an executable of that name is on `PATH` (or at that absolute path). */
export async function onPath(name: string): Promise<boolean> {
  const dirs = name.includes("/") ? [""] : (process.env.PATH ?? "").split(delimiter);
  for (const dir of dirs) {
    try {
      await access(dir ? join(dir, name) : name, constants.X_OK);
      return true;
    } catch { /* next */ }
  }
  return false;
}

/** The package capabilities this host has. */
export async function packageCapabilities(): Promise<string[]> {
  const found: string[] = [];
  if (await keyringReachable()) found.push("keyring");
  if (await onPath("redis-server")) found.push("redis");
  if (await onPath("squid") && await onPath("/usr/lib/squid/basic_ncsa_auth")) found.push("squid");
  if (await onPath("tinyproxy")) found.push("tinyproxy");
  if (await onPath("openssl")) found.push("openssl");
  if (await oracleReachable()) found.push("python");
  return found;
}

/**
 * The Python oracle: Kognic's own `kognic-auth` package, run by `KOGNIC_AUTH_PYTHON` (default
 * Debian's `/usr/bin/python3` where it exists, else `python3`) with `KOGNIC_AUTH_ORACLE` (the
 * package's `src` folder) on `PYTHONPATH`; without `KOGNIC_AUTH_ORACLE`, a `kognic-auth` that
 * pip installed for that interpreter.
 */
export function oracle(): { python: string; env: Record<string, string> } {
  const python = process.env.KOGNIC_AUTH_PYTHON || "/usr/bin/python3";
  const env: Record<string, string> = { AUTHLIB_INSECURE_TRANSPORT: "1" };
  if (process.env.KOGNIC_AUTH_ORACLE) env.PYTHONPATH = process.env.KOGNIC_AUTH_ORACLE;
  return { python, env };
}

async function oracleReachable(): Promise<boolean> {
  const { python, env } = oracle();
  try {
    const ran = await runProgram(python, ["-c", "import kognic.auth, authlib, requests, keyring"], {
      env: { ...process.env as Record<string, string>, ...env },
    });
    return ran.code === 0;
  } catch {
    return false;
  }
}

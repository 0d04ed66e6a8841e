/**
 * Runs Kognic's Python `kognic-auth` (the oracle, see tests/support/capabilities.ts `oracle()`)
 * on the same inputs, files and `HOME` as this project, so interop cases can compare both.
 * Cases that use it declare `needs: ["python", ...]`. Test-only.
 *
 * @module
 */
import process from "node:process";
import { oracle } from "./capabilities.ts";
import { type Ran, runProgram } from "./cli.ts";

export type { Ran } from "./cli.ts";

/** Options of {@linkcode runPython} and {@linkcode runPythonModule}. */
export interface PythonOptions {
  /**
   * The whole environment of the process (for example a `sandbox().env`); the oracle's
   * `PYTHONPATH` and `AUTHLIB_INSECURE_TRANSPORT` are added. Default: `PATH` only (plus `HOME`).
   */
  env?: Record<string, string>;
  /** `HOME` (overrides `env.HOME`). */
  home?: string;
  /** Passes on this process's `DBUS_SESSION_BUS_ADDRESS` (the private test keyring). */
  keyring?: boolean;
  /** Arguments: `sys.argv[1:]`. */
  args?: readonly string[];
  /** Written to stdin and closed. */
  stdin?: string;
}

/** The environment a Python run gets. */
export function pythonEnv(options: PythonOptions = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    ...options.env,
    ...oracle().env,
    // Never leave __pycache__ in the (shared, read-only in spirit) oracle folder.
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONIOENCODING: "utf-8",
  };
  if (options.home !== undefined) env.HOME = options.home;
  if (options.keyring && process.env.DBUS_SESSION_BUS_ADDRESS) {
    env.DBUS_SESSION_BUS_ADDRESS = process.env.DBUS_SESSION_BUS_ADDRESS;
  } else if (!options.keyring && !options.env?.DBUS_SESSION_BUS_ADDRESS) {
    delete env.DBUS_SESSION_BUS_ADDRESS;
  }
  return env;
}

/**
 * Runs a Python snippet (`python -c code args...`) with the oracle on `PYTHONPATH`.
 *
 * @example Print the package version
 * ```ts ignore
 * const ran = await runPython("import kognic.auth; print(kognic.auth.__version__)");
 * ```
 */
export function runPython(code: string, options: PythonOptions = {}): Promise<Ran> {
  return runProgram(oracle().python, ["-c", code, ...(options.args ?? [])], {
    env: pythonEnv(options),
    stdin: options.stdin,
  });
}

/** Runs a Python module (`python -m module args...`) with the oracle on `PYTHONPATH`. */
export function runPythonModule(
  module: string,
  options: PythonOptions = {},
): Promise<Ran> {
  return runProgram(oracle().python, ["-m", module, ...(options.args ?? [])], {
    env: pythonEnv(options),
    stdin: options.stdin,
  });
}

/**
 * Runs a Python script file (`python path args...`), such as a driver under tests/support/.
 */
export function runPythonFile(path: string, options: PythonOptions = {}): Promise<Ran> {
  return runProgram(oracle().python, [path, ...(options.args ?? [])], {
    env: pythonEnv(options),
    stdin: options.stdin,
  });
}

/**
 * The Python CLIs as their console scripts run them (`sys.exit(main())`): `kognic-auth`
 * (`kognic.auth.cli:main`) and `kog` (`kognic.auth.cli.api_request:main`), with `args` as their
 * command line.
 */
export function runPythonCli(
  program: "kognic-auth" | "kog",
  options: PythonOptions = {},
): Promise<Ran> {
  const main = program === "kog"
    ? "from kognic.auth.cli.api_request import main"
    : "from kognic.auth.cli import main";
  return runPython(
    `import sys; sys.argv[0] = ${JSON.stringify(program)}; ${main}; sys.exit(main())`,
    options,
  );
}

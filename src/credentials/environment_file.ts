// Reading `environments.json` through a runtime already known, and a client's options with a named
// environment applied. Apart from ./environments.ts, whose `loadEnvironments` detects the
// runtime when it is not given: createClient has its runtime, and loads only this module when a
// program names an environment, so that a program bundled with code splitting keeps the runtime
// detection in its first chunk instead of a chunk of its own. Not part of the public API.
import { expandHome, xdgPath } from "./sources.ts";
import type { Runtime } from "../runtime/mod.ts";
import { quote } from "../_util.ts";
import {
  environmentOptions,
  type EnvironmentsConfig,
  invalid,
  namedEnvironment,
  parseEnvironments,
} from "./environment_config.ts";
import { readFileOrFail } from "./read_file.ts";

/**
 * The default location of `environments.json`: `$XDG_CONFIG_HOME/kognic/environments.json`, or
 * `~/.config/kognic/environments.json`.
 *
 * @example Where the file is looked for
 * ```ts
 * import { defaultEnvironmentsPath } from "@kognic/auth/core";
 * import { memoryRuntime } from "@kognic/auth/runtime/memory";
 *
 * console.log(defaultEnvironmentsPath(memoryRuntime({ home: "/home/me" })));
 * // /home/me/.config/kognic/environments.json
 * ```
 *
 * @param runtime The runtime that knows the environment variables and the home directory.
 * @returns The path.
 */
export function defaultEnvironmentsPath(runtime: Runtime): string {
  return xdgPath(runtime, "XDG_CONFIG_HOME", "~/.config", "kognic/environments.json");
}

/**
 * Reads `environments.json` (`given`, default {@linkcode defaultEnvironmentsPath}) through
 * `runtime`: `loadEnvironments` of ./environments.ts with the runtime given.
 */
export async function readEnvironments(
  runtime: Runtime,
  given?: string,
): Promise<EnvironmentsConfig> {
  // No file system (an edge function): no file, so no environments, whatever the path.
  if (!runtime.readTextFile) return { environments: {} };
  const path = given === undefined ? defaultEnvironmentsPath(runtime) : expandHome(given, runtime);
  const source = `file ${quote(path)}`;
  const text = await readFileOrFail(
    runtime as Parameters<typeof readFileOrFail>[0],
    path,
    (reason, cause) => invalid(source, `cannot read it: ${reason}`, cause),
  );
  if (text === undefined) return { environments: {} };
  return parseEnvironments(text, `file ${quote(path)}`, (file) => expandHome(file, runtime));
}

/**
 * The options of a client with the named `environment` of an `environments.json` applied: its
 * hosts, scopes and credentials under the options given, as the commands take them. For
 * `createClient`, which loads this module only when a program names an environment.
 *
 * @internal
 */
export async function withEnvironment<
  T extends Parameters<typeof environmentOptions>[1] & {
    environment?: string;
    environmentsPath?: string;
  },
>(options: T & { environment: string }, runtime: Runtime): Promise<T> {
  const path = options.environmentsPath === undefined
    ? defaultEnvironmentsPath(runtime)
    : expandHome(options.environmentsPath, runtime);
  const config = await readEnvironments(runtime, path);
  return environmentOptions(
    namedEnvironment(config, options.environment, `file ${quote(path)}`),
    options,
    true,
  );
}

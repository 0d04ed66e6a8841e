/**
 * Named environments: `environments.json` maps names to an API host, an auth server,
 * credentials and scopes, and a URL chooses its environment by host.
 *
 * @module
 */
import { expandHome, xdgPath } from "./sources.ts";
import type { Runtime } from "../runtime/mod.ts";
import { detectRuntime } from "../runtime/detect.ts";
import { quote } from "../_util.ts";
import {
  environmentOptions,
  type EnvironmentsConfig,
  invalid,
  namedEnvironment,
  parseEnvironments,
} from "./environment_config.ts";
import { readFileOrFail } from "./read_file.ts";

export {
  chooseEnvironment,
  DEFAULT_ENVIRONMENT,
  type Environment,
  environmentOptions,
  type EnvironmentsConfig,
  namedEnvironment,
  parseEnvironments,
} from "./environment_config.ts";

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

/** Options of {@linkcode loadEnvironments}. */
export interface LoadEnvironmentsOptions {
  /** The file; default {@linkcode defaultEnvironmentsPath}. `~` is expanded. */
  path?: string;
  /** The runtime to read the file through; detected by default. */
  runtime?: Runtime;
}

/**
 * Reads `environments.json`. A missing file is an empty configuration; a file that is not
 * valid JSON, or an environment without a string `host` and `auth_server`, is an error
 * (`ENVIRONMENTS_INVALID`).
 *
 * @example Load a configuration
 * ```ts
 * import { loadEnvironments } from "@kognic/auth/core";
 * import { memoryRuntime } from "@kognic/auth/runtime/memory";
 *
 * const runtime = memoryRuntime({
 *   files: {
 *     "/home/user/.config/kognic/environments.json": JSON.stringify({
 *       default_environment: "demo",
 *       environments: {
 *         demo: { host: "demo.kognic.com", auth_server: "https://auth.demo.kognic.com" },
 *       },
 *     }),
 *   },
 * });
 * const config = await loadEnvironments({ runtime });
 * console.log(config.environments.demo.authServer); // https://auth.demo.kognic.com
 * ```
 *
 * @param options The file and the runtime.
 * @returns The configuration.
 */
export async function loadEnvironments(
  options: LoadEnvironmentsOptions = {},
): Promise<EnvironmentsConfig> {
  const runtime = options.runtime ?? await detectRuntime();
  // No file system (an edge function): no file, so no environments, whatever the path.
  if (!runtime.readTextFile) return { environments: {} };
  const path = options.path === undefined
    ? defaultEnvironmentsPath(runtime)
    : expandHome(options.path, runtime);
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
  const config = await loadEnvironments({ runtime, path });
  return environmentOptions(
    namedEnvironment(config, options.environment, `file ${quote(path)}`),
    options,
    true,
  );
}

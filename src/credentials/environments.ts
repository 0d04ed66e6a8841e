/**
 * Named environments: `environments.json` maps names to an API host, an auth server,
 * credentials and scopes, and a URL chooses its environment by host.
 *
 * @module
 */
import type { Runtime } from "../runtime/mod.ts";
import { detectRuntime } from "../runtime/detect.ts";
import type { EnvironmentsConfig } from "./environment_config.ts";
import { readEnvironments } from "./environment_file.ts";

export { defaultEnvironmentsPath } from "./environment_file.ts";

export {
  chooseEnvironment,
  DEFAULT_ENVIRONMENT,
  type Environment,
  environmentOptions,
  type EnvironmentsConfig,
  namedEnvironment,
  parseEnvironments,
} from "./environment_config.ts";

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
  return readEnvironments(options.runtime ?? await detectRuntime(), options.path);
}

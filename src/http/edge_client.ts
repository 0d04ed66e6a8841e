// The full client from edge bindings: edgeClient's, and the one the Hono shell makes from a
// Workers `env`. Named environments are read here, not in ./edge_connect.ts, so that the edge
// entry (edgeFetch) carries no environments parser. Not part of the public API.
import { buildClient, type ClientOptions, type KognicClient } from "./client.ts";
import { edgeConnect } from "./edge_connect.ts";
import {
  environmentOptions,
  namedEnvironment,
  parseEnvironments,
} from "../credentials/environment_config.ts";
import { debugLogger } from "./debug_logger.ts";
import { coordinate } from "../token/coordinate.ts";
import { COORDINATE } from "../token/types.ts";

/** The options of the full edge client: those of `createClient`, and a named environment. */
export type EdgeOptions = ClientOptions & { environment?: string };

/**
 * With the `environment` option or a `KOGNIC_ENVIRONMENT` binding, the API host, auth server
 * and scopes of that environment of the `KOGNIC_ENVIRONMENTS` binding (the options' own win).
 */
function bindingsEnvironment(
  bindings: Record<string, unknown>,
  options: EdgeOptions,
): ClientOptions {
  const binding = bindings.KOGNIC_ENVIRONMENT;
  const name = options.environment ?? (typeof binding === "string" ? binding : undefined);
  if (!name) return options;
  const source = "binding KOGNIC_ENVIRONMENTS";
  const config = parseEnvironments(bindings.KOGNIC_ENVIRONMENTS ?? {}, source);
  return environmentOptions(namedEnvironment(config, name, source), options, false);
}

/**
 * The full client over {@linkcode edgeConnect}, a named environment applied first: `edgeClient`, and the client the Hono shell
 * makes from a Workers `env`. A `DEBUG=kognic-auth` binding switches on every message.
 */
export function edgeClientOf(env: unknown, options: EdgeOptions): KognicClient {
  const bindings = (typeof env === "object" && env ? env : {}) as Record<string, unknown>;
  const logger = options.logger ??
    debugLogger((name) => typeof bindings[name] === "string" ? bindings[name] : undefined);
  if (logger) options = { ...options, logger };
  // The lease coordination, for a store of the caller's own that leases (the library's bring it).
  const connected = { ...bindingsEnvironment(bindings, options), [COORDINATE]: coordinate };
  return buildClient(edgeConnect(env, connected), options);
}

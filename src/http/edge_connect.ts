// Credentials and hosts from edge bindings, connected: what edgeFetch and edgeClient share, and
// the client the Hono shell makes from a Workers `env`. Not part of the public API.
import { buildClient, type ClientOptions, type KognicClient } from "./client.ts";
import { assertNotExpired } from "../credentials/credentials.ts";
import { KognicAuthError } from "../errors.ts";
import { edgeRuntime } from "../runtime/edge.ts";
import { connect, type Connection } from "./connect.ts";
import { edgeTokenProvider } from "../token/isolate.ts";
import type { ResolvedCredentials } from "../credentials/resolve.ts";
import { noFilesHint, resolveEnvPair, resolveGiven } from "../credentials/resolve_sync.ts";
import {
  environmentOptions,
  namedEnvironment,
  parseEnvironments,
} from "../credentials/environment_config.ts";
import { debugLogger } from "./logging.ts";

/** The options of the edge entries: those of `createClient`, and a named environment. */
export type EdgeOptions = ClientOptions & { environment?: string };

/**
 * Resolves credentials from edge options and bindings and connects them: what `edgeFetch` and
 * `edgeClient` share. With the `environment` option or a `KOGNIC_ENVIRONMENT` binding, the API
 * host, auth server and scopes come from that environment of the `KOGNIC_ENVIRONMENTS` binding
 * (the options' own win).
 */
export function edgeConnect(env: unknown, options: EdgeOptions): Connection {
  const bindings = typeof env === "object" && env ? env as Record<string, unknown> : {};
  const runtime = edgeRuntime({ env: bindings, fetch: options.fetch });
  const name = options.environment ?? runtime.env("KOGNIC_ENVIRONMENT");
  if (name) {
    const source = "binding KOGNIC_ENVIRONMENTS";
    const config = parseEnvironments(bindings.KOGNIC_ENVIRONMENTS ?? {}, source);
    options = environmentOptions(namedEnvironment(config, name, source), options, false);
  }
  const given = resolveGiven(options);
  if (!given && options.auth !== undefined) {
    // A path, a keyring profile or a plain object: never the bindings' credentials instead.
    throw new KognicAuthError(
      "INVALID_OPTIONS",
      "The auth option on the edge is a [clientId, clientSecret] pair or Credentials " +
        "(no file system, no keyring)",
      { source: "the auth option" },
    );
  }
  const found = given ?? resolveEnvPair(runtime) as ResolvedCredentials | undefined;
  if (!found) {
    const named = runtime.env("KOGNIC_CREDENTIALS")
      ? " (KOGNIC_CREDENTIALS is set, but it names a file)"
      : "";
    throw new KognicAuthError(
      "CREDENTIALS_NOT_FOUND",
      `No Kognic credentials in the edge bindings${named}. ${noFilesHint("edge")}`,
      { source: "KOGNIC_CLIENT_ID" },
    );
  }
  assertNotExpired(found.credentials, options.clock?.now() ?? Date.now(), found.source);
  return connect(found.credentials, runtime, options, edgeTokenProvider);
}

/**
 * The full client over {@linkcode edgeConnect}: `edgeClient`, and the client the Hono shell
 * makes from a Workers `env`. A `DEBUG=kognic-auth` binding switches on every message.
 */
export function edgeClientOf(env: unknown, options: EdgeOptions): KognicClient {
  const bindings = (typeof env === "object" && env ? env : {}) as Record<string, unknown>;
  const logger = options.logger ??
    debugLogger((name) => typeof bindings[name] === "string" ? bindings[name] : undefined);
  if (logger) options = { ...options, logger };
  return buildClient(edgeConnect(env, options), options);
}

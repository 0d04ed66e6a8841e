// createClient: credential resolution (which reads files, the environment and the keyring
// through the detected runtime) in front of the client of src/client.ts. Apart from it so that
// the edge entries, which resolve from bindings, never import the runtime detection.
import { buildClient, type ClientOptions, type KognicClient } from "./client.ts";
import { KognicAuthError } from "../errors.ts";
import { resolveCredentials } from "../credentials/resolve.ts";
import { hintRefusals } from "../credentials/refused.ts";
import { detectRuntime } from "../runtime/detect.ts";
import { connect } from "./connect.ts";
import { sharedTokenProvider } from "../token/shared.ts";
import type { TokenProviderOptions } from "../token/provider.ts";
import { runtimeNetwork } from "../runtime/network.ts";
import { NETWORK } from "../_transport.ts";
import type { Coordinate } from "../token/types.ts";
import { COORDINATE } from "../token/keys.ts";

/**
 * Resolves credentials, checks them, and returns an authenticated client. No token is
 * fetched until the first request. Clients with the same credentials, auth host, token path,
 * scopes and transport share one {@linkcode TokenProvider} (and so one token) for as long as
 * any of them is in use.
 *
 * @example Credentials from the environment
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 *
 * const kognic = await createClient();
 * const response = await kognic.fetch("/v1/projects");
 * ```
 *
 * @example A named environment of `~/.config/kognic/environments.json`
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 *
 * // Its host, auth server, scopes and credentials, as `kognic-auth get-access-token --env demo`.
 * const kognic = await createClient({ environment: "demo" });
 * ```
 *
 * @example Explicit credentials, a local server, wider retries and a logger
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 *
 * const kognic = await createClient({
 *   auth: "~/.config/kognic/credentials.json",
 *   baseUrl: "http://localhost:8080",
 *   authHost: "http://localhost:8080",
 *   retry: { statuses: [408, 429, 500, 502, 503, 504], attempts: 10 },
 *   logger: console,
 * });
 * ```
 *
 * @param options Where the credentials come from, the hosts, retries, hooks and the transport.
 * @returns The client.
 */
export async function createClient(options: ClientOptions = {}): Promise<KognicClient> {
  const runtime = options.runtime ?? await detectRuntime();
  // DEBUG=kognic-auth (the `debug` package's convention) switches on every message. A DEBUG
  // the program may not read (Deno without --allow-env) is not set. Its reading loads only
  // where DEBUG is set.
  const env = (name: string) => {
    try {
      return runtime.env(name);
    } catch {
      return undefined;
    }
  };
  const logger = options.logger ??
    (env("DEBUG") ? (await import("./debug_logger.ts")).debugLogger(env) : undefined);
  if (logger) options = { ...options, logger };
  if (options.environment !== undefined) {
    // The hosts, scopes and credentials of a named environment, as the commands take them.
    // Loaded only here: most programs name no environment, and each module costs start-up time.
    const { withEnvironment } = await import("../credentials/environments.ts");
    options = await withEnvironment({ ...options, environment: options.environment }, runtime);
  }
  const resolved = await resolveCredentials({
    ...options,
    runtime,
    now: options.now ?? options.clock?.now(),
  });
  const { proxy, ca } = options;
  if ((proxy !== undefined || ca !== undefined) && options.fetch) {
    throw new KognicAuthError(
      "INVALID_OPTIONS",
      `Options fetch and ${proxy === undefined ? "ca" : "proxy"} cannot be used together`,
    );
  }
  const proxied = proxy === undefined && ca === undefined
    ? undefined
    : runtime.fetchWith?.(proxy, { ca });
  const connectOptions = { ...options, fetch: options.fetch ?? proxied };
  // The lease coordination loads when a store first leases.
  const coordinate: Coordinate = async (...args) =>
    (await import("../token/coordinate.ts")).coordinate(...args);
  // Each provider's refusals name the credentials it holds: rotated ones their own client id.
  // The hint is added where a refusal surfaces (src/credentials/refused.ts), so that a token
  // that is there costs nothing more.
  const shared = (init: TokenProviderOptions) => {
    const provider = sharedTokenProvider({
      ...init,
      [NETWORK]: runtimeNetwork,
      [COORDINATE]: coordinate,
    });
    hintRefusals(provider, {
      source: resolved.source,
      clientId: init.credentials.clientId,
      authHost: provider.authHost,
    });
    return provider;
  };
  const connection = connect(resolved.credentials, runtime, connectOptions, shared);
  // Credentials that can rotate (a file, a keyring profile) or expire: warned of, picked up.
  // Loaded only here, so that the edge entries carry none of it. A refusal its source cannot
  // mend becomes CREDENTIALS_REFUSED, whose cause is the hinted refusal.
  if (resolved.origin || resolved.credentials.expires) {
    const { watchCredentials } = await import("../token/rotating.ts");
    connection.provider = await watchCredentials(resolved, runtime, connection.provider, {
      connect: (credentials) => connect(credentials, runtime, connectOptions, shared).provider,
      clock: options.clock,
    });
  }
  return buildClient(connection, { ...options, [NETWORK]: runtimeNetwork });
}

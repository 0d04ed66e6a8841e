// What createClient does before it builds the client: the runtime, the logger of `DEBUG`, a named
// environment, credential resolution (files, the environment, the keyring), the transport and the
// shared token provider, with rotation where the credentials can change. Apart from the client
// (src/http/client.ts and its request path) so that a program that only needs the provider's
// token, such as `kognic-auth get-access-token`, loads none of the request path. Not part of the
// public API.
import type { ClientOptions } from "./client.ts";
import { KognicAuthError } from "../errors.ts";
import { resolveCredentials } from "../credentials/resolve.ts";
import { hintRefusals } from "../credentials/refused.ts";
import { detectRuntime } from "../runtime/detect.ts";
import { connect, type Connection } from "./connect.ts";
import { sharedTokenProvider } from "../token/shared.ts";
import type { TokenProviderOptions } from "../token/provider.ts";
import { runtimeNetwork } from "../runtime/network.ts";
import { NETWORK, type WithNetwork } from "../_transport.ts";
import type { Coordinate } from "../token/types.ts";
import { COORDINATE } from "../token/keys.ts";

/**
 * Resolves the options of `createClient` into a connection (the shared token provider,
 * rotation included, the base URL, the headers and the transport) and the options the client is
 * built with (the `DEBUG` logger added, a named environment's hosts, scopes and credentials, the
 * runtime's network).
 *
 * @internal
 */
export async function createConnection(
  options: ClientOptions,
): Promise<[connection: Connection, options: ClientOptions & WithNetwork]> {
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
  if (!options.logger && env("DEBUG")) {
    options = { ...options, logger: (await import("./debug_logger.ts")).debugLogger(env) };
  }
  if (options.environment !== undefined) {
    // The hosts, scopes and credentials of a named environment, as the commands take them.
    // Loaded only here: most programs name no environment, and each module costs start-up time.
    const { withEnvironment } = await import("../credentials/environment_file.ts");
    options = await withEnvironment({ ...options, environment: options.environment }, runtime);
  }
  const resolved = await resolveCredentials({
    ...options,
    runtime,
    now: options.now ?? options.clock?.now(),
  });
  const { proxy, ca } = options;
  if (proxy !== undefined || ca !== undefined) {
    if (options.fetch) {
      throw new KognicAuthError(
        "INVALID_OPTIONS",
        `Options fetch and ${proxy === undefined ? "ca" : "proxy"} cannot be used together`,
      );
    }
    // The client's transport: what it builds from reads `fetch` only through the connection.
    options = { ...options, fetch: runtime.fetchWith?.(proxy, { ca }) };
  }
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
  const connection = connect(resolved.credentials, runtime, options, shared);
  // Credentials that can rotate (a file, a keyring profile) or expire: warned of, picked up.
  // Loaded only here, so that the edge entries carry none of it. A refusal its source cannot
  // mend becomes CREDENTIALS_REFUSED, whose cause is the hinted refusal.
  if (resolved.origin || resolved.credentials.expires) {
    const { watchCredentials } = await import("../token/rotating.ts");
    connection.provider = await watchCredentials(resolved, runtime, connection.provider, {
      connect: (credentials) => connect(credentials, runtime, options, shared).provider,
      clock: options.clock,
    });
  }
  return [connection, { ...options, [NETWORK]: runtimeNetwork }];
}

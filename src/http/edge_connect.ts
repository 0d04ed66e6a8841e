// Credentials and hosts from edge bindings, connected: what edgeFetch and edgeClient share
// (./edge_client.ts adds named environments and the full client). Not part of the public API.
import { noFilesHint, resolveEnvPair, resolveGiven } from "../credentials/resolve_sync.ts";
import type { ClientOptions } from "./client.ts";
import { assertNotExpired } from "../credentials/credentials.ts";
import { KognicAuthError } from "../errors.ts";
import { edgeTokenProvider } from "../token/isolate.ts";
import { connect, type Connection } from "./connect.ts";
import type { ResolvedCredentials } from "../credentials/resolve.ts";
import { edgeRuntime } from "../runtime/edge.ts";

/**
 * Resolves credentials from edge options and bindings and connects them: what `edgeFetch` and
 * `edgeClient` share. Named environments are applied before, by `edgeClientOf`
 * (./edge_client.ts) only, so that the edge entry's bundle carries no environments parser.
 */
export function edgeConnect(env: unknown, options: ClientOptions): Connection {
  // Bindings as given: edgeRuntime reads their string properties, which null, undefined or a
  // primitive do not have.
  const runtime = edgeRuntime({ env: env as Record<string, unknown>, fetch: options.fetch });
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
  assertNotExpired(found.credentials, (options.clock ?? Date).now(), found.source);
  return connect(found.credentials, runtime, options, edgeTokenProvider);
}

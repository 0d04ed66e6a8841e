// createClient: credential resolution (which reads files, the environment and the keyring
// through the detected runtime: ./create_connection.ts) in front of the client of ./client.ts.
// Apart from it so that the edge entries, which resolve from bindings, never import the runtime
// detection.
import { buildClient, type ClientOptions, type KognicClient } from "./client.ts";
import { createConnection } from "./create_connection.ts";

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
  return buildClient(...await createConnection(options));
}

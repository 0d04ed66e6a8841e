/**
 * Kognic authentication for edge functions: Cloudflare Workers, Deno Deploy, Supabase Edge
 * Functions, Vercel edge. Credentials come from the bindings or environment record (never from
 * a file), the token is reused by every request of an isolate, and a key-value token store
 * lets several isolates share one token.
 *
 * @example A Cloudflare Worker
 * ```ts
 * import { edgeClient } from "@kognic/auth/edge";
 *
 * const worker = {
 *   fetch(_request: Request, env: Record<string, unknown>): Promise<Response> {
 *     // KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET are secrets of the worker.
 *     return edgeClient(env).fetch("/v1/projects");
 *   },
 * };
 * // The worker's entry module ends with `export default worker;`.
 * ```
 *
 * @module
 */
import { buildClient, type ClientOptions, type KognicClient } from "../client.ts";
import { assertNotExpired, type Credentials } from "../credentials.ts";
import { KognicAuthError } from "../errors.ts";
import { noFilesHint, resolveEnvPair, resolveGiven } from "../resolve.ts";
import { edgeRuntime } from "../runtime/edge.ts";

export { HttpError, KognicAuthError, TokenError } from "../errors.ts";
export { KognicClient, type RequestOptions } from "../client.ts";
export { Credentials } from "../credentials.ts";
export { edgeRuntime, type EdgeRuntimeOptions } from "../runtime/edge.ts";
export { type KvNamespace, kvTokenStore, type KvTokenStoreOptions } from "../cache/kv.ts";
export type { StoredToken, TokenStore } from "../token_provider.ts";

/** Options of {@linkcode edgeClient}: those of `createClient` that make sense on the edge. */
export interface EdgeClientOptions extends Omit<ClientOptions, "auth" | "runtime" | "now"> {
  /** A `[clientId, clientSecret]` pair or credentials; default the variables of `env`. */
  auth?: readonly string[] | Credentials;
}

/**
 * Returns an authenticated Kognic client for an edge function, synchronously and without any
 * file access. Credentials come from `options.auth`, the `clientId` and `clientSecret` options,
 * or `KOGNIC_CLIENT_ID` and `KOGNIC_CLIENT_SECRET` in `env` (the `env` argument of a Workers
 * `fetch` handler, `Deno.env.toObject()` on Deno Deploy and Supabase, `process.env` on Vercel).
 *
 * Clients made for the same credentials, auth host, token path, scopes and authentication
 * method reuse one token for the life of the isolate, so calling this on every request costs
 * one token request per isolate, not per request (on Cloudflare Workers, where a request cannot
 * wait for another request's I/O, each client has a provider of its own and the token is
 * shared through an isolate-wide store). Pass `store` (such as {@linkcode kvTokenStore}) to
 * share the token between isolates as well.
 *
 * Throws `CREDENTIALS_NOT_FOUND` naming the variables expected when there are no credentials,
 * and `CREDENTIALS_ENV_INCOMPLETE` when only one of the two variables is set.
 *
 * @example Deno Deploy or a Supabase Edge Function
 * ```ts ignore
 * import { edgeClient } from "@kognic/auth/edge";
 *
 * Deno.serve(async () => {
 *   const kognic = edgeClient(Deno.env.toObject());
 *   const response = await kognic.request("GET", "/v1/projects");
 *   return Response.json(await response.json());
 * });
 * ```
 *
 * @param env The bindings or environment variables, an object; values that are not strings
 * are ignored.
 * @param options The auth option, the hosts, the scopes, a token store and the transport.
 * @returns The client.
 */
export function edgeClient(
  env?: unknown,
  options: EdgeClientOptions = {},
): KognicClient {
  const bindings = typeof env === "object" && env ? env as Record<string, unknown> : {};
  const runtime = edgeRuntime({ env: bindings, fetch: options.fetch });
  const found = resolveGiven(options) ?? resolveEnvPair(runtime);
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
  return buildClient(found.credentials, runtime, options);
}

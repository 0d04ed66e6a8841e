/**
 * The full Kognic API client for edge functions: {@linkcode edgeClient} takes credentials from
 * the bindings like `edgeFetch` of `@kognic/auth/edge`, and adds what `KognicClient` has on top
 * of the bearer token: retries with backoff, a per-attempt timeout, sunset warnings, errors for
 * answers outside 2xx and JSON helpers.
 *
 * @example A Cloudflare Worker that returns Kognic's JSON
 * ```ts
 * import { edgeClient } from "@kognic/auth/edge/client";
 *
 * const worker = {
 *   async fetch(_request: Request, env: Record<string, unknown>): Promise<Response> {
 *     const projects = await edgeClient(env).get("/v1/projects");
 *     return Response.json(projects);
 *   },
 * };
 * // The worker's entry module ends with `export default worker;`.
 * ```
 *
 * @module
 */
import type { ClientOptions, KognicClient } from "../http/client.ts";
import type { Credentials } from "../credentials/credentials.ts";
import { edgeClientOf } from "../http/edge_client.ts";

export { HttpError } from "../errors.ts";
export type { JsonRequestOptions, KognicClient, RequestOptions } from "../http/client.ts";
export type { KognicRequestInit } from "../http/create_auth_fetch.ts";
export type { ClientEvent, Logger } from "../http/logging.ts";
export type { RetryOptions } from "../http/retry.ts";
export type { SunsetInfo } from "../http/sunset.ts";

/** Options of {@linkcode edgeClient}: those of `createClient` that make sense on the edge. */
export interface EdgeClientOptions
  extends Omit<ClientOptions, "auth" | "runtime" | "now" | "proxy" | "environmentsPath"> {
  /**
   * A named environment: its API host, auth server and scopes, each unless the options set it
   * (credentials still come from the bindings: an environment's `credentials` names a file or
   * a keyring profile, which the edge does not have). The environments are the
   * `KOGNIC_ENVIRONMENTS` binding: the text of an `environments.json`, or the same as a JSON
   * variable. Default the `KOGNIC_ENVIRONMENT` binding, or none. An unknown name is an
   * `ENVIRONMENT_NOT_FOUND` error that lists the environments defined.
   */
  environment?: string;
  /**
   * A `[clientId, clientSecret]` pair or {@linkcode Credentials}; default the variables of
   * `env`. Anything else (a path, a plain object) is an `INVALID_OPTIONS` error.
   */
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
 * shared through an isolate-wide store, where a burst of cold requests waits for the one token
 * request the first makes). Pass `store` (such as `kvTokenStore`) to share the token between
 * isolates as well; outside Workers, make it once per isolate (a store is part of what makes
 * options the same).
 *
 * With a `KOGNIC_ENVIRONMENT` binding (or the `environment` option), the API host, auth server
 * and scopes come from that environment of the `KOGNIC_ENVIRONMENTS` binding, which holds an
 * `environments.json`.
 *
 * Throws `CREDENTIALS_NOT_FOUND` naming the variables expected when there are no credentials,
 * and `CREDENTIALS_ENV_INCOMPLETE` when only one of the two variables is set.
 *
 * @example Deno Deploy or a Supabase Edge Function
 * ```ts ignore
 * import { edgeClient } from "@kognic/auth/edge/client";
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
 * @param options The auth option, the hosts, the scopes, a token store, retries, hooks and the
 * transport.
 * @returns The client.
 */
export function edgeClient(env?: unknown, options: EdgeClientOptions = {}): KognicClient {
  return edgeClientOf(env, options);
}

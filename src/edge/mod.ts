/**
 * Kognic authentication for edge functions: Cloudflare Workers, Deno Deploy, Supabase Edge
 * Functions, Vercel edge. Credentials come from the bindings or environment record (never from
 * a file), the token is reused by every request of an isolate, and a key-value token store
 * lets several isolates share one token.
 *
 * This entry is the small core: {@linkcode edgeFetch} gives a `fetch` that carries the token.
 * For retries, timeouts, sunset warnings and JSON helpers, `edgeClient` from
 * `@kognic/auth/edge/client` gives a full `KognicClient` from the same bindings.
 *
 * @example A Cloudflare Worker
 * ```ts
 * import { edgeFetch } from "@kognic/auth/edge";
 *
 * const worker = {
 *   fetch(_request: Request, env: Record<string, unknown>): Promise<Response> {
 *     // KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET are secrets of the worker.
 *     return edgeFetch(env)("/v1/projects");
 *   },
 * };
 * // The worker's entry module ends with `export default worker;`.
 * ```
 *
 * @module
 */
import { bearerFetch } from "../http/auth_fetch.ts";
import type { ClientOptions } from "../http/client.ts";
import type { Credentials } from "../credentials/credentials.ts";
import { edgeConnect } from "../http/edge_connect.ts";
import type { TokenProvider } from "../token/provider.ts";

export { KognicAuthError, TokenError } from "../errors.ts";
export { Credentials } from "../credentials/credentials.ts";
export { edgeRuntime, type EdgeRuntimeOptions } from "../runtime/edge.ts";
export { type KvNamespace, kvTokenStore, type KvTokenStoreOptions } from "../stores/kv.ts";

export type { Clock, StoredToken, TokenProvider, TokenStore } from "../token/provider.ts";
export type { AuthMethod } from "../token/endpoint.ts";

/**
 * Options of {@linkcode edgeFetch}: those of `createClient` that the bearer core uses, with the
 * `auth` option as a pair or credentials (no files on the edge).
 */
export interface EdgeFetchOptions extends
  Pick<
    ClientOptions,
    | "clientId"
    | "clientSecret"
    | "baseUrl"
    | "authHost"
    | "tokenPath"
    | "scopes"
    | "authMethod"
    | "headers"
    | "organizationId"
    | "clientName"
    | "fetch"
    | "clock"
    | "store"
    | "allowInsecureHttp"
    | "tokenOrigins"
  > {
  /**
   * A `[clientId, clientSecret]` pair or {@linkcode Credentials}; default the variables of
   * `env`. Anything else (a path, a plain object) is an `INVALID_OPTIONS` error.
   */
  auth?: readonly string[] | Credentials;
}

/** A `fetch` that carries the Kognic access token, and the provider it takes tokens from. */
export type EdgeFetch =
  & ((input: Request | URL | string, init?: RequestInit) => Promise<Response>)
  & {
    /**
     * The token provider: shared with every other client of the same options in the isolate, or
     * on Cloudflare Workers this function's own.
     */
    readonly provider: TokenProvider;
  };

/**
 * Returns a `fetch` for the Kognic API, synchronously and without any file access: relative
 * URLs resolve against `baseUrl`, every request carries `Authorization: Bearer <token>`, and
 * the call behaves as `fetch` otherwise (no retries, no timeout but the `signal` you pass).
 *
 * - Credentials come from `options.auth`, the `clientId` and `clientSecret` options, or
 *   `KOGNIC_CLIENT_ID` and `KOGNIC_CLIENT_SECRET` in `env` (the `env` argument of a Workers
 *   `fetch` handler, `Deno.env.toObject()` on Deno Deploy and Supabase, `process.env` on
 *   Vercel).
 * - The API host and auth server are Kognic's production hosts unless the `baseUrl` and
 *   `authHost` options name others (a staging environment, or a local test server such as
 *   `http://127.0.0.1:8787`: loopback hosts may be plain `http://`). Named environments
 *   (`KOGNIC_ENVIRONMENT` and `KOGNIC_ENVIRONMENTS` bindings) are read by `edgeClient` of
 *   `@kognic/auth/edge/client`, which keeps this entry small.
 * - Functions made for the same credentials, auth host, token path, scopes and authentication
 *   method reuse one token for the life of the isolate, so calling this on every request costs
 *   one token request per isolate, not per request (on Cloudflare Workers, where a request
 *   cannot wait for another request's I/O, each function has a provider of its own and the
 *   token is shared through an isolate-wide store, where a burst of cold requests waits for
 *   the one token request the first makes). Pass `store` (such as {@linkcode kvTokenStore}) to
 *   share the token between isolates as well; outside Workers, make it once per isolate (a
 *   store is part of what makes options the same). With `durableObjectTokenStore` (or another
 *   of the library's stores that lease) only one isolate asks at a time; a store of your own
 *   with `lease` is coordinated by `edgeClient`, not here.
 * - The token goes only to the origin of `baseUrl` and those listed in `tokenOrigins`: a
 *   request to another origin (a signed storage URL, say) goes out without it and makes no
 *   token request. After a 401 the token is renewed (at most once per 10 seconds or more, see
 *   `TokenProvider.invalidate`) and the request sent once more, when its body can be sent
 *   again. Redirects are followed by hand, and hand the token on only to token origins. Plain
 *   `http://` is refused except for loopback hosts.
 *
 * Throws `CREDENTIALS_NOT_FOUND` naming the variables expected when there are no credentials,
 * and `CREDENTIALS_ENV_INCOMPLETE` when only one of the two variables is set.
 *
 * @example Deno Deploy or a Supabase Edge Function
 * ```ts ignore
 * import { edgeFetch } from "@kognic/auth/edge";
 *
 * Deno.serve(async () => {
 *   const kognicFetch = edgeFetch(Deno.env.toObject());
 *   const response = await kognicFetch("/v1/projects");
 *   return Response.json(await response.json());
 * });
 * ```
 *
 * @param env The bindings or environment variables, an object; values that are not strings
 * are ignored.
 * @param options The auth option, the hosts, the scopes, a token store and the transport.
 * @returns The authenticated `fetch`.
 */
export function edgeFetch(env?: unknown, options: EdgeFetchOptions = {}): EdgeFetch {
  const connection = edgeConnect(env, options);
  // allowInsecureHttp and tokenOrigins as given; the other options are the connection's.
  const { send } = bearerFetch(connection.provider, { ...options, ...connection });
  const edgeFetch = (input: Request | URL | string, init?: RequestInit) => send(input, init);
  return Object.defineProperty(edgeFetch, "provider", { value: connection.provider }) as EdgeFetch;
}

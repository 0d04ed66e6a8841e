/**
 * The token request, the token provider, the authenticated `fetch` and the client of the core, sending with
 * the runtime's network where the options give no `fetch`: the adapter's `fetch` (which applies
 * `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` on Deno, Bun and Node) and failures worded as
 * specifically as the runtime allows. The entries `@kognic/auth` and `@kognic/auth/core` export
 * these; the edge entries use the core's own, which send with the global `fetch`.
 *
 * @module
 */
import { NETWORK } from "../_transport.ts";
import { coordinate } from "../token/coordinate.ts";
import { COORDINATE, type InternalOptions } from "../token/types.ts";
import type { Credentials } from "../credentials/credentials.ts";
import { runtimeNetwork } from "../runtime/network.ts";
import {
  requestToken as requestWith,
  type TokenRequestOptions,
  type TokenResponse,
} from "../token/endpoint.ts";
import {
  TokenProvider as Provider,
  type TokenProviderOptions,
  type TokenSource,
} from "../token/provider.ts";
import { type AuthFetchOptions, createAuthFetch as createWith } from "./create_auth_fetch.ts";
import { KognicClient as Client } from "./client.ts";

const bound = <T extends object>(options: T): T => ({ [NETWORK]: runtimeNetwork, ...options });

/**
 * Asks the token endpoint for an access token, with the client-credentials grant or, when
 * `refreshToken` is given, the refresh-token grant. The request is byte for byte what the Python
 * library sends: `POST`, `Content-Type: application/x-www-form-urlencoded;charset=UTF-8`, body
 * `grant_type=client_credentials[&scope=…]&client_id=…&client_secret=…`. A 429 answer is
 * retried after its `Retry-After`; redirects are not followed (they would carry the secret).
 * Without a `fetch` option it sends with the runtime's, read at each call.
 *
 * @example Fetch a token
 * ```ts ignore
 * import { Credentials } from "@kognic/auth";
 * import { requestToken } from "@kognic/auth/core";
 *
 * const credentials = new Credentials({ clientId: "id", clientSecret: "secret" });
 * const token = await requestToken(credentials, {
 *   tokenUrl: "https://auth.app.kognic.com/v1/auth/oauth/token",
 * });
 * console.log(token.expires_in);
 * ```
 *
 * @param credentials The client id and secret.
 * @param options The token URL, scopes, grant and transport.
 * @returns The validated token response.
 */
export function requestToken(
  credentials: Credentials,
  options: TokenRequestOptions,
): Promise<TokenResponse> {
  return requestWith(credentials, bound(options));
}

/**
 * Hands out access tokens for one set of credentials, auth host and scopes (see the core's
 * provider for the rules: freshness, background refresh, a single token request in flight,
 * refresh-token renewal, invalidation). Without a `fetch` option it sends with the runtime's,
 * with the proxy variables as they are when the provider is created.
 *
 * @example Get a token
 * ```ts ignore
 * import { Credentials } from "@kognic/auth";
 * import { TokenProvider } from "@kognic/auth/core";
 *
 * const provider = new TokenProvider({
 *   credentials: new Credentials({ clientId: "id", clientSecret: "secret" }),
 * });
 * const token = await provider.getToken();
 * ```
 */
export class TokenProvider extends Provider {
  /**
   * Creates a provider. No request is made until the first {@linkcode TokenProvider.getToken}.
   *
   * @param options The credentials, the auth host and the transport.
   */
  constructor(options: TokenProviderOptions) {
    super({ [COORDINATE]: coordinate, ...bound(options) } as InternalOptions);
  }

  /**
   * Whether `value` is a token provider: made by this class, or the provider of a client that
   * `createClient`, `edgeClient` or `edgeFetch` made (which do not send through this class's
   * runtime binding, so are instances of its base). A class that extends this one keeps the
   * ordinary check.
   *
   * @param value Any value.
   * @returns Whether it is a token provider.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return this === TokenProvider
      ? value instanceof Provider
      : Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

/**
 * Returns a `fetch` that adds the bearer token of `tokens`, retries transient failures, times
 * each attempt out and reports sunset headers (see {@linkcode AuthFetchOptions}). Without a
 * `fetch` option it sends with the runtime's, with the proxy variables as they are now.
 *
 * @example Authenticated fetch
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 * import { createAuthFetch } from "@kognic/auth/core";
 *
 * const { provider } = await createClient();
 * const authFetch = createAuthFetch(provider, {
 *   baseUrl: "https://app.kognic.com",
 *   retry: { statuses: [429, 502, 503, 504] },
 * });
 * const response = await authFetch("/v1/projects");
 * ```
 *
 * @param tokens Where tokens come from, usually a {@linkcode TokenProvider}.
 * @param options The base URL, default headers, retries, timeouts, hooks and the `fetch`.
 * @returns A function with the signature of `fetch`.
 */
export function createAuthFetch(tokens: TokenSource, options?: AuthFetchOptions): typeof fetch {
  return createWith(tokens, bound(options ?? {}));
}

/**
 * The Kognic API client over a token provider you made: `fetch` with the bearer token, a base
 * URL, default headers, retries, a timeout and sunset warnings, `request` that throws
 * `HttpError` for answers outside 2xx, `json` and `get` that parse the JSON. Most programs call
 * `createClient` of `@kognic/auth` (or `edgeClient` of `@kognic/auth/edge/client`), which
 * resolve the credentials and share the provider; this class is for those who build their own.
 * Without a `fetch` option it sends with the runtime's, with the proxy variables as they are
 * now. Every client is an instance of it, whichever function made it.
 *
 * @example A client over your own provider
 * ```ts ignore
 * import { Credentials } from "@kognic/auth";
 * import { KognicClient, TokenProvider } from "@kognic/auth/core";
 *
 * const provider = new TokenProvider({
 *   credentials: new Credentials({ clientId: "id", clientSecret: "secret" }),
 * });
 * const kognic = new KognicClient(provider, { baseUrl: "https://app.kognic.com" });
 * const projects = await kognic.get("/v1/projects");
 * ```
 */
export class KognicClient extends Client {
  /**
   * Creates a client over a provider. No request is made until the first call.
   *
   * @param provider The token provider.
   * @param options The base URL, default headers, retries, hooks and `fetch`.
   */
  constructor(provider: Provider, options?: AuthFetchOptions) {
    super(provider, bound(options ?? {}));
  }

  /**
   * Whether `value` is a Kognic API client: made by this class, `createClient` or
   * `edgeClient` (which do not send through this class's runtime binding, so are instances of
   * its base). A class that extends this one keeps the ordinary check.
   *
   * @param value Any value.
   * @returns Whether it is a client.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return this === KognicClient
      ? value instanceof Client
      : Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

/**
 * The building blocks `createClient` is made of, for programs that assemble their own: the
 * token endpoint call, the token provider, the authenticated `fetch`, the client class,
 * credential resolution, `environments.json`, and the default hosts.
 *
 * @example A token provider and an authenticated fetch, without a client
 * ```ts ignore
 * import { Credentials } from "@kognic/auth";
 * import { TokenProvider } from "@kognic/auth/core";
 * import { createAuthFetch, DEFAULT_BASE_URL } from "@kognic/auth/core";
 *
 * const provider = new TokenProvider({
 *   credentials: new Credentials({ clientId: "id", clientSecret: "secret" }),
 * });
 * const authFetch = createAuthFetch(provider, { baseUrl: DEFAULT_BASE_URL });
 * const response = await authFetch("/v1/projects");
 * ```
 *
 * @module
 */
export type { AuthFetchOptions } from "./http/create_auth_fetch.ts";
export {
  createAuthFetch,
  KognicClient,
  requestToken,
  TokenProvider,
} from "./http/runtime_bound.ts";
export { DEFAULT_BASE_URL } from "./http/auth_fetch.ts";
export { assertNotExpired } from "./credentials/credentials.ts";
export { parseCredentials } from "./credentials/parse.ts";
export {
  chooseEnvironment,
  DEFAULT_ENVIRONMENT,
  defaultEnvironmentsPath,
  type Environment,
  type EnvironmentsConfig,
  loadEnvironments,
  type LoadEnvironmentsOptions,
} from "./credentials/environments.ts";
export type { HttpErrorOptions, KognicAuthErrorOptions, TokenErrorOptions } from "./errors.ts";
export {
  resolveCredentials,
  type ResolvedCredentials,
  type ResolveOptions,
} from "./credentials/resolve.ts";
export {
  CREDENTIALS_KEYRING_SERVICE,
  expandHome,
  readCredentialsFile,
} from "./credentials/sources.ts";
export {
  DEFAULT_AUTH_HOST,
  DEFAULT_TOKEN_PATH,
  type TokenRequestOptions,
  type TokenResponse,
} from "./token/endpoint.ts";
export type { TokenProviderOptions, TokenSource } from "./token/provider.ts";

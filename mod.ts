/**
 * Kognic authentication for Deno, Bun, Node and edge runtimes.
 *
 * Resolves Kognic API credentials the way Kognic documents it (an `auth` option, the
 * `KOGNIC_CREDENTIALS` file, `KOGNIC_CLIENT_ID` and `KOGNIC_CLIENT_SECRET`, the keyring),
 * obtains OAuth 2.0 client-credentials tokens from Kognic's token endpoint, keeps them fresh,
 * and makes authenticated requests with `fetch`.
 *
 * @example Call the Kognic API with credentials from the environment
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 *
 * const kognic = await createClient();
 * const response = await kognic.request("GET", "/v1/projects");
 * console.log(await response.json());
 * ```
 *
 * @module
 */
export {
  type AuthFetchOptions,
  type ClientEvent,
  type ClientOptions,
  createAuthFetch,
  type JsonRequestOptions,
  KognicClient,
  type KognicRequestInit,
  type Logger,
  type RequestOptions,
  type RetryOptions,
  type SunsetInfo,
} from "./src/client.ts";
export { DEFAULT_BASE_URL } from "./src/auth_fetch.ts";
export { createClient } from "./src/create_client.ts";
export {
  assertNotExpired,
  Credentials,
  type CredentialsInit,
  parseCredentials,
} from "./src/credentials.ts";
export {
  chooseEnvironment,
  DEFAULT_ENVIRONMENT,
  defaultEnvironmentsPath,
  type Environment,
  type EnvironmentsConfig,
  loadEnvironments,
  type LoadEnvironmentsOptions,
} from "./src/environments.ts";
export {
  HttpError,
  type HttpErrorOptions,
  KognicAuthError,
  type KognicAuthErrorCode,
  type KognicAuthErrorOptions,
  TokenError,
  type TokenErrorOptions,
} from "./src/errors.ts";
export {
  type AuthInput,
  CREDENTIALS_KEYRING_SERVICE,
  expandHome,
  readCredentialsFile,
  resolveCredentials,
  type ResolvedCredentials,
  type ResolveOptions,
} from "./src/resolve.ts";
export {
  type AuthMethod,
  DEFAULT_AUTH_HOST,
  DEFAULT_TOKEN_PATH,
  requestToken,
  type TokenRequestOptions,
  type TokenResponse,
} from "./src/token_endpoint.ts";
export {
  type AccessToken,
  type Clock,
  type StoredToken,
  type TokenEvent,
  TokenProvider,
  type TokenProviderOptions,
  type TokenSource,
  type TokenStore,
} from "./src/token_provider.ts";
export {
  type CommandOutput,
  type Keyring,
  type Runtime,
  type WriteTextFileOptions,
} from "./src/runtime/mod.ts";
export { VERSION } from "./src/version.ts";

/**
 * Kognic authentication for Deno, Bun, Node and edge runtimes.
 *
 * {@linkcode createClient} resolves Kognic API credentials the way Kognic documents it (an
 * `auth` option, a named `environment` of `environments.json`, the `KOGNIC_CREDENTIALS` file,
 * `KOGNIC_CLIENT_ID` and `KOGNIC_CLIENT_SECRET`, the keyring), obtains OAuth 2.0
 * client-credentials tokens from Kognic's token endpoint, keeps them fresh, and makes
 * authenticated requests with `fetch`. The building blocks it is made of are in
 * `@kognic/auth/core`; runtime adapters in `@kognic/auth/runtime`.
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
export { createClient } from "./src/http/create_client.ts";
export type {
  ClientOptions,
  JsonRequestOptions,
  KognicClient,
  RequestOptions,
} from "./src/http/client.ts";
export type { KognicRequestInit } from "./src/http/create_auth_fetch.ts";
export type { ClientEvent, Logger } from "./src/http/logging.ts";
export type { CredentialsEvent } from "./src/credentials/expiry.ts";
export type { RetryOptions } from "./src/http/retry.ts";
export type { SunsetInfo } from "./src/http/sunset.ts";
export type { AuthInput } from "./src/credentials/resolve.ts";
export { Credentials, type CredentialsInit } from "./src/credentials/credentials.ts";
export { HttpError, KognicAuthError, type KognicAuthErrorCode, TokenError } from "./src/errors.ts";
export {
  type AccessToken,
  type Clock,
  type StoredToken,
  type StoreOperation,
  type TokenEvent,
  type TokenRequestDetails,
  type TokenStore,
} from "./src/token/provider.ts";
export type { AuthMethod } from "./src/token/endpoint.ts";
export { VERSION } from "./src/version.ts";

/**
 * The options of `createClient` and of a {@linkcode KognicClient}'s requests. Types only: apart
 * from ./client.ts so that a program run from TypeScript source (which strips the types of every
 * file it loads) never loads their text.
 *
 * @module
 */
import type { ResolveOptions } from "../credentials/resolve.ts";
import type { AuthMethod } from "../token/endpoint.ts";
import type { Clock, TokenStore } from "../token/provider.ts";
import type { AuthFetchOptions, KognicRequestInit } from "./create_auth_fetch.ts";

/** Options of {@linkcode createClient}. */
export interface ClientOptions extends ResolveOptions, AuthFetchOptions {
  /**
   * A named environment of `environments.json`, the file the `kognic-auth` and `kog` commands
   * read (`--env`): it gives the API host (`baseUrl` becomes `https://<host>`), the auth server
   * (`authHost`), the scopes and the credentials (a file or `keyring://PROFILE`), each unless
   * the options set it. An unknown name is an `ENVIRONMENT_NOT_FOUND` error that lists the
   * environments the file defines. Default: none, so nothing is read from the file.
   */
  environment?: string;
  /**
   * The `environments.json` to read the `environment` from; `~` is expanded. Default
   * `$XDG_CONFIG_HOME/kognic/environments.json`, or `~/.config/kognic/environments.json`.
   */
  environmentsPath?: string;
  /**
   * The API base URL that relative paths resolve against; default the `environment`'s host,
   * or `https://app.kognic.com`.
   */
  baseUrl?: string | URL;
  /**
   * The auth server: the origin (scheme, host and an optional port) whose `tokenPath` is the
   * token endpoint, such as `https://auth.demo.kognic.com`. Default the `environment`'s
   * `auth_server`, or `https://auth.app.kognic.com`. Plain `http://` only for loopback hosts,
   * unless `allowInsecureHttp` is set.
   */
  authHost?: string;
  /** The token endpoint's path on the auth server; default `/v1/auth/oauth/token`. */
  tokenPath?: string;
  /**
   * The scopes to ask for, sent space-joined as the `scope` field; default the `environment`'s
   * scopes, or the credentials' `scopes`, or none.
   */
  scopes?: readonly string[];
  /** How the client authenticates at the token endpoint; default `"client_secret_post"`. */
  authMethod?: AuthMethod;
  /** Headers added to every API request (a workspace header, for example). */
  headers?: HeadersInit;
  /** Sent as `X-Organization-Id` on every API request. */
  organizationId?: string | number;
  /** A name for your program, appended to the `User-Agent`. */
  clientName?: string;
  /** The `fetch` for the token endpoint and the API; default the runtime's. */
  fetch?: typeof fetch;
  /**
   * A proxy for the token endpoint and the API, such as `http://user:password@proxy.corp:3128`,
   * used for every request instead of `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`. Without it
   * the runtime's `fetch` follows those variables, as they are when the client is created. Ignored on runtimes without proxy support
   * (edge functions); not allowed together with `fetch`.
   */
  proxy?: string;
  /**
   * A CA certificate (PEM text) to trust besides the runtime's own, for the token endpoint and
   * the API, such as the one a corporate proxy signs TLS with; works with and without `proxy`.
   * It is trusted for an `https://` proxy's own certificate too; to trust several CAs, put
   * their certificates one after the other. On Node.js it needs the `undici` package. Not
   * allowed together with `fetch`.
   */
  ca?: string;
  /** The clock for token lifetimes and backoff waits; default `Date.now` and timers. */
  clock?: Clock;
  /** Where to persist tokens between processes; default none. */
  store?: TokenStore;
  /** Allow plain `http://` to hosts that are not loopback. Default `false`. */
  allowInsecureHttp?: boolean;
}

/** Options of {@linkcode KognicClient.request} and {@linkcode KognicClient.json}. */
export interface RequestOptions extends Omit<KognicRequestInit, "method" | "body"> {
  /**
   * A JSON body: a plain object, array, number, boolean or `null` (a top-level string or bytes
   * is refused, as in the Python client). Sets `Content-Type: application/json`.
   */
  json?: unknown;
  /** A raw body, when `json` is not given. */
  body?: BodyInit | null;
}

/** Options of {@linkcode KognicClient.json}. */
export interface JsonRequestOptions extends RequestOptions {
  /**
   * Unwrap the `{"data": …}` envelope of Kognic responses; default `true`. A body without a
   * `data` key is then an error with code `RESPONSE_NO_DATA` that names the keys found.
   */
  unwrap?: boolean;
}

/**
 * The Kognic API client: {@linkcode KognicClient}, which adds errors for answers outside 2xx and
 * JSON conveniences to the authenticated `fetch` of `createAuthFetch`, and the options of
 * `createClient`.
 *
 * @module
 */
import { KognicAuthError } from "../errors.ts";
import type { TokenProvider } from "../token/provider.ts";
import { SUBSCRIBE_WEAKLY } from "../token/events.ts";
import { bare, DEFAULT_BASE_URL, SENT_TOKENS } from "./auth_fetch.ts";
import { type AuthFetchOptions, createAuthFetch } from "./create_auth_fetch.ts";
import { defaultLogger, tokenEventListener } from "./logging.ts";
import type { Connection } from "./connect.ts";
import { NETWORK, type WithNetwork } from "../_transport.ts";
import { assertSecureUrl, isObject, lazily } from "../_util.ts";
import type { ClientOptions, JsonRequestOptions, RequestOptions } from "./client_options.ts";

// Types only, apart so that a program run from TypeScript source never loads their text.
export type { ClientOptions, JsonRequestOptions, RequestOptions } from "./client_options.ts";

const LISTENER = Symbol("kognic-auth.listener");
// The errors of answers outside 2xx and of JSON without its data load with the first such
// answer: a call that succeeds never needs their wording. One import shared by concurrent
// callers; a failed one is tried again.
const errors = lazily(() => import("./_client_errors.ts"));
/**
 * Where a program-wide instrumentation (`instrumentAll` of `@kognic/auth/otel`) puts the
 * function that takes every client made from then on: a global only that call sets.
 *
 * @internal
 */
export const INSTRUMENT_CLIENTS: unique symbol = Symbol.for("kognic-auth.instrumentClients");

/**
 * An authenticated Kognic API client: {@linkcode KognicClient.fetch} is `fetch` with the bearer
 * token, a base URL, default headers, retries, a timeout and sunset warnings;
 * {@linkcode KognicClient.request} also throws {@linkcode HttpError} for answers outside 2xx;
 * {@linkcode KognicClient.json} and {@linkcode KognicClient.get} also parse the JSON and unwrap
 * its `data`.
 *
 * @example Call the Kognic API
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 *
 * const kognic = await createClient(); // credentials from the environment
 * const projects = await kognic.get("/v1/projects");
 * ```
 */
export class KognicClient {
  /** The token provider behind this client, shared with clients of the same credentials. */
  readonly provider: TokenProvider;
  /** The URL relative paths resolve against. */
  readonly baseUrl: URL;
  /** `fetch` with the bearer token, the base URL, the default headers, retries and a timeout. */
  readonly fetch: typeof fetch;

  /**
   * Creates a client over a provider. Most programs use {@linkcode createClient} instead.
   *
   * @param provider The token provider.
   * @param options The base URL, default headers, retries, hooks and `fetch`.
   */
  constructor(provider: TokenProvider, options: AuthFetchOptions = {}) {
    this.provider = provider;
    this.baseUrl = new URL(options.baseUrl ?? DEFAULT_BASE_URL);
    assertSecureUrl(this.baseUrl, "the API", options.allowInsecureHttp);
    this.fetch = createAuthFetch(provider, { ...options, baseUrl: this.baseUrl });
    // The default logger too: failed background refreshes and a failing store are warnings.
    const { onEvent, logger = defaultLogger } = options;
    const listener = tokenEventListener(provider, logger, onEvent);
    provider[SUBSCRIBE_WEAKLY](
      typeof WeakRef === "function" ? new WeakRef(listener) : { deref: () => listener },
    );
    // The provider holds this listener weakly, so that it never keeps a dropped client alive:
    // the client's fetch holds it, so that it is called as long as the client or its fetch is
    // in use (`const { fetch } = …` too).
    Object.defineProperty(this.fetch, LISTENER, { value: listener });
    (globalThis as { [INSTRUMENT_CLIENTS]?: (client: KognicClient) => void })
      [INSTRUMENT_CLIENTS]?.(this);
  }

  /**
   * Sends a request and throws {@linkcode HttpError} when the answer is not 2xx: its status,
   * method, URL without query, the body's `message` field or text (truncated to 500
   * characters), and the `Response`.
   *
   * @example Post JSON
   * ```ts ignore
   * import { createClient } from "@kognic/auth";
   *
   * const kognic = await createClient();
   * await kognic.request("POST", "/v1/things", { json: { name: "a" } });
   * ```
   *
   * @param method The HTTP method.
   * @param path A path relative to the base URL, or an absolute URL.
   * @param options A JSON or raw body, headers, a signal, retry and timeout overrides.
   * @returns The response, its body unread.
   */
  async request(
    method: string,
    path: string | URL,
    options: RequestOptions = {},
  ): Promise<Response> {
    const { json, ...init } = options;
    const url = new URL(path, this.baseUrl);
    let body = init.body;
    let headers = init.headers;
    if (json !== undefined) {
      if (
        typeof json === "string" || json instanceof ArrayBuffer || ArrayBuffer.isView(json) ||
        json instanceof Blob
      ) {
        throw new KognicAuthError(
          "INVALID_OPTIONS",
          "A JSON body must be an object, an array, a number, a boolean or null, not a string or bytes",
        );
      }
      if (body !== undefined) {
        throw new KognicAuthError("INVALID_OPTIONS", "Give either json or body, not both");
      }
      const withType = new Headers(headers);
      if (!withType.has("content-type")) withType.set("Content-Type", "application/json");
      headers = withType;
      body = JSON.stringify(json);
    }
    // The tokens the request went with, so that an error never quotes one the API echoed.
    const sent: string[] = [];
    const response = await this.fetch(url, {
      ...init,
      method,
      headers,
      body,
      [SENT_TOKENS]: sent,
    } as RequestInit);
    if (response.ok) return response;
    throw await (await errors()).httpError(response, method.toUpperCase(), bare(url), sent);
  }

  /**
   * Sends a request, throws {@linkcode HttpError} for answers outside 2xx, parses the JSON
   * answer and returns its `data` (Kognic wraps payloads in `{"data": …}`). An empty answer
   * (such as 204) gives `undefined`.
   *
   * @example Create a thing
   * ```ts ignore
   * import { createClient } from "@kognic/auth";
   *
   * const kognic = await createClient();
   * const created = await kognic.json<{ id: string }>("POST", "/v1/things", {
   *   json: { name: "a" },
   * });
   * ```
   *
   * @typeParam T The type of the payload (not checked).
   * @param method The HTTP method.
   * @param path A path relative to the base URL, or an absolute URL.
   * @param options A JSON or raw body, headers, a signal, `unwrap: false` for the whole body.
   * @returns The payload.
   */
  async json<T = unknown>(
    method: string,
    path: string | URL,
    options: JsonRequestOptions = {},
  ): Promise<T> {
    const { unwrap = true, ...rest } = options;
    const response = await this.request(method, path, rest);
    const text = await response.text();
    if (text.trim() === "") return undefined as T;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw (await errors()).notJson(method, bare(new URL(path, this.baseUrl)), response);
    }
    if (!unwrap) return parsed as T;
    if (isObject(parsed) && "data" in parsed) return parsed.data as T;
    throw (await errors()).noData(method, bare(new URL(path, this.baseUrl)), parsed);
  }

  /**
   * `GET` a path and return the `data` of its JSON answer; see {@linkcode KognicClient.json}.
   *
   * @example List projects
   * ```ts ignore
   * import { createClient } from "@kognic/auth";
   *
   * const kognic = await createClient();
   * const projects = await kognic.get<{ project: string }[]>("/v1/projects");
   * ```
   *
   * @typeParam T The type of the payload (not checked).
   * @param path A path relative to the base URL, or an absolute URL.
   * @param options Headers, a signal, `unwrap: false` for the whole body.
   * @returns The payload.
   */
  get<T = unknown>(path: string | URL, options: JsonRequestOptions = {}): Promise<T> {
    return this.json<T>("GET", path, options);
  }
}

/**
 * Builds a client over a connection (see `connect`) with the options' retries, timeout and
 * hooks.
 *
 * @internal
 */
export function buildClient(
  connection: Connection,
  options: ClientOptions & WithNetwork,
): KognicClient {
  const fetchOptions: AuthFetchOptions & WithNetwork = {
    baseUrl: connection.baseUrl,
    headers: connection.headers,
    fetch: connection.fetch,
    [NETWORK]: options[NETWORK],
    allowInsecureHttp: options.allowInsecureHttp,
    tokenOrigins: options.tokenOrigins,
    retry: options.retry,
    timeout: options.timeout,
    clock: options.clock,
    random: options.random,
    onSunset: options.onSunset,
    onEvent: options.onEvent,
    logger: options.logger,
  };
  return new KognicClient(connection.provider, fetchOptions);
}

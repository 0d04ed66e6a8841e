/**
 * Authenticated requests (SPEC §6): a `fetch`-compatible function that adds the bearer token,
 * and a small client object on top of it.
 *
 * @module
 */
import { HttpError, KognicAuthError } from "./errors.ts";
import { resolveCredentials, type ResolveOptions } from "./resolve.ts";
import { detectRuntime } from "./runtime/mod.ts";
import type { AuthMethod } from "./token_endpoint.ts";
import { type Clock, TokenProvider, type TokenSource, type TokenStore } from "./token_provider.ts";
import { VERSION } from "./version.ts";
import { assertSecureUrl, readText } from "./_util.ts";

/** The default Kognic API base URL. */
export const DEFAULT_BASE_URL = "https://app.kognic.com";
const MAX_REDIRECTS = 20;

/** Options of {@linkcode createAuthFetch}. */
export interface AuthFetchOptions {
  /** The URL relative request URLs are resolved against. */
  baseUrl?: string | URL;
  /** Headers added to every request unless the request sets them. */
  headers?: HeadersInit;
  /** The `fetch` that sends the requests; default the global one. */
  fetch?: typeof fetch;
  /** Allow sending the token over plain `http://` to hosts that are not loopback. */
  allowInsecureHttp?: boolean;
}

type FetchInput = Request | URL | string;

function replayable(input: FetchInput, init?: RequestInit): boolean {
  const body = init?.body;
  if (body === undefined || body === null) {
    return !(input instanceof Request) || input.body === null;
  }
  return typeof body === "string" || body instanceof ArrayBuffer || ArrayBuffer.isView(body) ||
    body instanceof Blob || body instanceof URLSearchParams || body instanceof FormData;
}

/**
 * Wraps `fetch` so that every request carries `Authorization: Bearer <token>` from `tokens`.
 *
 * - When the API answers 401, the token is invalidated (only if it is still current), a new
 *   one is fetched and the request is sent once more — if its body can be sent again (no body,
 *   a string, bytes, a `Blob`, `URLSearchParams` or `FormData`; not a stream). A second 401 is
 *   returned as it came.
 * - Redirects are followed by hand: the token goes along only to the same origin, never to
 *   another one, whatever the runtime's `fetch` would do.
 * - Requests to plain `http://` URLs of hosts that are not loopback are refused, so the token
 *   never travels in clear text, unless `allowInsecureHttp` is set.
 *
 * @example Authenticated fetch
 * ```ts ignore
 * import { createAuthFetch, createClient } from "@kognic/auth";
 *
 * const { provider } = await createClient();
 * const authFetch = createAuthFetch(provider, { baseUrl: "https://app.kognic.com" });
 * const response = await authFetch("/v1/projects");
 * ```
 *
 * @param tokens Where tokens come from, usually a {@linkcode TokenProvider}.
 * @param options The base URL, default headers and the underlying `fetch`.
 * @returns A function with the signature of `fetch`.
 */
export function createAuthFetch(tokens: TokenSource, options: AuthFetchOptions = {}): typeof fetch {
  const base = options.baseUrl === undefined ? undefined : new URL(options.baseUrl);
  // Lower-case names, so a record spread with `authorization` replaces any default of it.
  const defaults: Record<string, string> = Object.fromEntries(new Headers(options.headers));
  const send = options.fetch ?? ((input, init) => fetch(input, init));
  // Hot path: the same string URL is parsed and checked once, not on every request.
  let lastInput: string | undefined;
  let lastUrl: URL | undefined;

  function resolve(input: FetchInput): URL {
    if (typeof input === "string" && input === lastInput) return lastUrl!;
    const url = new URL(input instanceof Request ? input.url : input, base);
    assertSecureUrl(url, "the API", options.allowInsecureHttp);
    if (typeof input === "string") [lastInput, lastUrl] = [input, url];
    return url;
  }

  /** Sends the request, following redirects; says whether the final answer saw the token. */
  async function attempt(
    input: FetchInput,
    init: RequestInit | undefined,
    token: string,
  ): Promise<[Response, boolean]> {
    const url = resolve(input);
    const own = init?.headers ?? (input instanceof Request ? input.headers : undefined);
    let headers: HeadersInit;
    if (own === undefined) {
      // Hot path: runtimes take a plain record in faster than a Headers object.
      headers = { ...defaults, authorization: `Bearer ${token}` };
    } else {
      const merged = new Headers(own);
      for (const name in defaults) if (!merged.has(name)) merged.set(name, defaults[name]);
      merged.set("Authorization", `Bearer ${token}`);
      headers = merged;
    }
    const follow =
      (init?.redirect ?? (input instanceof Request ? input.redirect : "follow")) === "follow";
    // A string is cheaper for the runtime's Request constructor than a URL object.
    const target = input instanceof Request ? input : url.href;
    let response = await send(target, {
      ...init,
      headers,
      redirect: follow ? "manual" : init?.redirect,
    });
    let carried = true;
    for (let hops = 0; follow && isRedirect(response); hops++) {
      const location = response.headers.get("location");
      if (!location) break;
      if (hops === MAX_REDIRECTS) {
        throw new TypeError(`Too many redirects from ${JSON.stringify(url.origin + url.pathname)}`);
      }
      const next = new URL(location, response.url || url);
      const method = (init?.method ?? (input instanceof Request ? input.method : "GET"))
        .toUpperCase();
      const keepBody = response.status === 307 || response.status === 308;
      if (keepBody && !replayable(input, init) && method !== "GET" && method !== "HEAD") {
        break;
      }
      await response.body?.cancel().catch(() => {});
      const nextHeaders = new Headers(headers);
      // The token goes to the origin it was meant for, never to another one.
      carried = next.origin === url.origin;
      if (!carried) nextHeaders.delete("Authorization");
      if (!keepBody) {
        nextHeaders.delete("Content-Type");
        nextHeaders.delete("Content-Length");
      }
      const nextInit: RequestInit = {
        ...init,
        method: keepBody || method === "HEAD" ? method : "GET",
        headers: nextHeaders,
        redirect: "manual",
        body: keepBody ? init?.body : undefined,
      };
      if (input instanceof Request) nextInit.signal ??= input.signal;
      response = await send(next, nextInit);
    }
    return [response, carried];
  }

  return async function authFetch(input: FetchInput, init?: RequestInit): Promise<Response> {
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ??
      undefined;
    const token = await tokens.getToken({ signal });
    const [response, carried] = await attempt(input, init, token);
    if (response.status !== 401 || !carried || !replayable(input, init)) return response;
    tokens.invalidate(token);
    await response.body?.cancel().catch(() => {});
    return (await attempt(input, init, await tokens.getToken({ signal })))[0];
  };
}

function isRedirect(response: Response): boolean {
  return response.status >= 300 && response.status < 400 && response.status !== 304;
}

/** Options of {@linkcode createClient}. */
export interface ClientOptions extends ResolveOptions {
  /** The API base URL that relative paths resolve against; default `https://app.kognic.com`. */
  baseUrl?: string;
  /** The auth host; default `https://auth.app.kognic.com`. */
  authHost?: string;
  /** The token endpoint's path; default `/v1/auth/oauth/token`. */
  tokenPath?: string;
  /** The scopes to ask for; default the credentials' `scopes`. */
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
  /** The clock; default `Date.now` and timers. */
  clock?: Clock;
  /** Where to persist tokens between processes; default none. */
  store?: TokenStore;
  /** Allow plain `http://` to hosts that are not loopback. Default `false`. */
  allowInsecureHttp?: boolean;
}

/** Options of {@linkcode KognicClient.request}. */
export interface RequestOptions extends Omit<RequestInit, "method" | "body"> {
  /** A JSON body: a plain object, array, number, boolean or `null`. Sets `Content-Type`. */
  json?: unknown;
  /** A raw body, when `json` is not given. */
  body?: BodyInit | null;
}

/**
 * An authenticated Kognic API client: {@linkcode KognicClient.fetch} is `fetch` with the bearer
 * token, a base URL and default headers; {@linkcode KognicClient.request} also throws
 * {@linkcode HttpError} for answers outside 2xx.
 *
 * @example Call the Kognic API
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 *
 * const kognic = await createClient(); // credentials from the environment
 * const response = await kognic.request("GET", "/v1/projects");
 * console.log(await response.json());
 * ```
 */
export class KognicClient {
  /** The token provider behind this client. */
  readonly provider: TokenProvider;
  /** The URL relative paths resolve against. */
  readonly baseUrl: URL;
  /** `fetch` with the bearer token, the base URL and the default headers. */
  readonly fetch: typeof fetch;

  /**
   * Creates a client over a provider. Most programs use {@linkcode createClient} instead.
   *
   * @param provider The token provider.
   * @param options The base URL, default headers and `fetch`.
   */
  constructor(provider: TokenProvider, options: AuthFetchOptions = {}) {
    this.provider = provider;
    this.baseUrl = new URL(options.baseUrl ?? DEFAULT_BASE_URL);
    assertSecureUrl(this.baseUrl, "the API", options.allowInsecureHttp);
    this.fetch = createAuthFetch(provider, { ...options, baseUrl: this.baseUrl });
  }

  /**
   * Sends a request and throws {@linkcode HttpError} when the answer is not 2xx.
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
   * @param options A JSON or raw body, headers, a signal.
   * @returns The response, its body unread.
   */
  async request(
    method: string,
    path: string | URL,
    options: RequestOptions = {},
  ): Promise<Response> {
    const { json, ...init } = options;
    const headers = new Headers(init.headers);
    if (json !== undefined) {
      if (typeof json === "string" || json instanceof Uint8Array || json instanceof ArrayBuffer) {
        throw new KognicAuthError(
          "INVALID_OPTIONS",
          "A JSON body must be an object, an array, a number, a boolean or null, not a string or bytes",
        );
      }
      if (!headers.has("content-type")) headers.set("Content-Type", "application/json");
    }
    const body = json !== undefined ? JSON.stringify(json) : init.body;
    const response = await this.fetch(new URL(path, this.baseUrl), {
      ...init,
      method,
      headers,
      body,
    });
    if (response.ok) return response;
    const url = new URL(response.url || new URL(path, this.baseUrl));
    const { text, truncated } = await readText(response, 4096);
    let detail = text;
    try {
      const parsed = JSON.parse(text);
      if (typeof parsed?.message === "string") detail = parsed.message;
    } catch {
      // Not JSON: keep the text.
    }
    if (detail.length > 500) detail = `${detail.slice(0, 500)}…`;
    else if (truncated) detail += "…";
    throw new HttpError({ method, url: url.origin + url.pathname, response, detail });
  }
}

/**
 * Resolves credentials (SPEC §2), checks them, and returns an authenticated client. No token is
 * fetched until the first request.
 *
 * @example Credentials from the environment
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 *
 * const kognic = await createClient();
 * const response = await kognic.fetch("/v1/projects");
 * ```
 *
 * @example Explicit credentials and a local server
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 *
 * const kognic = await createClient({
 *   auth: "~/.config/kognic/credentials.json",
 *   baseUrl: "http://localhost:8080",
 *   authHost: "http://localhost:8080",
 * });
 * ```
 *
 * @param options Where the credentials come from, the hosts and the transport.
 * @returns The client.
 */
export async function createClient(options: ClientOptions = {}): Promise<KognicClient> {
  const runtime = options.runtime ?? await detectRuntime();
  const clock = options.clock;
  const { credentials } = await resolveCredentials({
    ...options,
    runtime,
    now: options.now ?? clock?.now(),
  });
  const fetcher = options.fetch ?? runtime.fetch;
  const agent = [`kognic-auth-js/${VERSION}`];
  if (runtime.version) agent.push(`${runtime.name}/${runtime.version}`);
  if (options.clientName) agent.push(options.clientName);
  const userAgent = agent.join(" ");
  const provider = new TokenProvider({
    credentials,
    authHost: options.authHost,
    tokenPath: options.tokenPath,
    scopes: options.scopes ?? credentials.scopes,
    authMethod: options.authMethod,
    fetch: fetcher,
    headers: { "User-Agent": userAgent },
    clock,
    store: options.store,
    allowInsecureHttp: options.allowInsecureHttp,
  });
  const headers = new Headers({ Accept: "application/json", "User-Agent": userAgent });
  if (options.organizationId !== undefined) {
    headers.set("X-Organization-Id", String(options.organizationId));
  }
  for (const [name, value] of new Headers(options.headers)) headers.set(name, value);
  return new KognicClient(provider, {
    baseUrl: options.baseUrl,
    headers,
    fetch: fetcher,
    allowInsecureHttp: options.allowInsecureHttp,
  });
}

// The bearer core of every authenticated request, shared by the API client
// (src/create_auth_fetch.ts: retries, timeouts, sunset reports) and the edge entry (which
// uses it as it is): the token only on requests to its own origins (the base URL's and those
// listed in `tokenOrigins`; every other request goes out without it and without a token
// request), one resend after a 401, redirects followed by hand so that the token never reaches
// another origin, and no token over plain http.
import { KognicAuthError } from "../errors.ts";
import type { TokenSource } from "../token/provider.ts";
import { assertSecureUrl, quote } from "../_util.ts";
import { networkOf } from "../_transport.ts";

/**
 * A private key of a request's init for the API client (`createAuthFetch`, which takes it out
 * and hands the array to {@linkcode Bearer.send}): the array receives every token the request
 * was sent with (the Hono proxy redacts exactly those from what it passes back). The edge
 * entry's `fetch` never looks for it.
 *
 * @internal
 */
export const SENT_TOKENS: unique symbol = Symbol("kognic-auth.sentTokens");

/** The default Kognic API base URL. */
export const DEFAULT_BASE_URL = "https://app.kognic.com";
const MAX_REDIRECTS = 20;

/** What `fetch` takes as its first argument. */
export type FetchInput = Request | URL | string;

/** The URL without query and fragment, for messages and events. */
export function bare(url: URL): string {
  return url.origin + url.pathname;
}

/** The request's method, upper case. */
export function methodOf(input: FetchInput, init?: RequestInit): string {
  return (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
}

/** Whether the request's body can be sent again: none, or not a stream. */
export function replayable(input: FetchInput, init?: RequestInit): boolean {
  const body = init?.body;
  if (body === undefined || body === null) {
    return !(input instanceof Request) || input.body === null;
  }
  return typeof body === "string" || body instanceof ArrayBuffer || ArrayBuffer.isView(body) ||
    body instanceof Blob || body instanceof URLSearchParams || body instanceof FormData;
}

/** Options of {@linkcode bearerFetch}. */
export interface BearerOptions {
  /** The URL relative request URLs are resolved against. */
  baseUrl?: URL;
  /** Headers added to every request unless the request sets them. */
  headers?: HeadersInit;
  /** The `fetch` that sends the requests; default the runtime's, which applies `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` on Deno, Bun and Node, as they are when the `fetch` is created. */
  fetch?: typeof fetch;
  /** Allow sending the token over plain `http://` to hosts that are not loopback. */
  allowInsecureHttp?: boolean;
  /** More origins than the base URL's that get the token. */
  tokenOrigins?: readonly (string | URL)[];
}

/** The bearer core: `send` one request with its token, and the URL a request goes to. */
export interface Bearer {
  /**
   * Sends a request, with the token if it goes to a token origin; after a 401 for a token that
   * went along and a body that can be sent again, invalidates the token and sends it once more
   * with a new one (unless the provider refused to renew it). `sent` receives every token the
   * request went with; a token request it starts retries out of `budget`, the call's. With
   * `from`, the first hop was sent already, as `send` would have sent it with the token `from[1]`,
   * and answered `from[0]` (a redirect or a 401): `send` takes up from that answer.
   */
  send(
    input: FetchInput,
    init?: RequestInit,
    signal?: AbortSignal,
    sent?: string[],
    budget?: { retries: number },
    from?: [Response, string],
  ): Promise<Response>;
  /** The absolute URL of a request. */
  urlOf(input: FetchInput): URL;
}

/** Creates the bearer core over a token source. */
export function bearerFetch(tokens: TokenSource, options: BearerOptions): Bearer {
  const base = options.baseUrl;
  const defaults: Record<string, string> = Object.fromEntries(new Headers(options.headers));
  // Only ever the token of this library, and only where it belongs.
  delete defaults.authorization;
  const send = options.fetch ?? networkOf(options).fetch();
  const origins = tokenOrigins(base, options.tokenOrigins, options.allowInsecureHttp);
  const ours = (url: URL) => origins.has(url.origin);

  // Hot path: a repeated string URL is parsed once (the URL objects are never changed), and
  // whether it may be sent (its scheme) and gets the token (its origin) decided once.
  let last: [string, URL] | undefined;
  let checked: [URL, boolean] | undefined;
  let record: [string | undefined, Record<string, string>] | undefined;
  function urlOf(input: FetchInput): URL {
    if (last?.[0] === input) return last[1];
    const url = new URL(input instanceof Request ? input.url : input, base);
    if (typeof input === "string") last = [input, url];
    return url;
  }

  return {
    urlOf,
    async send(
      input,
      init,
      signal = init?.signal ?? (input instanceof Request ? input.signal : undefined),
      sent,
      budget,
      from,
    ) {
      const url = urlOf(input);
      if (checked?.[0] !== url) {
        assertSecureUrl(url, "the API", options.allowInsecureHttp);
        checked = [url, ours(url)];
      }
      // Another origin: no token, no token request, no renewal after a 401. The budget is
      // TokenProvider's, unknown to other token sources.
      let token = from
        ? from[1]
        : checked[1]
        ? await tokens.getToken({ signal, budget } as { signal?: AbortSignal })
        : undefined;
      const own = init?.headers ?? (input instanceof Request ? input.headers : undefined);
      const follow =
        (init?.redirect ?? (input instanceof Request ? input.redirect : "follow")) === "follow";
      for (let renewed = false;; renewed = true) {
        if (token) sent?.push(token);
        // A plain record (runtimes take it in faster than a Headers object), lower-case names:
        // the caller's headers win over the defaults, the token over both. Without the caller's
        // own, one frozen record for every request with the same token: Bun and Deno read a
        // record built per request several microseconds slower.
        let headers = !own && record && record[0] === token ? record[1] : undefined;
        if (!headers) {
          headers = { ...defaults, ...(own && Object.fromEntries(new Headers(own))) };
          if (token) headers.authorization = `Bearer ${token}`;
          if (!own) record = [token, Object.freeze(headers)];
        }
        // The first hop (a string is cheaper for the runtime's Request constructor than a URL
        // object); a redirect is followed by hand below.
        let response = from && !renewed ? from[0] : await send(
          input instanceof Request ? input : url.href,
          { ...init, headers, redirect: follow ? "manual" : init?.redirect, signal },
        );
        let carried = !!token;
        // Redirects, followed by hand.
        if (follow && isRedirect(response)) {
          // What the next hop sends: a 303 (or a 301/302 after a POST) turns the request into a
          // GET without a body for every hop after it.
          const hopHeaders = new Headers(headers);
          let method = methodOf(input, init);
          let body = init?.body;
          let current = url;
          for (let hops = 0; isRedirect(response); hops++) {
            const location = response.headers.get("location");
            if (!location) break;
            if (hops === MAX_REDIRECTS) {
              throw new KognicAuthError(
                "TOO_MANY_REDIRECTS",
                `${quote(bare(url))} redirected more than ${MAX_REDIRECTS} times`,
                { source: bare(url) },
              );
            }
            const next = new URL(location, response.url || current);
            // As fetch does: only http and https (Deno's and Bun's fetch would read a file:
            // URL).
            assertSecureUrl(next, "the API", options.allowInsecureHttp);
            // As the Fetch standard does: a 303 turns anything but GET and HEAD into a GET, a 301
            // or 302 turns only a POST into one; every other redirect keeps the method and the
            // body.
            const toGet = (response.status === 303 && method !== "GET" && method !== "HEAD") ||
              ((response.status === 301 || response.status === 302) && method === "POST");
            if (!toGet && !replayable(input, init) && method !== "GET" && method !== "HEAD") break;
            await response.body?.cancel().catch(() => {});
            if (toGet) {
              method = "GET";
              body = undefined;
              hopHeaders.delete("Content-Type");
              hopHeaders.delete("Content-Length");
            }
            // The token goes to a hop only if it is a token origin, and once dropped it stays
            // dropped; a caller's own Authorization, as fetch does, only to the same origin.
            if (token ? !ours(next) : next.origin !== current.origin) {
              carried = false;
              hopHeaders.delete("Authorization");
            }
            response = await send(next, {
              ...init,
              method,
              headers: hopHeaders,
              redirect: "manual",
              body,
              signal,
            });
            current = next;
          }
        }
        if (renewed || response.status !== 401 || !carried || !replayable(input, init)) {
          return response;
        }
        tokens.invalidate(token!);
        const next = await tokens.getToken({ signal, budget } as { signal?: AbortSignal });
        // The provider would not renew it (a renewal after a 401 was too recent): the answer
        // as it came.
        if (next === token) return response;
        await response.body?.cancel().catch(() => {});
        token = next;
      }
    },
  };
}

/**
 * The origins the token goes to: the base URL's (default Kognic's) and the listed ones, each
 * an http or https origin (scheme, host and optional port; no path, query, user or wildcard);
 * plain http only for loopback hosts unless `allowInsecureHttp` is set.
 */
function tokenOrigins(
  base: URL | undefined,
  listed: readonly (string | URL)[] = [],
  allowInsecureHttp?: boolean,
): Set<string> {
  // The default base URL is an origin as it is written.
  const origins = new Set([base?.origin ?? DEFAULT_BASE_URL]);
  // Not an array: an entry that is not a URL either.
  for (const entry of Array.isArray(listed) ? listed : [0]) {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      // Refused below.
    }
    // An origin and nothing else: a path, a query, a user (whose password the message hides)
    // or a wildcard would otherwise be dropped or match nothing, silently.
    if (url?.href !== url?.origin + "/" || !/^https?:\/\/[^*]+$/.test(url!.origin)) {
      throw new KognicAuthError(
        "INVALID_OPTIONS",
        `The tokenOrigins option lists ${
          quote(String(entry).replace(/.*@/, "***@"))
        }, not an origin such as "https://eu.app.kognic.com": list each origin, no wildcard`,
      );
    }
    assertSecureUrl(url, "the API", allowInsecureHttp);
    origins.add(url.origin);
  }
  return origins;
}

function isRedirect(response: Response): boolean {
  return response.status >= 300 && response.status < 400 && response.status !== 304;
}

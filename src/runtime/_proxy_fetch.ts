// The `fetch` of the Deno, Bun and Node adapters: direct requests where no proxy is configured
// (the usual case), and otherwise the proxy layer of ./_proxy.ts, loaded on the first request
// that may need it. Apart from that layer so that a program without a proxy never loads it (nor,
// through it, the classifier of failed requests). Private to src/runtime/.
import { KognicAuthError } from "../errors.ts";
import { lazily } from "../_util.ts";

/** Reads an environment variable. */
export type EnvReader = (name: string) => string | undefined;

/** How an adapter sends requests: directly, or through one proxy. */
export interface ProxyTransport {
  /**
   * Reads the environment, when {@linkcode proxyAwareFetch} makes a `fetch`; a throwing reader
   * counts as an empty environment.
   */
  env: EnvReader;
  /**
   * Sends a request directly, ignoring any proxy in the environment; with `ca` (PEM), trusting
   * that CA too.
   */
  direct(input: Request | URL | string, init?: RequestInit, ca?: string): Promise<Response>;
  /**
   * Where given, a `fetch` that sends directly as {@linkcode ProxyTransport.direct} does without
   * a CA, taken once per `fetch` made without a proxy: one call per request fewer. It must
   * reject, never throw.
   */
  directFetch?(): typeof fetch;
  /**
   * Returns a `fetch` that sends every request through `proxy` (credentials in its URL), chosen
   * by `source` (a variable's name or {@linkcode PROXY_OPTION}); with `ca` (PEM), trusting that
   * CA too. Called once per distinct proxy URL; the result is reused.
   */
  through(proxy: URL, source: string, ca?: string): typeof fetch | Promise<typeof fetch>;
}

// Lower case first: where both are set, the lower-case one wins (curl, Python, undici, Bun).
/** The proxy variables per scheme, in the order they are read. */
export const VARIABLES: Record<string, readonly string[]> = {
  "http:": ["http_proxy", "HTTP_PROXY"],
  "https:": ["https_proxy", "HTTPS_PROXY"],
};
/** Every proxy variable, for adapters that must hide them from their runtime's own handling. */
export const PROXY_VARIABLES: readonly string[] = [...VARIABLES["http:"], ...VARIABLES["https:"]];
/** The `NO_PROXY` variables. */
export const NO_PROXY_VARIABLES: readonly string[] = ["no_proxy", "NO_PROXY"];
/** Every variable a proxied `fetch` keeps: the proxies' first, then `NO_PROXY`'s. */
export const ALL_VARIABLES: readonly string[] = [...PROXY_VARIABLES, ...NO_PROXY_VARIABLES];

/** The option's name in messages. */
export const PROXY_OPTION = "the proxy option";

/** A reader that treats a throwing `env` (no permission to read the environment) as empty. */
function readSafely(env: EnvReader): EnvReader {
  return (name) => {
    try {
      return env(name);
    } catch {
      return undefined; // No permission to read the environment: no proxy from it.
    }
  };
}

/** `decodeURIComponent` that leaves malformed escapes as they are. */
export function decodeUserinfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * A proxy URL with its password replaced by `***`, for messages. It works on text that does not
 * parse: everything up to the last `@` counts as user information, and without a `:` in it all
 * of it is hidden.
 */
export function redactProxyUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)?(.*)@/is, (_, scheme = "", userinfo: string) => {
    const colon = userinfo.indexOf(":");
    return `${scheme}${colon < 0 ? "***" : `${userinfo.slice(0, colon)}:***`}@`;
  });
}

/**
 * Parses a proxy URL. A value without a scheme (`proxy.corp:3128`) means `http://`. Throws
 * `PROXY_INVALID` naming `source` and the value without its password.
 */
export function parseProxyUrl(text: string, source: string): URL {
  const value = text.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL | undefined;
  try {
    url = new URL(withScheme);
  } catch {
    // Reported below.
  }
  const problem = !url || !url.hostname
    ? "not a valid URL"
    : url.protocol !== "http:" && url.protocol !== "https:"
    ? `unsupported protocol "${url.protocol}" (use http:// or https://)`
    : undefined;
  if (problem || !url) {
    throw new KognicAuthError(
      "PROXY_INVALID",
      `Proxy URL from ${source} is ${problem}: ${JSON.stringify(redactProxyUrl(value))}`,
      { source },
    );
  }
  return url;
}

/** The functions proxyAwareFetch made, per transport, explicit proxy, CA and variables' values. */
const madeFor = new WeakMap<ProxyTransport, Map<string, typeof fetch>>();

/**
 * Builds an adapter's `fetch`: each request goes through the proxy that `selectProxy` of
 * ./_proxy.ts chooses for its URL, or directly. `explicit` overrides the environment; `ca` (PEM)
 * is a CA to trust besides the runtime's own.
 *
 * Without `explicit`, the proxy variables are read here, once, and the returned `fetch` keeps
 * using those values, as undici's `EnvHttpProxyAgent` (at construction) and Node's
 * `NODE_USE_ENV_PROXY` (at startup) do; Python's `requests` reads them per request instead. A
 * later change of the variables applies to the `fetch` made after it. The choice per request
 * URL (its scheme, `NO_PROXY`) is still made per request, and kept per origin. With no proxy
 * variable set, every request goes directly and the proxy layer is never loaded; otherwise it
 * is loaded on the first request (one import shared by concurrent first requests, tried again
 * on the next request if it failed).
 */
export function proxyAwareFetch(
  transport: ProxyTransport,
  explicit?: string,
  ca?: string,
): typeof fetch {
  const values = explicit === undefined ? ALL_VARIABLES.map(readSafely(transport.env)) : [];
  // One function per transport, proxy and variables' values: a fetch's identity is part of what
  // makes clients share a token provider, and each function opens its own proxy connections.
  let made = madeFor.get(transport);
  if (!made) madeFor.set(transport, made = new Map());
  const key = JSON.stringify([explicit ?? null, ca ?? null, ...values]);
  const known = made.get(key);
  if (known) return known;
  let send: typeof fetch;
  // A proxy variable counts as set as selectProxy reads it: not blank once trimmed.
  if (explicit === undefined && !values.slice(0, PROXY_VARIABLES.length).some((v) => v?.trim())) {
    // Not async: a direct request is the transport's own promise, without a further step.
    send = (!ca && transport.directFetch?.()) || function directFetch(input, init) {
      try {
        return transport.direct(input, init, ca);
      } catch (error) {
        // As fetch does: a rejected promise, never a throw.
        return Promise.reject(error);
      }
    };
  } else {
    if (explicit !== undefined) parseProxyUrl(explicit, PROXY_OPTION);
    const snapshot = new Map(ALL_VARIABLES.map((name, i) => [name, values[i]]));
    const env: EnvReader = (name) => snapshot.get(name);
    let proxied: typeof fetch | undefined;
    const load = lazily(() =>
      import("./_proxy.ts").then((layer) =>
        proxied = layer.proxiedFetch(transport, env, explicit, ca)
      )
    );
    send = function proxyAware(input, init) {
      return proxied ? proxied(input, init) : load().then((ready) => ready(input, init));
    };
  }
  made.set(key, send);
  return send;
}

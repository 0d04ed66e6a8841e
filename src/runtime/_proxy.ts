// Proxy selection shared by the Deno, Bun and Node adapters: matching NO_PROXY, choosing the
// proxy for a target URL, and wrapping a runtime's proxied fetch so its failures name the proxy
// and never its password. Pure: Web APIs only. Loaded by ./_proxy_fetch.ts on the first request
// where a proxy is configured. Private to src/runtime/.
import { KognicAuthError } from "../errors.ts";
import {
  decodeUserinfo,
  type EnvReader,
  NO_PROXY_VARIABLES,
  parseProxyUrl,
  PROXY_OPTION,
  type ProxyTransport,
  redactProxyUrl,
  VARIABLES,
} from "./_proxy_fetch.ts";
import { capitalize, describeError, final, redact } from "../_util.ts";
import {
  hostPort,
  networkFailure,
  networkKind,
  portOf,
  PROXY_HINT,
  tunnelStatus,
} from "./network_failure.ts";

/** The proxy chosen for one request and where the choice came from. */
export interface ProxyChoice {
  /** The proxy URL, credentials included. */
  url: URL;
  /** What configured it: an environment variable's name, or `the proxy option`. */
  source: string;
}

function first(env: EnvReader, names: readonly string[]): [string, string] | undefined {
  for (const name of names) {
    const value = env(name)?.trim();
    if (value) return [name, value];
  }
  return undefined;
}

function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
}

/**
 * Whether `NO_PROXY` exempts `target` from the proxy. Entries are separated by commas or
 * spaces and match case-insensitively: `*` matches everything; `example.com` and
 * `.example.com` match that host and every subdomain (as curl and Python do); an IP address
 * matches itself (IPv6 with or without brackets); any entry may end in `:port` to match only
 * that port.
 */
export function bypassesProxy(target: URL, noProxy: string): boolean {
  const host = hostOf(target);
  const port = portOf(target);
  for (const raw of noProxy.toLowerCase().split(/[\s,]+/)) {
    let entry = raw;
    if (!entry) continue;
    if (entry === "*") return true;
    let entryPort: string | undefined;
    const bracketed = /^\[(.*)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1];
      entryPort = bracketed[2];
    } else if (/^[^:]*:\d+$/.test(entry)) {
      [entry, entryPort] = entry.split(":");
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    entry = entry.replace(/^\*?\./, "").replace(/\.$/, "");
    if (!entry) continue;
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/**
 * Chooses the proxy for `target`: the explicit proxy when one is given (for every URL, whatever
 * the environment says), else `https_proxy`/`HTTPS_PROXY` for `https:` URLs and
 * `http_proxy`/`HTTP_PROXY` for `http:` URLs unless `no_proxy`/`NO_PROXY` exempts the target.
 * Returns `undefined` for a direct connection. Throws `PROXY_INVALID` for a bad proxy URL.
 */
export function selectProxy(
  target: URL,
  env: EnvReader,
  explicit?: string,
): ProxyChoice | undefined {
  if (explicit !== undefined) {
    return { url: parseProxyUrl(explicit, PROXY_OPTION), source: PROXY_OPTION };
  }
  const names = VARIABLES[target.protocol];
  const found = names && first(env, names);
  if (!found) return undefined;
  const noProxy = first(env, NO_PROXY_VARIABLES);
  if (noProxy && bypassesProxy(target, noProxy[1])) return undefined;
  return { url: parseProxyUrl(found[1], found[0]), source: found[0] };
}

// Failures to open a connection to the proxy, as Node (undici), Deno and Bun word them.
const UNREACHABLE =
  /ECONNREFUSED|ConnectionRefused|Connection refused|ENOTFOUND|EAI_AGAIN|getaddrinfo|dns error|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|Unable to connect|tcp connect|FailedToOpenSocket/i;

/**
 * A message with the proxy's URL, password or lone user name hidden, and the Basic credentials
 * made of them.
 */
export function scrub(text: string, proxy: URL): string {
  // The URL as a runtime may print it (with or without the final slash), then the password, or
  // a user name that stands alone (redactProxyUrl hides that too).
  for (const url of [proxy.href, proxy.href.replace(/\/$/, "")]) {
    text = text.split(url).join(redactProxyUrl(url));
  }
  return redact(text, proxySecrets(proxy), "***");
}

/**
 * The password (or a lone user name) as written and decoded, and the Basic credentials a
 * runtime builds from the URL (decoded, as UTF-8, in base64).
 */
function proxySecrets(proxy: URL): string[] {
  const secret = proxy.password || proxy.username;
  if (!secret) return [];
  const pair = `${decodeUserinfo(proxy.username)}:${decodeUserinfo(proxy.password)}`;
  return [
    secret,
    decodeUserinfo(secret),
    btoa(String.fromCharCode(...new TextEncoder().encode(pair))),
  ];
}

/**
 * `PROXY_AUTH_REQUIRED`: the proxy answered 407, or 401 (as tinyproxy does). Never names the
 * user or the password.
 */
export function proxyAuthError(choice: ProxyChoice, target: URL, status = 407): KognicAuthError {
  const proxy = `Proxy "${hostPort(choice.url)}" (from ${choice.source})`;
  const given = choice.url.username || choice.url.password;
  return new KognicAuthError(
    "PROXY_AUTH_REQUIRED",
    `${proxy} answered ${
      status === 401 ? "401 Unauthorized" : "407 Proxy Authentication Required"
    } for a request to ${JSON.stringify(target.origin)}: ${
      given
        ? "it refused the user name and password in its URL"
        : "it wants a user name and password"
    }; ${PROXY_HINT}`,
    { source: choice.source },
  );
}

/**
 * Turns a failure of a request sent through `choice` into `PROXY_AUTH_REQUIRED` (the proxy
 * answered 407 or 401), `TLS_CERTIFICATE` (the target's certificate, or an `https://` proxy's
 * own, is not trusted), `PROXY_UNREACHABLE` (no connection to the proxy) or `PROXY_FAILED`
 * (anything else), naming the proxy's host and port, where it was configured and the target,
 * never the proxy's password. A tunnel the proxy refused is final (see `networkKind`), whatever
 * the code: only a 502, 503 or 504 from the proxy, or a failure without an answer, is worth
 * another attempt. The original error is not kept as `cause`: runtimes may print the proxy URL,
 * password included.
 */
export function proxyError(error: unknown, choice: ProxyChoice, target: URL): KognicAuthError {
  const kind = networkKind(error);
  const status = tunnelStatus(error);
  if (kind === "PROXY_AUTH_REQUIRED") return proxyAuthError(choice, target, status || 407);
  const proxy = `proxy "${hostPort(choice.url)}" (from ${choice.source})`;
  const to = JSON.stringify(target.origin);
  if (kind === "TLS_CERTIFICATE") {
    return networkFailure(error, {
      subject: `Request to ${to} through ${proxy}`,
      url: target,
      tlsProxy: choice.url.protocol === "https:" ? choice.url : undefined,
      fallback: "PROXY_FAILED",
      secrets: [choice.url.href, ...proxySecrets(choice.url)],
      keepCause: false,
    }).error;
  }
  const detail = scrub(describeError(error), choice.url);
  if (kind === "PROXY_REFUSED") {
    return final(
      new KognicAuthError(
        "PROXY_FAILED",
        `${capitalize(proxy)} refused the tunnel to ${to} ${
          status
            ? `with ${status}`
            : "and the runtime does not say why (a wrong or missing password, a host the " +
              `proxy denies, or a failure of the proxy); if it wants credentials, ${PROXY_HINT}`
        }; not retried: ${detail}`,
        { source: choice.source },
      ),
    );
  }
  return UNREACHABLE.test(detail)
    ? new KognicAuthError(
      "PROXY_UNREACHABLE",
      `Cannot reach ${proxy} for a request to ${to}: ${detail}`,
      { source: choice.source },
    )
    : new KognicAuthError(
      "PROXY_FAILED",
      `Request to ${to} through ${proxy} failed: ${detail}`,
      { source: choice.source },
    );
}

/** Decisions kept per origin before the cache starts over (a client talks to a handful). */
const ORIGINS = 64;

/**
 * The `fetch` that {@linkcode proxyAwareFetch} of ./_proxy_fetch.ts makes where a proxy may be
 * used: each request goes through the proxy {@linkcode selectProxy} chooses for its URL (from
 * `env`, the variables as they were read there, or `explicit`), or directly. The choice per
 * request URL is made per request, and kept per origin.
 */
export function proxiedFetch(
  transport: ProxyTransport,
  env: EnvReader,
  explicit?: string,
  ca?: string,
): typeof fetch {
  const opened = new Map<string, Promise<typeof fetch>>();
  // The choice per origin (scheme, host, port: all selectProxy looks at); `null` is direct.
  const choices = new Map<string, ProxyChoice | null>();
  const choose = (target: URL): ProxyChoice | undefined => {
    const origin = `${target.protocol}//${target.host}`;
    let choice = choices.get(origin);
    if (choice === undefined) {
      if (choices.size >= ORIGINS) choices.clear();
      choices.set(origin, choice = selectProxy(target, env, explicit) ?? null);
    }
    return choice ?? undefined;
  };
  // A repeated URL string (the API client sends the same one again and again) is parsed once,
  // and its proxy chosen once.
  let last: [string, URL, ProxyChoice | undefined] | undefined;
  // Not async: a direct request (the usual one) is the transport's own promise, without a
  // further step.
  const proxied: typeof fetch = function proxiedFetch(input, init) {
    try {
      const href = input instanceof Request ? input.url : input;
      let target: URL;
      let choice: ProxyChoice | undefined;
      if (last?.[0] === href) [, target, choice] = last;
      else {
        target = new URL(href);
        choice = choose(target);
        if (typeof href === "string") last = [href, target, choice];
      }
      return choice ? viaProxy(choice, target, input, init) : transport.direct(input, init, ca);
    } catch (error) {
      // As fetch does: a rejected promise, never a throw.
      return Promise.reject(error);
    }
  };
  async function viaProxy(
    proxy: ProxyChoice,
    target: URL,
    input: Request | URL | string,
    init: RequestInit | undefined,
  ): Promise<Response> {
    let send = opened.get(proxy.url.href);
    if (!send) {
      send = Promise.resolve().then(() => transport.through(proxy.url, proxy.source, ca));
      opened.set(proxy.url.href, send);
      send.catch(() => opened.delete(proxy.url.href));
    }
    const sender = await send;
    let response: Response;
    try {
      response = await sender(input, init);
    } catch (error) {
      const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
      if (signal?.aborted || error instanceof KognicAuthError) throw error;
      throw proxyError(error, proxy, target);
    }
    // Only a proxy answers 407; where the runtime hands it over as an answer (plain http through
    // Deno's and Bun's proxies), it fails the same way as a refused tunnel.
    if (response.status === 407) {
      await response.body?.cancel().catch(() => {});
      throw proxyAuthError(proxy, target);
    }
    return response;
  }
  return proxied;
}

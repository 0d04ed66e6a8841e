// The part of named environments that needs no runtime (no files, no environment variables):
// the document's shape and checks, and choosing an environment by name or by URL. The edge
// entries import this module alone; ./environments.ts adds reading the file.
import { KognicAuthError } from "../errors.ts";
import { DEFAULT_AUTH_HOST } from "./credentials.ts";
import { isLoopback, isObject, quote } from "../_util.ts";

/** One named environment of `environments.json`. */
export interface Environment {
  /** The environment's name; `"default"` for the built-in one. */
  name: string;
  /** The API host, such as `app.kognic.com`; URLs on it or its subdomains choose this environment. */
  host: string;
  /** The auth server URL, such as `https://auth.app.kognic.com`. */
  authServer: string;
  /**
   * A credentials file path (`~` already expanded) or `keyring://PROFILE`; `undefined` means the
   * usual sources (`KOGNIC_CREDENTIALS`, `KOGNIC_CLIENT_ID`/`KOGNIC_CLIENT_SECRET`, the keyring).
   */
  credentials?: string;
  /** The scopes to ask for; empty for none. */
  scopes: string[];
}

/** The contents of `environments.json`. */
export interface EnvironmentsConfig {
  /** The environment used when no host matches. */
  defaultEnvironment?: string;
  /** The environments by name, in file order. */
  environments: Record<string, Environment>;
}

/** The environment used when nothing is configured: Kognic's production hosts. */
export const DEFAULT_ENVIRONMENT: Readonly<Environment> = Object.freeze({
  name: "default",
  host: "app.kognic.com",
  authServer: DEFAULT_AUTH_HOST,
  credentials: undefined,
  scopes: [],
});

/** `source`: `file "<path>"`, or `binding <NAME>` on the edge. */
export function invalid(source: string, detail: string, cause?: unknown): KognicAuthError {
  return new KognicAuthError(
    "ENVIRONMENTS_INVALID",
    `Environments ${source} is invalid: ${detail}`,
    { source, cause },
  );
}

/**
 * Checks and converts an `environments.json` document, as text or parsed; `source` names it in
 * errors. `expand` expands `~` in credentials paths (the edge passes none: it reads no files).
 *
 * @internal
 */
export function parseEnvironments(
  document: unknown,
  source: string,
  expand: (path: string) => string = (path) => path,
): EnvironmentsConfig {
  const path = source;
  let data = document;
  if (typeof document === "string") {
    try {
      data = JSON.parse(document);
    } catch (error) {
      throw invalid(path, `not valid JSON: ${(error as Error).message}`);
    }
  }
  if (!isObject(data)) throw invalid(path, "the document is not a JSON object");
  const raw = data.environments ?? {};
  if (!isObject(raw)) throw invalid(path, '"environments" is not an object');
  const environments: Record<string, Environment> = {};
  for (const [name, entry] of Object.entries(raw)) {
    if (!isObject(entry)) throw invalid(path, `environment ${quote(name)} is not an object`);
    for (const key of ["host", "auth_server"]) {
      if (typeof entry[key] !== "string") {
        throw invalid(path, `environment ${quote(name)} needs a string ${quote(key)}`);
      }
    }
    let credentials = entry.credentials;
    if (credentials !== undefined && credentials !== null && typeof credentials !== "string") {
      throw invalid(path, `environment ${quote(name)} has a "credentials" that is not a string`);
    }
    if (typeof credentials === "string" && credentials && !credentials.startsWith("keyring://")) {
      credentials = expand(credentials);
    }
    const scopes = entry.scopes ?? [];
    if (!Array.isArray(scopes) || scopes.some((scope) => typeof scope !== "string")) {
      throw invalid(path, `environment ${quote(name)} has "scopes" that are not strings`);
    }
    environments[name] = {
      name,
      host: entry.host as string,
      authServer: entry.auth_server as string,
      credentials: (credentials as string | null | undefined) || undefined,
      scopes: [...scopes],
    };
  }
  const defaultEnvironment = data.default_environment;
  return {
    ...(typeof defaultEnvironment === "string" ? { defaultEnvironment } : {}),
    environments,
  };
}

/**
 * The environment `name` of a configuration read from `source`, or `ENVIRONMENT_NOT_FOUND`
 * naming the environments `source` defines.
 *
 * @internal
 */
export function namedEnvironment(
  config: EnvironmentsConfig,
  name: string,
  source: string,
): Environment {
  if (Object.hasOwn(config.environments, name)) return config.environments[name];
  const known = Object.keys(config.environments).map((key) => quote(key)).join(", ");
  throw new KognicAuthError(
    "ENVIRONMENT_NOT_FOUND",
    `Unknown environment ${quote(name)}: the environments ${source} ` +
      (known ? `defines ${known}` : "defines none (a missing file defines none)"),
    { source: name },
  );
}

/**
 * The options an environment sets, under the options given: the API base URL
 * (`https://<host>`, `http://` for a loopback host), the auth host and the scopes (when it lists any); and, where `files` is
 * true, its credentials unless the options name some.
 *
 * @internal
 */
export function environmentOptions<T extends ClientOptionsLike>(
  environment: Environment,
  options: T,
  files: boolean,
): T {
  const given = options.auth !== undefined || options.clientId !== undefined ||
    options.clientSecret !== undefined;
  return {
    ...options,
    baseUrl: options.baseUrl ?? baseUrlOf(environment.host),
    authHost: options.authHost ?? environment.authServer,
    scopes: options.scopes ?? (environment.scopes.length ? environment.scopes : undefined),
    ...(files && !given && environment.credentials ? { auth: environment.credentials } : {}),
  };
}

/**
 * The API base URL of an environment's host: `https://<host>`, or `http://<host>` for a
 * loopback host (a local test server), which the library allows plain http for.
 */
function baseUrlOf(host: string): string {
  const url = `https://${host}`;
  try {
    return isLoopback(new URL(url)) ? `http://${host}` : url;
  } catch {
    return url; // Not a host: reported where the URL is used.
  }
}

/** What {@linkcode environmentOptions} reads and sets. */
interface ClientOptionsLike {
  auth?: unknown;
  clientId?: string;
  clientSecret?: string;
  baseUrl?: string | URL;
  authHost?: string;
  scopes?: readonly string[];
}

/**
 * Chooses the environment for a URL, the way the Python tools do: an explicit name (unknown →
 * `ENVIRONMENT_NOT_FOUND`), then an exact host match, then a subdomain match
 * (`x.app.kognic.com` matches `app.kognic.com`), then `default_environment`, then
 * {@linkcode DEFAULT_ENVIRONMENT}.
 *
 * @example Choose by URL
 * ```ts
 * import { chooseEnvironment } from "@kognic/auth/core";
 *
 * const config = {
 *   environments: {
 *     demo: {
 *       name: "demo",
 *       host: "demo.kognic.com",
 *       authServer: "https://auth.demo.kognic.com",
 *       scopes: [],
 *     },
 *   },
 * };
 * console.log(chooseEnvironment(config, "https://api.demo.kognic.com/v1/projects").name); // demo
 * console.log(chooseEnvironment(config, "https://app.kognic.com/v1/projects").name); // default
 * ```
 *
 * @param config The configuration from {@linkcode loadEnvironments}.
 * @param url The URL to be called, if any.
 * @param name An explicit environment name, if any.
 * @returns The environment.
 */
export function chooseEnvironment(
  config: EnvironmentsConfig,
  url?: string | URL,
  name?: string,
): Environment {
  const environments = Object.values(config.environments);
  if (name) {
    const named = Object.hasOwn(config.environments, name) ? config.environments[name] : undefined;
    if (!named) {
      const known = Object.keys(config.environments).map((key) => quote(key)).join(", ");
      throw new KognicAuthError(
        "ENVIRONMENT_NOT_FOUND",
        `Unknown environment ${quote(name)}: ` +
          (known ? `environments.json defines ${known}` : "environments.json defines none"),
        { source: name },
      );
    }
    return named;
  }
  const host = url === undefined ? "" : hostnameOf(String(url));
  if (host) {
    const exact = environments.find((environment) => environment.host === host);
    if (exact) return exact;
    const parent = environments.find((environment) => host.endsWith(`.${environment.host}`));
    if (parent) return parent;
  }
  const fallback = config.defaultEnvironment;
  if (fallback && Object.hasOwn(config.environments, fallback)) {
    return config.environments[fallback];
  }
  return { ...DEFAULT_ENVIRONMENT, scopes: [] };
}

/**
 * The host name of a URL as Python's `urllib.parse.urlparse(url).hostname` gives it (which is
 * what Python `kognic-auth` matches environments with): as written, lower-cased, without
 * brackets around an IPv6 literal; no WHATWG normalization (`127.1` stays `127.1`, an IDN host
 * is not turned into punycode). Empty when the URL has no `//host` part.
 */
function hostnameOf(url: string): string {
  // urlsplit drops leading C0 controls and spaces, and tabs and newlines anywhere.
  // deno-lint-ignore no-control-regex
  const text = url.replace(/^[\x00-\x20]+/, "").replace(/[\t\r\n]/g, "");
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.exec(text);
  const rest = scheme ? text.slice(scheme[0].length) : text;
  if (!rest.startsWith("//")) return "";
  const netloc = rest.slice(2).split(/[/?#]/, 1)[0];
  const hostPort = netloc.slice(netloc.lastIndexOf("@") + 1);
  const host = hostPort.includes("[")
    ? hostPort.slice(hostPort.indexOf("[") + 1).split("]", 1)[0]
    : hostPort.split(":", 1)[0];
  return host.toLowerCase();
}

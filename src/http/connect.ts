// What every client is made of: for credentials already resolved, the `User-Agent`, the
// default headers, the transport and the token provider. createClient and the edge entries use
// it. Not part of the public API.
import type { Credentials } from "../credentials/credentials.ts";
import type { Runtime } from "../runtime/mod.ts";
import type { TokenProvider } from "../token/provider.ts";
import { sharedTokenProvider } from "../token/shared.ts";
import type { InternalOptions } from "../token/types.ts";
import { COORDINATE } from "../token/keys.ts";
import type { WithNetwork } from "../_transport.ts";
import { VERSION } from "../version.ts";
import { assertSecureUrl } from "../_util.ts";
import { DEFAULT_BASE_URL } from "./auth_fetch.ts";
import type { ClientOptions } from "./client.ts";

/** What a client is made of. */
export interface Connection {
  /** The token provider, shared with every client of the same options. */
  provider: TokenProvider;
  /** The API base URL. */
  baseUrl: URL;
  /** The headers of every API request: `Accept`, `User-Agent` and those of the options. */
  headers: Headers;
  /** The transport: the option's `fetch` or the runtime's. */
  fetch: typeof fetch;
}

/**
 * For credentials already resolved: the `User-Agent`, the default headers, the transport (the
 * option's `fetch` or the runtime's) and the token provider shared with every other client of
 * the same options.
 */
export function connect(
  credentials: Credentials,
  runtime: Runtime,
  options: ClientOptions,
  provider: (options: InternalOptions & WithNetwork) => TokenProvider = sharedTokenProvider,
): Connection {
  const fetch = options.fetch ?? runtime.fetch;
  const userAgent = [
    `kognic-auth-js/${VERSION}`,
    runtime.version && `${runtime.name}/${runtime.version}`,
    options.clientName,
  ].filter(Boolean).join(" ");
  const tokens = provider({
    credentials,
    authHost: options.authHost,
    tokenPath: options.tokenPath,
    scopes: options.scopes,
    authMethod: options.authMethod,
    fetch,
    headers: { "User-Agent": userAgent },
    clock: options.clock,
    store: options.store,
    allowInsecureHttp: options.allowInsecureHttp,
    // The lease coordination, where the options bring it.
    [COORDINATE]: (options as InternalOptions)[COORDINATE],
  });
  const headers = new Headers({ Accept: "application/json", "User-Agent": userAgent });
  if (options.organizationId !== undefined) {
    headers.set("X-Organization-Id", `${options.organizationId}`);
  }
  for (const [name, value] of new Headers(options.headers)) headers.set(name, value);
  const baseUrl = new URL(options.baseUrl ?? DEFAULT_BASE_URL);
  assertSecureUrl(baseUrl, "the API", options.allowInsecureHttp);
  return { provider: tokens, baseUrl, headers, fetch };
}

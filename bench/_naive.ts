// The hand-written alternative the benchmarks compare with: a token cache on top of
// oauth4webapi's client-credentials functions, as many programs write it — it reuses the token
// until shortly before it expires, but has no single flight (every caller that finds the cache
// empty or stale asks for its own token) and no background refresh.
import * as oauth from "oauth4webapi";

/** Options of {@linkcode naiveAuthFetch}. */
export interface NaiveOptions {
  /** The token endpoint URL. */
  tokenUrl: string;
  /** The API base URL. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Transport for both the token endpoint and the API. */
  fetch: typeof fetch;
  /** The clock, in epoch milliseconds. */
  now: () => number;
}

/** A `fetch(path)` that adds a bearer token from a cache without single flight. */
export function naiveAuthFetch(options: NaiveOptions): (path: string) => Promise<Response> {
  const tokenUrl = new URL(options.tokenUrl);
  const as: oauth.AuthorizationServer = {
    issuer: tokenUrl.origin,
    token_endpoint: tokenUrl.href,
  };
  const client: oauth.Client = { client_id: options.clientId };
  const auth = oauth.ClientSecretPost(options.clientSecret);
  const requestOptions = {
    [oauth.customFetch]: options.fetch,
    [oauth.allowInsecureRequests]: tokenUrl.protocol === "http:",
  };
  let cached: { token: string; validUntil: number } | undefined;

  async function token(): Promise<string> {
    if (cached && options.now() < cached.validUntil) return cached.token;
    const started = options.now();
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      auth,
      new URLSearchParams(),
      requestOptions,
    );
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    const lifetime = (result.expires_in ?? 3600) * 1000;
    // Stop using the token a little before it expires (a quarter of its life, at most 30 s).
    cached = {
      token: result.access_token,
      validUntil: started + lifetime - Math.min(30_000, lifetime / 4),
    };
    return cached.token;
  }

  return async (path) =>
    options.fetch(new URL(path, options.baseUrl), {
      headers: { Accept: "application/json", Authorization: `Bearer ${await token()}` },
    });
}

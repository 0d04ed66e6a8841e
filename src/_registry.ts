// Token reuse across the requests of an isolate, for the edge entry. Private: not part of the API.
//
// Where a promise may be awaited by any request (Deno Deploy, Supabase, Vercel edge, Node, Bun),
// clients share one token provider per credentials, auth host, token path, scopes and
// authentication method: one token request in flight however many requests wait, background
// refresh. workerd (Cloudflare Workers) ends a request's I/O with the request: a token request
// started by one request and awaited by the next never settles there, and a background refresh
// is cancelled half-way. So on workerd each client gets a provider of its own, and the token
// itself is shared through an isolate-wide store in front of the caller's store (such as KV).
import type { StoredToken, TokenStore } from "./token_provider.ts";
import { TokenProvider, type TokenProviderOptions } from "./token_provider.ts";

const providers = new Map<string, TokenProvider>();
const tokens = new Map<string, StoredToken>();

/** An isolate-wide token store in front of `next`: reads fall through, writes go to both. */
function isolateStore(next?: TokenStore): TokenStore {
  return {
    async load(key) {
      return tokens.get(key) ?? await next?.load(key);
    },
    async save(key, token) {
      tokens.set(key, token);
      await next?.save(key, token);
    },
  };
}

/**
 * Returns a provider for `options` that reuses tokens across the requests of the isolate: the
 * provider already made for the same credentials, auth host, token path, scopes and
 * authentication method (whose other options — fetch, clock, store — are the first caller's),
 * or on workerd a new provider over the isolate-wide token store.
 */
export function sharedProvider(options: TokenProviderOptions): TokenProvider {
  if (globalThis.navigator?.userAgent === "Cloudflare-Workers") {
    return new TokenProvider({ ...options, store: isolateStore(options.store) });
  }
  const { credentials } = options;
  // The key stays in memory only; the secret is part of it so that rotated credentials with the
  // same id get a provider of their own.
  const key = JSON.stringify([
    (options.authHost ?? "").replace(/\/+$/, ""),
    options.tokenPath,
    credentials.clientId,
    credentials.clientSecret,
    [...options.scopes ?? []].sort(),
    options.authMethod,
  ]);
  let provider = providers.get(key);
  if (!provider) providers.set(key, provider = new TokenProvider(options));
  return provider;
}

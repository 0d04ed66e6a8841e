// One token provider per credentials, auth host, token path, scopes and authentication method
// for the life of a process or isolate. Private: the edge entry uses it; not part of the API.
import { TokenProvider, type TokenProviderOptions } from "./token_provider.ts";

const providers = new Map<string, TokenProvider>();

/**
 * Returns the provider already made for the same credentials, auth host, token path, scopes and
 * authentication method, or makes one from `options` and keeps it. The first caller's other
 * options (fetch, clock, store) are the ones the shared provider keeps.
 */
export function sharedProvider(options: TokenProviderOptions): TokenProvider {
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

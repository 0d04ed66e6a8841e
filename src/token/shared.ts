// One token provider per (credentials, auth host, token path, scopes, transport) for as long as
// anybody uses it: every client with the same options shares its token and its single token
// request. Private: the clients' connection (src/http/connect.ts) uses it; nothing else needs to.
import { TokenProvider, type TokenProviderOptions } from "./provider.ts";
import type { InternalOptions } from "./types.ts";
import { DEFAULT_AUTH_HOST, DEFAULT_TOKEN_PATH } from "./endpoint.ts";
import { NETWORK, type WithNetwork } from "../_transport.ts";

interface Ref {
  deref(): TokenProvider | undefined;
}

const providers = new Map<string, Ref>();
// Where the runtime can tell us that a provider was collected, its entry goes too.
const finalizer = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry<string>((key) => {
    if (!providers.get(key)?.deref()) providers.delete(key);
  })
  : undefined;

// Objects (fetch, clock, store) are part of the key by identity: two clients that talk to
// different servers through different `fetch` functions must not share tokens.
const ids = new WeakMap<object, number>();
let nextId = 0;
function idOf(value: object | undefined): number {
  if (value === undefined) return 0;
  let id = ids.get(value);
  if (id === undefined) ids.set(value, id = ++nextId);
  return id;
}

/**
 * The part of a provider's registry key that its options' values make: the client id and
 * secret, the auth host, the token path, the scopes, the authentication method and the
 * identities of `fetch`, `clock` and the network (the store's is added by the registry).
 */
export function providerKey(options: TokenProviderOptions & WithNetwork): unknown[] {
  const { credentials } = options;
  return [
    credentials.clientId,
    credentials.clientSecret,
    options.authHost ?? DEFAULT_AUTH_HOST,
    options.tokenPath ?? DEFAULT_TOKEN_PATH,
    options.scopes, // undefined (the credentials' own scopes) is null in the JSON key
    credentials.scopes,
    options.authMethod ?? "client_secret_post",
    options.allowInsecureHttp ?? false,
    idOf(options.fetch),
    idOf(options.clock),
    idOf(options[NETWORK]),
  ];
}

/**
 * Returns the live provider for these options, or creates one. The key (kept in memory only) is
 * {@linkcode providerKey} and the store's identity. Providers are held weakly: one that no
 * client references any more can be collected.
 */
export function sharedTokenProvider(options: InternalOptions & WithNetwork): TokenProvider {
  const key = JSON.stringify([...providerKey(options), idOf(options.store)]);
  const live = providers.get(key)?.deref();
  if (live) return live;
  const provider = new TokenProvider(options);
  providers.set(key, new WeakRef(provider));
  finalizer?.register(provider, key);
  return provider;
}

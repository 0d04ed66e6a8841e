// One token provider per (credentials, auth host, token path, scopes, transport) for as long as
// anybody uses it (SPEC §6, DESIGN property 4). Private: createClient and the edge entry point
// use it; nothing else needs to.
import { TokenProvider, type TokenProviderOptions } from "./token_provider.ts";
import { DEFAULT_AUTH_HOST, DEFAULT_TOKEN_PATH } from "./token_endpoint.ts";

interface Ref {
  deref(): TokenProvider | undefined;
}

const providers = new Map<string, Ref>();
// Where the runtime can tell us that a provider was collected, its entry goes too; without
// WeakRef (every supported runtime has it) providers would live as long as the isolate.
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

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Returns the live provider for these options, or creates one. The key holds the client id, a
 * SHA-256 of the secret (never the secret), the auth host, the token path, the scopes, the
 * authentication method and the identities of `fetch`, `clock` and `store`. The registry holds
 * providers weakly: a provider that no client references any more can be collected.
 */
export async function sharedTokenProvider(options: TokenProviderOptions): Promise<TokenProvider> {
  const { credentials } = options;
  const key = JSON.stringify([
    credentials.clientId,
    await sha256Hex(credentials.clientSecret),
    (options.authHost ?? DEFAULT_AUTH_HOST).replace(/\/+$/, ""),
    options.tokenPath ?? DEFAULT_TOKEN_PATH,
    options.scopes ?? [],
    options.authMethod ?? "client_secret_post",
    options.allowInsecureHttp ?? false,
    idOf(options.fetch),
    idOf(options.clock),
    idOf(options.store),
  ]);
  const live = providers.get(key)?.deref();
  if (live) return live;
  const provider = new TokenProvider(options);
  if (typeof WeakRef === "function") {
    providers.set(key, new WeakRef(provider));
    finalizer?.register(provider, key);
  } else {
    providers.set(key, { deref: () => provider });
  }
  return provider;
}

// One token provider per (credentials, auth host, token path, scopes, transport) for as long as
// anybody uses it, and what every client is made of. Private:
// createClient and the edge entries use it; nothing else needs to.
//
// workerd (Cloudflare Workers) ends a request's I/O with the request: a token request started
// by one request and awaited by the next never settles there, and a background refresh is
// cancelled half-way. So on workerd every client gets a provider of its own, and the token is
// shared through an isolate-wide store in front of the caller's store (such as KV).
import {
  deadlines,
  type Renewals,
  type StoredToken,
  type TokenEvent,
  TokenProvider,
  type TokenProviderOptions,
  type TokenStore,
} from "./token_provider.ts";
import { DEFAULT_AUTH_HOST, DEFAULT_TOKEN_PATH } from "./token_endpoint.ts";
import { DEFAULT_BASE_URL } from "./auth_fetch.ts";
import type { ClientOptions } from "./client.ts";
import type { Credentials } from "./credentials.ts";
import type { Runtime } from "./runtime/mod.ts";
import { VERSION } from "./version.ts";
import { assertSecureUrl, sleep } from "./_util.ts";

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

/** On workerd: the latest token of each registry key, for the whole isolate. */
const isolateTokens = new Map<string, StoredToken>();
/** On workerd: which request's store is fetching a key's token, and until when others wait (ms). */
const fetching = new Map<string, { by: object; until: number }>();
/** On workerd: the renewal limit of each key, so that a 401 loop spans requests too. */
const renewals = new Map<string, Renewals>();
/** On workerd: until when nobody waits after a key's last token request failed (ms). */
const failed = new Map<string, number>();
/**
 * How long a request waits for another request's token before it asks for one itself: as long
 * as the provider's lease on a token request lasts (a token endpoint may take seconds).
 */
const WAIT = 10_000;
/** How long after a failed token request nobody waits (each asks, as without the store). */
const FAILED_WAIT = 2_000;
/** The most keys whose tokens an isolate keeps (a worker may make a `fetch` per request). */
const MAX_KEYS = 64;

/**
 * An isolate-wide token store in front of `next`: writes go to both; a read takes the isolate's
 * copy until its expiry margin (by the provider's rule, {@linkcode deadlines}) and otherwise
 * asks `next`, where another isolate may have left a newer token. While another request of the
 * isolate is fetching the token, the provider waits for it before a read (up to 10 s; a wait,
 * not a store call, so not bounded by the store's 2 s): a request cannot await another
 * request's promise on workerd, but it can watch a map, so a burst of cold requests makes one
 * token request, not one each. A request cancelled while it fetches leaves the others waiting
 * those 10 s; a failed token request lets them go at once.
 */
function isolateStore(
  shared: string,
  now: () => number,
  next: TokenStore | undefined,
): TokenStore & { listener(event: TokenEvent): void } {
  const self = {};
  // Until its expiry margin, as the provider takes a stored token without asking for one. (Up
  // to its refresh time only, a request that read a token inside the leeway from `next` kept
  // its claim: the others waited 2 s for a token nobody asked for.)
  const fresh = (token?: StoredToken) =>
    typeof token?.access_token === "string" && typeof token.expires_at === "number" &&
    now() < deadlines(token, now())[1];
  const release = () => fetching.get(shared)?.by === self && fetching.delete(shared);
  return {
    async wait() {
      // Waits while another request's claim lasts (not for this request's own: with a lease it
      // reads `next` again before asking; without a claim `until` is undefined, and no time is
      // before it). Then, with no await since that look, so that of a burst only the first
      // claims: this request reads `next` and, without a fresh token there, asks for one; the
      // others wait. Not after a failure, and not for a server whose tokens do not say when
      // they expire (the provider takes no such token from a store).
      for (let claim, copy; !fresh(copy = isolateTokens.get(shared)); await sleep(10)) {
        if ((claim = fetching.get(shared))?.by === self || !(Date.now() < claim?.until!)) {
          if (
            !(Date.now() < failed.get(shared)!) && (!copy || typeof copy.expires_at == "number")
          ) {
            fetching.set(shared, { by: self, until: Date.now() + WAIT });
          }
          return;
        }
      }
    },
    async load(key) {
      const copy = isolateTokens.get(shared);
      if (fresh(copy)) return copy;
      const token = (await next?.load(key)) ?? copy;
      if (fresh(token)) {
        isolateTokens.set(shared, token!);
        release();
      }
      return token;
    },
    async save(key, token) {
      isolateTokens.delete(shared);
      isolateTokens.set(shared, token);
      if (isolateTokens.size > MAX_KEYS) isolateTokens.delete(isolateTokens.keys().next().value!);
      fetching.delete(shared);
      failed.delete(shared);
      await next?.save(key, token);
    },
    // Between isolates, the lease of `next` (such as a Durable Object's) decides who asks.
    lease: next?.lease?.bind(next),
    release: next?.release?.bind(next),
    // A failed token request lets the requests that wait for it go on at once, all of them.
    listener(event) {
      if (event.type !== "token_error") return;
      failed.set(shared, Date.now() + FAILED_WAIT);
      release();
    },
  };
}

/**
 * Returns the live provider for these options, or creates one. The key (kept in memory only)
 * holds the client id and secret, the auth host, the token path, the scopes, the authentication
 * method and the identities of `fetch`, `clock` and `store`. Providers are held weakly: one that
 * no client references any more can be collected. On workerd, see above.
 */
export function sharedTokenProvider(options: TokenProviderOptions): TokenProvider {
  const { credentials } = options;
  const parts = [
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
  ];
  // WebSocketPair is a global of workerd alone, whatever the compatibility date (navigator.userAgent
  // says "Cloudflare-Workers" only from 2022-03-21 on).
  if (typeof (globalThis as { WebSocketPair?: unknown }).WebSocketPair === "function") {
    // Without the store's identity: a worker makes its KV store anew on every request, and
    // every request's store still gets the token, through `next`.
    const clock = options.clock;
    const shared = JSON.stringify(parts);
    const store = isolateStore(shared, () => clock ? clock.now() : Date.now(), options.store);
    let limit = renewals.get(shared);
    if (!limit) {
      renewals.set(shared, limit = [-Infinity, 0]);
      if (renewals.size > MAX_KEYS) renewals.delete(renewals.keys().next().value!);
    }
    const provider = new TokenProvider({ ...options, store, renewals: limit });
    provider.subscribe(store.listener);
    return provider;
  }
  const key = JSON.stringify([...parts, idOf(options.store)]);
  const live = providers.get(key)?.deref();
  if (live) return live;
  const provider = new TokenProvider(options);
  // Every runtime that reaches this has WeakRef (workerd, where old compatibility dates lack it,
  // took the branch above).
  providers.set(key, new WeakRef(provider));
  finalizer?.register(provider, key);
  return provider;
}

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
): Connection {
  const fetch = options.fetch ?? runtime.fetch;
  const agent = [`kognic-auth-js/${VERSION}`];
  if (runtime.version) agent.push(`${runtime.name}/${runtime.version}`);
  if (options.clientName) agent.push(options.clientName);
  const userAgent = agent.join(" ");
  const provider = sharedTokenProvider({
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
  });
  const headers = new Headers({ Accept: "application/json", "User-Agent": userAgent });
  if (options.organizationId !== undefined) {
    headers.set("X-Organization-Id", String(options.organizationId));
  }
  for (const [name, value] of new Headers(options.headers)) headers.set(name, value);
  const baseUrl = new URL(options.baseUrl ?? DEFAULT_BASE_URL);
  assertSecureUrl(baseUrl, "the API", options.allowInsecureHttp);
  return { provider, baseUrl, headers, fetch };
}

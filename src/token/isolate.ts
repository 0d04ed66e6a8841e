// Cloudflare Workers: one provider per client, the token shared through the isolate. workerd
// ends a request's I/O with the request: a token request started by one request and awaited by
// the next never settles there, and a background refresh is cancelled half-way. So on workerd
// every client gets a provider of its own, and the token is shared through an isolate-wide
// store in front of the caller's store (such as KV). Used by the edge entries and the Hono shell
// through http/edge_connect.ts; not part of the public API.
import { TokenProvider } from "./provider.ts";
import {
  type InternalOptions,
  type InternalStore,
  RENEWALS,
  type Renewals,
  type StoredToken,
  type TokenEvent,
  type TokenProviderOptions,
  type TokenStore,
  WAIT,
} from "./types.ts";
import { providerKey, sharedTokenProvider } from "./shared.ts";
import { usable } from "./expiry.ts";
import { sleep } from "../_util.ts";

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
const CLAIM_WAIT = 10_000;
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
): InternalStore & { listener(event: TokenEvent): void } {
  const self = {};
  // Until its expiry margin, as the provider takes a stored token without asking for one.
  const fresh = (token?: StoredToken) => usable(token, now());
  const release = () => fetching.get(shared)?.by === self && fetching.delete(shared);
  return {
    async [WAIT]() {
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
            fetching.set(shared, { by: self, until: Date.now() + CLAIM_WAIT });
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
 * The provider of an edge client: on workerd (the only runtime with a `WebSocketPair` global,
 * whatever the compatibility date) a provider of its own over the isolate's store, elsewhere
 * the provider shared by every client of the same options.
 */
export function edgeTokenProvider(options: TokenProviderOptions): TokenProvider {
  if (typeof (globalThis as { WebSocketPair?: unknown }).WebSocketPair !== "function") {
    return sharedTokenProvider(options);
  }
  // Without the store's identity: a worker makes its KV store anew on every request, and every
  // request's store still gets the token, through `next`.
  const clock = options.clock;
  const shared = JSON.stringify(providerKey(options));
  const store = isolateStore(shared, () => clock ? clock.now() : Date.now(), options.store);
  let limit = renewals.get(shared);
  if (!limit) {
    renewals.set(shared, limit = [-Infinity, 0]);
    if (renewals.size > MAX_KEYS) renewals.delete(renewals.keys().next().value!);
  }
  const internal: InternalOptions = { ...options, store, [RENEWALS]: limit };
  const provider = new TokenProvider(internal);
  provider.subscribe(store.listener);
  return provider;
}

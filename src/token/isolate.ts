// Cloudflare Workers: one provider per client, the token shared through the isolate. workerd
// ends a request's I/O with the request: a token request started by one request and awaited by
// the next never settles there, and a background refresh is cancelled half-way. So on workerd
// every client gets a provider of its own, and the token is shared through an isolate-wide
// store in front of the caller's store (such as KV). Used by the edge entries and the Hono shell
// through http/edge_connect.ts; not part of the public API.
import { COORDINATE, RENEWALS, WAIT } from "./types.ts";
import { TokenProvider } from "./provider.ts";
import type {
  Clock,
  InternalOptions,
  InternalStore,
  Renewals,
  StoredToken,
  TokenEvent,
  TokenProviderOptions,
  TokenStore,
} from "./types.ts";
import { providerKey, sharedTokenProvider } from "./shared.ts";
import { usable } from "./expiry.ts";
import { sleep } from "../_util.ts";

/**
 * On workerd, for each registry key: the latest token, the request whose store is fetching it
 * and until when others wait for that, until when nobody waits after its last token request
 * failed (ms, by the provider's clock), and the renewal limit, so that a 401 loop spans
 * requests too. The most recently used keys, at most {@linkcode MAX_KEYS}.
 */
const isolate = new Map<string, Entry>();
interface Entry {
  token?: StoredToken;
  by?: object;
  until?: number;
  failed?: number;
  renewals: Renewals;
}
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
  entry: Entry,
  clock: Clock,
  next: TokenStore | undefined,
): InternalStore & { listener(event: TokenEvent): void } {
  const self = {};
  // Until its expiry margin, as the provider takes a stored token without asking for one.
  const fresh = (token?: StoredToken) => usable(token, clock.now());
  const release = () => entry.by === self && (entry.by = entry.until = undefined);
  return {
    async [WAIT]() {
      // Waits while another request's claim lasts (not for this request's own: with a lease it
      // reads `next` again before asking; without a claim `until` is undefined, and no time is
      // before it). Then, with no await since that look, so that of a burst only the first
      // claims: this request reads `next` and, without a fresh token there, asks for one; the
      // others wait. Not after a failure, and not for a server whose tokens do not say when
      // they expire (the provider takes no such token from a store).
      // The pauses are counted too: a clock that does not move (a frozen test clock) cannot
      // keep a request waiting longer than CLAIM_WAIT's worth of them (1,000 of 10 ms).
      for (
        let copy, pauses = 0;
        !fresh(copy = entry.token);
        await (clock.sleep?.(10) ?? sleep(10))
      ) {
        const now = clock.now();
        if (entry.by === self || !(now < entry.until!) || ++pauses > 1e3) {
          if (!(now < entry.failed!) && (!copy || typeof copy.expires_at == "number")) {
            entry.by = self;
            entry.until = now + CLAIM_WAIT;
          }
          return;
        }
      }
    },
    async load(key) {
      const copy = entry.token;
      if (fresh(copy)) return copy;
      const token = (await next?.load(key)) ?? copy;
      if (fresh(token)) {
        entry.token = token;
        release();
      }
      return token;
    },
    async save(key, token) {
      entry.token = token;
      entry.by = entry.until = entry.failed = undefined;
      await next?.save(key, token);
    },
    // Between isolates, the lease of `next` (such as a Durable Object's) decides who asks.
    lease: next?.lease?.bind(next),
    release: next?.release?.bind(next),
    [COORDINATE]: (next as InternalStore | undefined)?.[COORDINATE],
    // A failed token request lets the requests that wait for it go on at once, all of them.
    listener(event) {
      if (event.type !== "token_error") return;
      entry.failed = clock.now() + FAILED_WAIT;
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
  const shared = JSON.stringify(providerKey(options));
  const entry: Entry = isolate.get(shared) ?? { renewals: [-Infinity, 0] };
  // Most recently used last; the least recently used goes beyond MAX_KEYS.
  isolate.delete(shared);
  isolate.set(shared, entry);
  if (isolate.size > MAX_KEYS) isolate.delete(isolate.keys().next().value!);
  const store = isolateStore(entry, options.clock ?? { now: () => Date.now() }, options.store);
  const provider = new TokenProvider(
    { ...options, store, [RENEWALS]: entry.renewals } as InternalOptions,
  );
  provider.subscribe(store.listener);
  return provider;
}

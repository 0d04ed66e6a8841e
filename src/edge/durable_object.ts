/**
 * One token request per rotation for every isolate of a Cloudflare Worker. Workers KV has no
 * atomic operation, so it cannot say who fetches the next token; a Durable Object can: one
 * object per cache key holds the token and the lease on the token request, and the isolates
 * ask it. Export {@linkcode KognicTokenCoordinator} from the worker, bind it, and pass
 * {@linkcode durableObjectTokenStore} as the `store`.
 *
 * @example A Worker whose isolates share one token
 * ```ts
 * import { edgeFetch } from "@kognic/auth/edge";
 * import {
 *   type DurableObjectNamespaceLike,
 *   durableObjectTokenStore,
 *   KognicTokenCoordinator,
 * } from "@kognic/auth/edge/durable-object";
 *
 * // wrangler.toml:
 * //   [[durable_objects.bindings]]
 * //   name = "KOGNIC_TOKENS"
 * //   class_name = "KognicTokenCoordinator"
 * //   [[migrations]]
 * //   tag = "v1"
 * //   new_classes = ["KognicTokenCoordinator"]
 * interface Env {
 *   KOGNIC_CLIENT_ID: string;
 *   KOGNIC_CLIENT_SECRET: string;
 *   KOGNIC_TOKENS: DurableObjectNamespaceLike;
 * }
 * const worker = {
 *   fetch(_request: Request, env: Env): Promise<Response> {
 *     const kognicFetch = edgeFetch(env, { store: durableObjectTokenStore(env.KOGNIC_TOKENS) });
 *     return kognicFetch("/v1/projects");
 *   },
 * };
 * // The worker's entry module ends with:
 * //   export default worker;
 * //   export { KognicTokenCoordinator };
 * void worker;
 * void KognicTokenCoordinator;
 * ```
 *
 * @module
 */
import type { StoredToken, TokenStore } from "../token/provider.ts";
import { coordinate } from "../token/coordinate.ts";
import { COORDINATE, type InternalStore } from "../token/types.ts";
import { KognicAuthError } from "../errors.ts";

/**
 * The part of a Durable Object namespace binding the store needs.
 *
 * @example The binding of the worker's environment
 * ```ts ignore
 * import type { DurableObjectNamespaceLike } from "@kognic/auth/edge/durable-object";
 *
 * interface Env {
 *   KOGNIC_TOKENS: DurableObjectNamespaceLike;
 * }
 * ```
 */
export interface DurableObjectNamespaceLike {
  /**
   * The id of the object for a name.
   *
   * @param name The name.
   * @returns The id.
   */
  idFromName(name: string): unknown;
  /**
   * A stub that talks to the object.
   *
   * @param id The object's id.
   * @returns The stub.
   */
  get(id: never): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/**
 * Options of {@linkcode durableObjectTokenStore}.
 *
 * @example Objects named per application
 * ```ts ignore
 * import { durableObjectTokenStore } from "@kognic/auth/edge/durable-object";
 *
 * const store = durableObjectTokenStore(env.KOGNIC_TOKENS, { prefix: "billing:" });
 * ```
 */
export interface DurableObjectTokenStoreOptions {
  /** Put before every cache key to name the object; default `"kognic-auth:"`. */
  prefix?: string;
}

/** What the store asks the coordinator. */
interface Ask {
  op: "load" | "save" | "lease" | "release";
  owner?: string;
  ttl?: number;
  token?: StoredToken;
}

/**
 * The Durable Object that coordinates one cache key's token requests: it holds the key's token
 * (in memory: after an eviction the next token request fills it again) and the lease on the
 * token request. Export it from the worker under this name and bind it (see the module's
 * example). It answers only the worker's own stubs; it never calls out.
 *
 * @example Export it from the worker's entry module
 * ```ts ignore
 * export { KognicTokenCoordinator } from "@kognic/auth/edge/durable-object";
 * ```
 */
export class KognicTokenCoordinator {
  #token?: StoredToken;
  #lease?: { owner: string; until: number };

  /**
   * Called by the runtime; holds nothing of the state or the bindings.
   *
   * @param _state The object's state (unused).
   * @param _env The worker's bindings (unused).
   */
  constructor(_state?: unknown, _env?: unknown) {}

  /**
   * Answers {@linkcode durableObjectTokenStore}: `load`, `save`, `lease` and `release`, as JSON.
   *
   * @param request A POST with the operation as JSON.
   * @returns The operation's result as JSON.
   */
  async fetch(request: Request): Promise<Response> {
    const { op, owner, ttl, token } = await request.json() as Ask;
    const now = Date.now();
    let result: unknown = null;
    if (op === "load") {
      const at = this.#token?.expires_at;
      result = typeof at === "number" && now < at * 1000 ? this.#token : null;
    } else if (op === "save") {
      this.#token = token;
    } else if (op === "lease") {
      // One request at a time runs in an object: the check and the take are one step.
      const held = this.#lease;
      result = !held || held.until <= now || held.owner === owner;
      if (result) this.#lease = { owner: owner!, until: now + ttl! };
    } else if (this.#lease?.owner === owner) {
      this.#lease = undefined;
    }
    return Response.json(result);
  }
}

/**
 * Creates a {@linkcode TokenStore} that asks a {@linkcode KognicTokenCoordinator}: one object
 * per cache key (named `prefix + cache key`), which holds the token and the lease, so that of
 * all isolates only one asks the token endpoint at a time, and a burst of cold requests makes
 * one token request.
 *
 * @example Pass it as the store of edgeFetch
 * ```ts ignore
 * import { edgeFetch } from "@kognic/auth/edge";
 * import { durableObjectTokenStore } from "@kognic/auth/edge/durable-object";
 *
 * const kognicFetch = edgeFetch(env, { store: durableObjectTokenStore(env.KOGNIC_TOKENS) });
 * ```
 *
 * @param namespace The Durable Object namespace binding of {@linkcode KognicTokenCoordinator}.
 * @param options A prefix for the objects' names.
 * @returns The store.
 */
export function durableObjectTokenStore(
  namespace: DurableObjectNamespaceLike,
  options: DurableObjectTokenStoreOptions = {},
): TokenStore {
  const prefix = options.prefix ?? "kognic-auth:";
  const ask = async (key: string, body: Ask) => {
    const stub = namespace.get(namespace.idFromName(prefix + key) as never);
    const response = await stub.fetch("https://kognic-token-coordinator/", {
      method: "POST",
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      throw new KognicAuthError(
        "TOKEN_STORE_FAILED",
        `The token coordinator answered ${response.status}`,
      );
    }
    return response.json();
  };
  const store: InternalStore = {
    name: "durable-object",
    // The lease coordination comes with the store: edgeFetch carries none of its own.
    [COORDINATE]: coordinate,
    async load(key) {
      return (await ask(key, { op: "load" })) ?? undefined;
    },
    async save(key, token) {
      await ask(key, { op: "save", token });
    },
    async lease(key, owner, ttl) {
      return (await ask(key, { op: "lease", owner, ttl })) === true;
    },
    async release(key, owner) {
      await ask(key, { op: "release", owner });
    },
  };
  return store;
}

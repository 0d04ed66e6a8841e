/**
 * Hono middleware that puts an authenticated Kognic client on the context.
 *
 * @module
 */
import type { KognicClient } from "../http/client.ts";
import {
  BINDINGS,
  type ClientSource as SourceOf,
  clientSource,
  type ClientSourceOptions,
} from "../http/client_source.ts";

/** The Hono environment the middleware sets up: `c.var.kognic` is the client. */
export type KognicEnv = { Variables: { kognic: KognicClient } };

/**
 * What these handlers use of a Hono request context; Hono's `Context` has all of it. (Typed
 * structurally so that this module names no Hono type: any Hono 4 version fits.)
 */
export interface HonoContext {
  /** The request. */
  req: {
    /** The request URL. */
    url: string;
    /** The request as a web `Request`. */
    raw: Request;
    /**
     * Reads a request header.
     *
     * @param name The header's name.
     * @returns Its value, if present.
     */
    header(name: string): string | undefined;
  };
  /** The bindings: a Workers `env`, or what the runtime's adapter puts there. */
  env?: unknown;
}

/** What the middleware needs in addition: setting a context variable. */
export interface HonoVariablesContext extends HonoContext {
  /**
   * Sets a context variable.
   *
   * @param key `"kognic"`.
   * @param value The client.
   */
  set(key: "kognic", value: KognicClient): void;
}

/**
 * A Hono handler or middleware.
 *
 * @typeParam C The context type, Hono's `Context`.
 */
export type HonoHandler<C> = (c: C, next: () => Promise<void>) => Promise<Response | void>;

/**
 * Where the client of a request comes from: a client, or a function of the request's context.
 *
 * @typeParam C The context type, Hono's `Context`.
 */
export type ClientSource<C = HonoContext> = SourceOf<C>;

/**
 * Options of {@linkcode kognicClient}: the client, a function of the request's context that
 * returns it, or the options of the default client. That default is, on Cloudflare Workers, a
 * client from the bindings (`c.env`, as `edgeClient(c.env)` of `@kognic/auth/edge/client`
 * makes it), and on Deno, Bun and Node one client from `createClient` (the environment, files
 * and keyring), made on the first request and reused.
 *
 * @typeParam C The context type, Hono's `Context`.
 */
export interface KognicClientOptions<C = HonoContext> extends ClientSourceOptions<C> {}

/**
 * Creates middleware that sets `c.var.kognic` to an authenticated Kognic client. The token is
 * fetched on the first API call and reused by every later request that gets the same client.
 * Without a `client` option the credentials come from the bindings on Cloudflare Workers and
 * from the environment elsewhere; when there are none, the `CREDENTIALS_NOT_FOUND` error says
 * which it looked at.
 *
 * @example On Deno, Bun or Node, credentials from the environment
 * ```ts
 * import { Hono } from "hono";
 * import { kognicClient, type KognicEnv } from "@kognic/auth/hono";
 *
 * const app = new Hono<KognicEnv>();
 * app.use("/projects", kognicClient());
 * app.get("/projects", async (c) => {
 *   const response = await c.var.kognic.request("GET", "/v1/projects");
 *   return c.json(await response.json());
 * });
 * ```
 *
 * @example On Cloudflare Workers, credentials from the bindings
 * ```ts
 * import { Hono } from "hono";
 * import { kognicClient, type KognicEnv } from "@kognic/auth/hono";
 *
 * // KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET are secrets of the worker (wrangler secret put).
 * const app = new Hono<KognicEnv>();
 * app.use(kognicClient());
 * ```
 *
 * @typeParam C The context type, Hono's `Context`.
 * @param options The client, a factory, or the options of `createClient`.
 * @returns The middleware.
 */
export function kognicClient<C extends HonoVariablesContext = HonoVariablesContext>(
  options: KognicClientOptions<C> = {},
): HonoHandler<C> {
  const get = clientSource<C>({ ...options, [BINDINGS]: (c) => c.env });
  return async (c, next) => {
    c.set("kognic", await get(c));
    await next();
  };
}

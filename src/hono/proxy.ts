/**
 * The authenticating proxy of `@kognic/auth/proxy` as a Hono handler.
 *
 * @module
 */
import { createKognicProxy, type KognicProxyOptions as Options } from "../http/proxy.ts";
import { BINDINGS, type WithBindings } from "../http/client_source.ts";
import type { HonoContext, HonoHandler } from "./middleware.ts";

/**
 * Options of {@linkcode kognicProxy}: those of the framework-neutral proxy, with Hono's context
 * for the access check and a client factory.
 *
 * @typeParam C The context type, Hono's `Context`.
 */
export interface KognicProxyOptions<C = HonoContext> extends Options<C> {}

/**
 * Creates a Hono handler that forwards requests to the Kognic API with the bearer token added:
 * the proxy of `createKognicProxy` (see there for what it forwards and refuses), given Hono's
 * request and context.
 *
 * @example Let browsers with a session call two Kognic APIs through `/kognic/*`
 * ```ts
 * import { Hono } from "hono";
 * import { kognicProxy } from "@kognic/auth/hono";
 *
 * const sessions = new Set<string>(); // filled at sign-in
 * const app = new Hono();
 * app.all(
 *   "/kognic/*",
 *   kognicProxy({
 *     access: (c) => sessions.has(c.req.header("cookie") ?? ""),
 *     paths: ["/v1/projects", "/v1/inputs"],
 *     mount: "/kognic",
 *     hosts: ["app.example.com"],
 *     origins: ["https://admin.example.com"],
 *   }),
 * );
 * ```
 *
 * @example Let scripts with the key in PROXY_API_KEY call Kognic through `/kognic/*`
 * ```ts
 * import { Hono } from "hono";
 * import { kognicProxy } from "@kognic/auth/hono";
 *
 * // The key is the PROXY_API_KEY binding on Workers, the environment variable elsewhere;
 * // callers send it in X-Api-Key.
 * const app = new Hono();
 * app.all(
 *   "/kognic/*",
 *   kognicProxy({ access: { env: "PROXY_API_KEY" }, paths: ["/v1/projects"], mount: "/kognic" }),
 * );
 * ```
 *
 * @typeParam C The context type, Hono's `Context`.
 * @param options The access check, the allowed paths, hosts and origins, limits and the client.
 * @returns The handler.
 */
export function kognicProxy<C extends HonoContext = HonoContext>(
  options: KognicProxyOptions<C>,
): HonoHandler<C> {
  const withBindings: Options<C> & WithBindings<C> = { ...options, [BINDINGS]: (c) => c.env };
  const proxy = createKognicProxy<C>(withBindings);
  return (c) => proxy(c.req.raw, c);
}

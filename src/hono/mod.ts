/**
 * Kognic authentication for [Hono](https://hono.dev) apps on any runtime: middleware that puts
 * an authenticated Kognic client on the context, and an authenticating reverse proxy that lets
 * browsers and scripts call Kognic APIs without holding the client secret. The handlers are
 * typed structurally against Hono 4's `Context`, so this entry imports nothing from `hono`.
 *
 * @example A Hono app with both
 * ```ts
 * import { Hono } from "hono";
 * import { kognicClient, type KognicEnv, kognicProxy } from "@kognic/auth/hono";
 *
 * const app = new Hono<KognicEnv>();
 * app.get("/projects", kognicClient(), async (c) => {
 *   const response = await c.var.kognic.request("GET", "/v1/projects");
 *   return c.json(await response.json());
 * });
 * app.all(
 *   "/kognic/*",
 *   kognicProxy({
 *     access: (c) => c.req.header("x-api-key") === "let-me-in",
 *     paths: ["/v1/projects"],
 *     mount: "/kognic",
 *   }),
 * );
 * ```
 *
 * @module
 */
export {
  type ClientSource,
  type HonoContext,
  type HonoHandler,
  type HonoVariablesContext,
  kognicClient,
  type KognicClientOptions,
  type KognicEnv,
} from "./middleware.ts";
export { kognicProxy, type KognicProxyOptions } from "./proxy.ts";
export type { ProxyKeyAccess } from "../http/proxy.ts";

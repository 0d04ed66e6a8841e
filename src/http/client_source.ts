// Where a server-side handler's client comes from: a client, a function of the request's
// context, or one client made by createClient on the first request and kept. Shared by the
// authenticating proxy and the Hono middleware. Not part of the public API.
import type { ClientOptions, KognicClient } from "./client.ts";
import { createClient } from "./create_client.ts";
import { edgeClientOf } from "./edge_client.ts";
import { KognicAuthError } from "../errors.ts";

/**
 * Where a framework keeps a request's bindings (Hono: `c.env`), under this key of the options.
 * Read only on Cloudflare Workers: elsewhere, such as Node with `@hono/node-server`, `c.env`
 * holds the runtime's own objects, not variables.
 */
export const BINDINGS: unique symbol = Symbol("bindings");

/** Options as a framework shell passes them on: with where the bindings are. */
export type WithBindings<C> = { [BINDINGS]?: (context: C) => unknown };

/** Whether this is Cloudflare Workers, by the user agent workerd reports. */
export function onWorkers(): boolean {
  return typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers";
}

/**
 * Where the client of a request comes from: a client, or a function of the request's context.
 *
 * @typeParam C The request's context: the `Request` itself, or a framework's context.
 */
export type ClientSource<C> = KognicClient | ((context: C) => KognicClient | Promise<KognicClient>);

/**
 * Options with a client source: the client, a factory, or the options of `createClient`.
 *
 * @typeParam C The request's context.
 */
export interface ClientSourceOptions<C> extends ClientOptions {
  /**
   * The client, or a function of the request's context that returns it. Default: one client
   * from `createClient` with the other options, made on the first request and reused.
   *
   * On Cloudflare Workers use a function that returns `edgeClient(env)` from
   * `@kognic/auth/edge/client`: workerd ends a request's I/O with the request, so a client
   * kept across requests could wait forever for a token request that an earlier request
   * started; `edgeClient` shares the token instead.
   */
  client?: ClientSource<C>;
}

/**
 * Returns the client of a request: the given one, the factory's result, or by default, where
 * the shell says where the request's bindings are and this is Cloudflare Workers, a client from them
 * (as `edgeClient` makes, per request), and elsewhere one made by `createClient` from the
 * environment on the first request and kept (a failed attempt is not kept). Missing credentials
 * are a `CREDENTIALS_NOT_FOUND` error that says which of the two was looked at.
 */
export function clientSource<C>(
  options: ClientSourceOptions<C> & WithBindings<C>,
): (context: C) => Promise<KognicClient> {
  const { client, [BINDINGS]: bindings, ...rest } = options;
  if (typeof client === "function") return async (context) => await client(context);
  if (client) return () => Promise.resolve(client);
  if (bindings && onWorkers()) {
    return (context) => {
      try {
        return Promise.resolve(edgeClientOf(bindings(context), rest));
      } catch (error) {
        return Promise.reject(lookedAt(error, "the Workers bindings (c.env)"));
      }
    };
  }
  let made: Promise<KognicClient> | undefined;
  return () =>
    made ??= createClient(rest).catch((error) => {
      made = undefined;
      throw lookedAt(error, "the environment and files of this process (not bindings)");
    });
}

/** Missing credentials, said with where the default client source looked for them. */
function lookedAt(error: unknown, where: string): unknown {
  if (!(error instanceof KognicAuthError && error.code === "CREDENTIALS_NOT_FOUND")) return error;
  return new KognicAuthError(
    "CREDENTIALS_NOT_FOUND",
    `The Kognic client of this server looked in ${where}: ${error.message}`,
    { source: error.source, cause: error },
  );
}

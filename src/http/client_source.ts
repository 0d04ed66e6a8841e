// Where a server-side handler's client comes from: a client, a function of the request's
// context, or one client made by createClient on the first request and kept. Shared by the
// authenticating proxy and the Hono middleware. Not part of the public API.
import type { ClientOptions, KognicClient } from "./client.ts";
import { createClient } from "./create_client.ts";

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
 * Returns the client of a request: the given one, the factory's result, or one made by
 * `createClient` on the first request and kept (a failed attempt is not kept).
 */
export function clientSource<C>(
  options: ClientSourceOptions<C>,
): (context: C) => Promise<KognicClient> {
  const { client, ...rest } = options;
  if (typeof client === "function") return async (context) => await client(context);
  if (client) return () => Promise.resolve(client);
  let made: Promise<KognicClient> | undefined;
  return () =>
    made ??= createClient(rest).catch((error) => {
      made = undefined;
      throw error;
    });
}

/**
 * The HTTP layer: the transport and its defaults, per-attempt deadlines, retries with backoff,
 * the authenticated `fetch` (the token only to its origins, redirects followed by hand, sunset
 * headers reported) and the API client that `createClient` builds from resolved credentials
 * and a runtime adapter. It sits on the token layer and is what the entries and shells use.
 *
 * @module
 */
export * from "./create_client.ts";
export * from "./client.ts";
export * from "./create_auth_fetch.ts";
export * from "./retry.ts";
export * from "./sunset.ts";
export * from "./logging.ts";

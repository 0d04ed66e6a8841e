/**
 * The token layer: the OAuth 2.0 token endpoint over `fetch` (client-credentials and
 * refresh-token grants, strict response checks), the {@linkcode TokenProvider} that keeps a
 * token for its lifetime (refresh ahead of expiry, one token request in flight, invalidation
 * after a 401), the token store contract with its lease coordination, and the registry that
 * shares one provider among clients of the same options. It builds on credentials and knows
 * nothing of the API requests the token is for.
 *
 * @module
 */
export * from "./endpoint.ts";
export * from "./provider.ts";

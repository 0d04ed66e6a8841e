// What to check when the token endpoint refuses a client (`invalid_client`), added where the
// refusal surfaces: the client's error path (src/http/create_auth_fetch.ts), the rotation in
// front of a provider (src/token/rotating.ts) and the command line. A token source is given its
// hint once, by the first client made over it; nothing runs for a request that succeeds. Not
// part of the public API.
import { TokenError } from "../errors.ts";

/** The hint of each token source that has one. */
const hints = new WeakMap<object, string>();

/**
 * The hinted error of each refusal: every waiter of one refused token request gets the same
 * one, as it got the same refusal.
 */
const hinted = new WeakMap<TokenError, TokenError>();
/** The hinted errors themselves, which surface through more than one layer. */
const told = new WeakSet<TokenError>();

/**
 * Gives `source` (a token provider) the hint its `invalid_client` refusals get; a source that
 * has one keeps it (the words of its first client).
 */
export function hintRefusals(source: object, hint: string): void {
  if (!hints.has(source)) hints.set(source, hint);
}

/**
 * `error` as it should surface from `source`: an `invalid_client` refusal of a source with a
 * hint is thrown again with the same code, the hint added to its message, and itself as the
 * cause; anything else is returned as it is.
 */
export function explainRefusal(error: unknown, source: object): unknown {
  if (!(error instanceof TokenError && error.oauthError === "invalid_client")) return error;
  const hint = hints.get(source);
  if (hint === undefined || told.has(error)) return error;
  let explained = hinted.get(error);
  if (!explained) {
    explained = new TokenError(error.code, error.message + hint, {
      source: error.source,
      status: error.status,
      oauthError: error.oauthError,
      retryAfter: error.retryAfter,
      cause: error,
    });
    hinted.set(error, explained);
    told.add(explained);
  }
  return explained;
}

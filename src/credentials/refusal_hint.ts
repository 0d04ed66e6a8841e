// The words of an `invalid_client` refusal's hint (./refused.ts): where the credentials came
// from, the start of the client id (never the secret) and the auth server. Loaded with the first
// refusal. Not part of the public API.
import { TokenError } from "../errors.ts";
import { quote } from "../_util.ts";
import type { RefusalContext } from "./refused.ts";

/**
 * The hinted error of each refusal: every waiter of one refused token request gets the same
 * one, as it got the same refusal.
 */
const told = new WeakMap<TokenError, TokenError>();
/** The hinted errors themselves, which may surface through more than one layer. */
const hints = new WeakSet<TokenError>();

/**
 * What to check when the token endpoint refuses the client: where the credentials came from,
 * the start of the client id and the auth server. The command line prints it on a line of its
 * own.
 */
export function refusedHint(context: RefusalContext): string {
  return `. Check the client secret of client id ${quote(context.clientId.slice(0, 4) + "…")} ` +
    `(from ${context.source}): that it is the current one, has not expired, and belongs to ` +
    `the environment whose auth server is ${new URL(context.authHost).origin}`;
}

/** `error` with the hint of `context` added to its message, the same code, and itself as cause. */
export function hinted(error: TokenError, context: RefusalContext): TokenError {
  if (hints.has(error)) return error;
  let explained = told.get(error);
  if (!explained) {
    explained = new TokenError(error.code, error.message + refusedHint(context), {
      source: error.source,
      status: error.status,
      oauthError: error.oauthError,
      retryAfter: error.retryAfter,
      cause: error,
    });
    told.set(error, explained);
    hints.add(explained);
  }
  return explained;
}

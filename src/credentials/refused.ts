// What to check when the token endpoint refuses a client (`invalid_client`), added where the
// refusal surfaces: the client's error path (src/http/create_auth_fetch.ts), the rotation in
// front of a provider (src/token/rotating.ts) and the command line. A token source is given
// what the hint names once, by the first client made over it; nothing runs for a request that
// succeeds, and the wording (./refusal_hint.ts) loads with the first refusal. Not part of the
// public API.
import { TokenError } from "../errors.ts";
import { lazily } from "../_util.ts";

/** What a hint names: where the credentials came from, their client id and the auth server. */
export interface RefusalContext {
  /** Where the credentials were found, such as `KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET`. */
  source: string;
  /** The client id the token endpoint refused (only its start is shown). */
  clientId: string;
  /** The auth server. */
  authHost: string;
}

/** What the hint of each token source that has one names. */
const contexts = new WeakMap<object, RefusalContext>();

// The wording, one import shared by concurrent first refusals; a failed one is tried again.
const wording = lazily(() => import("./refusal_hint.ts"));

/**
 * Gives `source` (a token provider) the hint its `invalid_client` refusals get; a source that
 * has one keeps it (the words of its first client).
 */
export function hintRefusals(source: object, context: RefusalContext): void {
  if (!contexts.has(source)) contexts.set(source, context);
}

/**
 * `error` as it should surface from `source`: an `invalid_client` refusal of a source with a
 * hint becomes the same error with the hint added to its message and itself as the cause (the
 * same one for every waiter of one refusal); anything else is `error` as it is, at once.
 */
export function explainRefusal(error: unknown, source: object): unknown {
  const context = contexts.get(source);
  if (!context || !(error instanceof TokenError && error.oauthError === "invalid_client")) {
    return error;
  }
  return wording().then(({ hinted }) => hinted(error, context));
}

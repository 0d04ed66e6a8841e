// When a token is due for a refresh and when it stops being handed out: one rule for the
// provider, the token stores and the edge's isolate-wide store; and a token as the provider
// holds it, and the limit on renewals after 401s. Not part of the public API.
import { HEADER_SAFE } from "./endpoint.ts";
import type { AccessToken, Renewals, StoredToken, TokenProviderOptions } from "./types.ts";
import type { TokenResponse } from "./endpoint.ts";

/**
 * When a token held since `now` is due for a refresh, when it stops being handed out, and when
 * it expires, in epoch milliseconds (`Infinity` for a token that does not say when it expires):
 * `leeway` (default 60 s) and `margin` (default 30 s) before it expires, at most half and a quarter of
 * its lifetime. The one expiry rule of the provider, the
 * token stores and the isolate-wide store on Workers.
 */
export function deadlines(
  token: StoredToken,
  now: number,
  leeway = 60_000,
  margin = 30_000,
): [refreshAt: number, expireAt: number, expiresAt: number] {
  const { expires_at: at, expires_in: life } = token;
  if (typeof at !== "number" && typeof life !== "number") return [Infinity, Infinity, Infinity];
  const expiresAt = typeof at === "number" ? at * 1000 : now + life! * 1000;
  const lifetime = typeof life === "number" ? life * 1000 : expiresAt - now;
  return [
    expiresAt - Math.min(leeway, lifetime / 2),
    expiresAt - Math.min(margin, lifetime / 4),
    expiresAt,
  ];
}

/**
 * The token if it is a usable stored entry at `now` (milliseconds): it has an access token and
 * says when it expires (`expires_at`), and `now` is before its expiry margin by
 * {@linkcode deadlines}; otherwise `undefined`.
 */
export function usable(entry: unknown, now: number): StoredToken | undefined {
  const token = entry as StoredToken | undefined;
  return typeof token?.access_token === "string" && typeof token.expires_at === "number" &&
      now < deadlines(token, now)[1]
    ? token
    : undefined;
}

/** A token as a provider holds it: the token, when to refresh it and when to stop using it. */
export interface Held {
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** From here on a background refresh starts. */
  refreshAt: number;
  /** From here on the token is not handed out. */
  readonly expireAt: number;
  /** The token, its expiry and the scopes granted. */
  readonly details: AccessToken;
}

/**
 * A token response or stored token, held since `now` under the provider's leeway and margin;
 * `undefined` for one without an access token a `Bearer` header can carry (a store may hold
 * anything, so a stored token is checked as a token response is). `scopes` are the ones asked
 * for, reported where the server names none.
 */
export function hold(
  token: StoredToken,
  now: number,
  options: Pick<TokenProviderOptions, "refreshLeeway" | "expiryMargin">,
  scopes: readonly string[],
): Held | undefined {
  if (typeof token?.access_token !== "string" || !HEADER_SAFE.test(token.access_token)) {
    return undefined;
  }
  const [refreshAt, expireAt, expiresAt] = deadlines(
    token,
    now,
    options.refreshLeeway,
    options.expiryMargin,
  );
  const refreshToken = token.refresh_token;
  const accessToken = token.access_token;
  return {
    accessToken,
    refreshToken: typeof refreshToken === "string" ? refreshToken : undefined,
    refreshAt,
    expireAt,
    details: {
      token: accessToken,
      expiresAt: expiresAt < Infinity ? expiresAt : undefined,
      scopes: typeof token.scope === "string" ? token.scope.split(" ").filter(Boolean) : scopes,
    },
  };
}

/**
 * After a 401 renewed the token, another 401 renews it only this long later; the pause doubles
 * while 401s keep coming (up to `MAX_PAUSE`) and starts over after a quiet `MAX_PAUSE`.
 */
const PAUSE = 10_000;
const MAX_PAUSE = 300_000;

/**
 * The limit on renewals after 401s: 0 when a renewal may start at `now` (and the limit then
 * counts it), else how long until one may, in milliseconds.
 */
export function renew(renewals: Renewals, now: number): number {
  const [calmUntil, pause] = renewals;
  if (now < calmUntil) return calmUntil - now;
  renewals[1] = now < calmUntil + MAX_PAUSE ? Math.min(pause * 2, MAX_PAUSE) : PAUSE;
  renewals[0] = now + renewals[1];
  return 0;
}

/**
 * A token response as stored, with `expires_at` from the time it was asked for (`started`, epoch
 * milliseconds): whole seconds, as the Python library writes them; to the millisecond for a
 * token that lives less than a minute, where a second counts.
 */
export function toStore(response: TokenResponse, started: number): StoredToken {
  const stored: StoredToken = { ...response };
  const life = response.expires_in;
  if (life !== undefined) {
    const at = started / 1000 + life;
    stored.expires_at = life < 60 ? Math.round(at * 1000) / 1000 : Math.floor(at);
  }
  return stored;
}

// When a token is due for a refresh and when it stops being handed out: one rule for the
// provider, the token stores and the edge's isolate-wide store. Not part of the public API.
import type { StoredToken } from "./provider.ts";

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

// Helpers shared by the token caches. Not part of the public API.
import type { StoredToken } from "../token_provider.ts";

/**
 * A cached token is used only while `now < expires_at - 30`, or a quarter of its
 * lifetime before it expires when that is shorter (the provider's rule).
 */
export const EXPIRY_MARGIN_SECONDS = 30;

/** The token if it is a usable cache entry at `now` (milliseconds), otherwise `undefined`. */
export function usable(entry: unknown, now: number): StoredToken | undefined {
  if (typeof entry !== "object" || entry === null) return undefined;
  const token = entry as StoredToken;
  if (typeof token.access_token !== "string" || typeof token.expires_at !== "number") {
    return undefined;
  }
  const life = typeof token.expires_in === "number" ? token.expires_in : Infinity;
  const margin = Math.min(EXPIRY_MARGIN_SECONDS, life / 4);
  return now / 1000 < token.expires_at - margin ? token : undefined;
}

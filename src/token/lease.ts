// Coordination over a shared token store: the key tokens are stored under, the bound on store
// calls. Every store call is bounded in time: a store that fails or
// hangs never fails a token request, the provider goes on without it. The lease itself is taken
// and waited for in ./coordinate.ts. Private to the token layer.
import type { TokenProviderOptions } from "./types.ts";
import { DEFAULT_AUTH_HOST } from "../credentials/credentials.ts";
import { hex } from "../_util.ts";

/** A store that failed or did not answer in time. */
export const FAILED: unique symbol = Symbol();

/** How long a store may take to answer before the provider goes on without it. */
export const STORE_TIMEOUT = 2_000;

/**
 * The key under which tokens are persisted, the same as the Python library's:
 * `<auth host as given>:<client id>`, plus
 * `:s-<first 12 hex digits of sha256(space-joined scopes)>` when scopes are given explicitly
 * (the credentials' own scopes are asked for but leave the key alone, as in Python).
 */
export async function storeKey(
  { authHost, credentials, scopes }: TokenProviderOptions,
): Promise<string> {
  const base = `${authHost ?? DEFAULT_AUTH_HOST}:${credentials.clientId}`;
  if (!scopes?.length) return base;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(scopes.join(" ")));
  return `${base}:s-${hex(new Uint8Array(digest, 0, 6))}`;
}

/**
 * Credentials that expire and rotate: the {@linkcode CredentialsEvent}s a client reports, and
 * the expiry warning. From 14 days before the credentials' `expires` a `credentials_expiring`
 * event and a warning in the log, once a day; from 3 days an error; after it, an error that
 * they expired. The warning names where the credentials came from and the day, never the secret.
 *
 * @module
 */
import type { Credentials } from "./credentials.ts";

/** A day, in milliseconds. */
export const DAY = 86_400_000;
/** From this long before `expires` a warning, once a day. */
const WARN = 14 * DAY;
/** From this long before `expires` an error. */
const ALARM = 3 * DAY;

/**
 * What a client reports of its credentials: that they expire soon (from 14 days before, once a
 * day), and that their source held other credentials, which are used from now on. Neither
 * holds a secret.
 *
 * @example Alert on credentials that expire within 3 days
 * ```ts
 * import type { ClientEvent } from "@kognic/auth";
 *
 * const onEvent = (event: ClientEvent) => {
 *   if (event.type === "credentials_expiring" && event.level === "error") {
 *     console.error(`Replace ${event.source}: ${event.daysLeft} days left`);
 *   }
 * };
 * onEvent({
 *   type: "credentials_expiring",
 *   source: "keyring profile \"default\"",
 *   expires: new Date("2026-01-21T00:00:00Z"),
 *   daysLeft: 2,
 *   level: "error",
 * });
 * ```
 */
export type CredentialsEvent =
  | {
    /**
     * The credentials expire within 14 days, or have expired: reported once a day, at a token
     * request.
     */
    readonly type: "credentials_expiring";
    /** Where the credentials came from, such as `credentials file "/home/me/creds.json"`. */
    readonly source: string;
    /** When they expire. */
    readonly expires: Date;
    /** Whole days left: `0` on the last day, negative after they expired. */
    readonly daysLeft: number;
    /** `"warning"` from 14 days before, `"error"` from 3 days before. */
    readonly level: "warning" | "error";
  }
  | {
    /**
     * The source held other credentials than those in use; tokens are requested with them
     * from now on.
     */
    readonly type: "credentials_rotated";
    /** Where the credentials came from. */
    readonly source: string;
    /**
     * Why the source was read again: its file changed, the token endpoint refused the
     * credentials in use, or they had expired.
     */
    readonly reason: "changed" | "refused" | "expired";
    /** The client id now in use. */
    readonly clientId: string;
  };

/**
 * The `credentials_expiring` event due at `now`, unless one was reported on the same (UTC) day
 * already (`lastDay`, in days since the epoch) or the credentials do not expire within 14 days.
 *
 * @internal
 */
export function expiryWarning(
  credentials: Credentials,
  source: string,
  now: number,
  lastDay: number,
): CredentialsEvent | undefined {
  const expires = credentials.expires;
  const left = expires ? expires.getTime() - now : Infinity;
  if (left > WARN || Math.floor(now / DAY) === lastDay) return undefined;
  return {
    type: "credentials_expiring",
    source,
    expires: expires!,
    daysLeft: left > 0 ? Math.floor(left / DAY) : Math.min(-1, Math.floor(left / DAY)),
    level: left > ALARM ? "warning" : "error",
  };
}

/**
 * The log line of a {@linkcode CredentialsEvent}: it names the source, the day and what to do.
 *
 * @internal
 */
export function credentialsMessage(event: CredentialsEvent): string {
  if (event.type === "credentials_rotated") {
    return `Using other credentials from ${event.source} (client id ${
      JSON.stringify(event.clientId)
    }): ${
      event.reason === "changed"
        ? "it changed"
        : event.reason === "refused"
        ? "the token endpoint refused the previous ones"
        : "the previous ones expired"
    }`;
  }
  const iso = event.expires.toISOString();
  const day = `${iso.slice(0, 10)} at ${iso.slice(11, 19)} UTC`;
  const { daysLeft } = event;
  return `The credentials from ${event.source} ` +
    (daysLeft < 0
      ? `expired on ${day}`
      : `expire on ${day}, ${
        daysLeft === 0 ? "within a day" : `in ${daysLeft} day${daysLeft === 1 ? "" : "s"}`
      }`) +
    ": generate new ones in the Kognic web app and replace them";
}

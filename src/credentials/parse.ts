// Parsing a credentials document (the JSON of a Kognic credentials file, or an object with its
// keys) into Credentials, as Python `kognic-auth` reads it. Apart from ./credentials.ts so that a
// program whose credentials come from options or the environment never loads it.
import { KognicAuthError } from "../errors.ts";
import { capitalize, parseIsoDate, quote } from "../_util.ts";
import { Credentials } from "./credentials.ts";

function fail(
  code: "CREDENTIALS_MISSING_KEY" | "CREDENTIALS_INVALID_TYPE",
  message: string,
  source: string,
): never {
  throw new KognicAuthError(code, `${capitalize(source)} ${message}`, { source });
}

const REQUIRED = ["clientId", "clientSecret", "email", "userId", "issuer"] as const;

/**
 * Validates a credentials document as Kognic's Python `kognic-auth` does: a JSON object with the
 * keys `clientId`, `clientSecret`, `email`, `userId` and `issuer` present. The client id and
 * secret must be strings (numbers are taken as their text); `email` and `issuer` become text and
 * `userId` a number (0 when it is not one); `scopes` is an array of strings or one
 * space-separated string. Unknown keys are ignored; `created` and `expires` that cannot be parsed
 * are treated as absent. Errors name the source and the key, never the secret.
 *
 * @example Parse a downloaded credentials document
 * ```ts
 * import { parseCredentials } from "@kognic/auth/core";
 *
 * const credentials = parseCredentials({
 *   clientId: "my-id",
 *   clientSecret: "s3cr3t",
 *   email: "me@example.com",
 *   userId: 42,
 *   issuer: "auth.app.kognic.com",
 * });
 * console.assert(credentials.userId === 42);
 * ```
 *
 * @param value The parsed JSON document.
 * @param source What the document is, for error messages; default `"credentials object"`.
 * @returns The validated credentials.
 */
export function parseCredentials(value: unknown, source = "credentials object"): Credentials {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const kind = Array.isArray(value) ? "an array" : value === null ? "null" : typeof value;
    throw new KognicAuthError(
      "CREDENTIALS_NOT_OBJECT",
      `${capitalize(source)} must be a JSON object, not ${kind}`,
      { source },
    );
  }
  const doc = value as Record<string, unknown>;
  // As Python `kognic-auth`: the keys must be there (even as null); their values are taken as
  // they come, apart from what no token request could use.
  for (const key of REQUIRED) {
    if (!(key in doc) || doc[key] === undefined) {
      fail("CREDENTIALS_MISSING_KEY", `is missing the required key ${quote(key)}`, source);
    }
  }
  const text = (key: "clientId" | "clientSecret"): string => {
    const field = doc[key];
    if (typeof field === "string") return field;
    if (typeof field === "number" && Number.isFinite(field)) return String(field);
    return fail(
      "CREDENTIALS_INVALID_TYPE",
      `has an invalid ${quote(key)}: expected a string, got ${describe(field)}`,
      source,
    );
  };
  const clientId = text("clientId");
  const clientSecret = text("clientSecret");
  const scopes = scopesOf(doc.scopes);
  if (scopes === null) {
    fail(
      "CREDENTIALS_INVALID_TYPE",
      `has invalid "scopes": expected an array of strings or one space-separated string`,
      source,
    );
  }
  return new Credentials({
    clientId,
    clientSecret,
    email: stringOf(doc.email),
    userId: numberOf(doc.userId),
    issuer: stringOf(doc.issuer),
    name: typeof doc.name === "string" ? doc.name : undefined,
    created: dateOf(doc.created),
    expires: dateOf(doc.expires),
    scopes,
  });
}

/** A value shown as text: strings as they are, null as empty, other JSON as JSON. */
function stringOf(value: unknown): string {
  if (typeof value === "string") return value;
  return value === null || value === undefined ? "" : JSON.stringify(value);
}

/** A user id: a number as it is, a numeric string as its number, anything else 0. */
function numberOf(value: unknown): number {
  if (typeof value === "number") return value;
  const parsed = typeof value === "string" && value.trim() ? Number(value) : NaN;
  return Number.isFinite(parsed) ? parsed : 0;
}

/**
 * Scopes: an array of strings, or one string read as the space-separated list of RFC 6749
 * section 3.3; absent or null is none; `null` (the return value) for anything else.
 */
function scopesOf(value: unknown): string[] | undefined | null {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value.split(" ").filter(Boolean);
  if (Array.isArray(value) && value.every((scope) => typeof scope === "string")) return value;
  return null;
}

function dateOf(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  return typeof value === "string" ? parseIsoDate(value) : undefined;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? "a string" : typeof value;
}

/**
 * Kognic API credentials: the JSON document downloaded from the Kognic web app, parsed,
 * validated and held so that the client secret never shows up in logs.
 *
 * @module
 */
import { KognicAuthError } from "../errors.ts";
import { capitalize, parseIsoDate, quote } from "../_util.ts";

/** The default Kognic auth host. */
export const DEFAULT_AUTH_HOST = "https://auth.app.kognic.com";

/**
 * The fields of a Kognic credentials file (`clientId`, `clientSecret`, `email`, `userId`,
 * `issuer` are required in a file; the rest are optional).
 */
export interface CredentialsInit {
  /** The OAuth client id. */
  clientId: string;
  /** The OAuth client secret. */
  clientSecret: string;
  /** The e-mail address of the user the credentials belong to. */
  email?: string;
  /** The id of the user the credentials belong to. */
  userId?: number;
  /** The issuer recorded in the file; it does not choose the token URL. */
  issuer?: string;
  /** A display name; default `"API Credentials"`. */
  name?: string;
  /** When the credentials were created. */
  created?: Date;
  /** When the credentials stop working. */
  expires?: Date;
  /** The default scopes of tokens made with these credentials. */
  scopes?: readonly string[];
}

const REDACTED = "[REDACTED]";
const inspectNode = Symbol.for("nodejs.util.inspect.custom");
const inspectDeno = Symbol.for("Deno.customInspect");

/**
 * Validated Kognic API credentials. The client secret is held in a private field: it is
 * readable through {@linkcode Credentials.clientSecret} but replaced by `[REDACTED]` in
 * `console.log`, `Deno.inspect`, Node's `util.inspect`, `JSON.stringify`, `String()` and
 * template strings, and it is not copied by object spread or `structuredClone`.
 *
 * @example Credentials print redacted
 * ```ts
 * import { Credentials } from "@kognic/auth";
 *
 * const credentials = new Credentials({ clientId: "my-id", clientSecret: "s3cr3t" });
 * console.log(JSON.stringify(credentials)); // {"clientId":"my-id","clientSecret":"[REDACTED]",…}
 * console.assert(!String(credentials).includes("s3cr3t"));
 * ```
 */
export class Credentials {
  /** The OAuth client id. */
  declare readonly clientId: string;
  /** The e-mail address of the user; empty for anonymous credentials. */
  declare readonly email: string;
  /** The id of the user; `0` for anonymous credentials. */
  declare readonly userId: number;
  /** The issuer recorded in the file; empty for anonymous credentials. */
  declare readonly issuer: string;
  /** A display name. */
  declare readonly name: string;
  /** When the credentials were created, if known. */
  declare readonly created?: Date;
  /** When the credentials stop working, if known. */
  declare readonly expires?: Date;
  /** The default scopes of tokens made with these credentials, if any. */
  declare readonly scopes?: readonly string[];
  #clientSecret: string;

  /**
   * Creates credentials from already validated values. To validate untrusted input (a parsed
   * file, an object from a user) use {@linkcode parseCredentials}.
   *
   * @param init The fields; `email`, `issuer` default to `""` and `userId` to `0`.
   */
  constructor(init: CredentialsInit) {
    // The fields are declared, not defined: these assignments define them, in this order.
    this.clientId = init.clientId;
    this.#clientSecret = init.clientSecret;
    this.email = init.email ?? "";
    this.userId = init.userId ?? 0;
    this.issuer = init.issuer ?? "";
    this.name = init.name ?? "API Credentials";
    if (init.created) this.created = init.created;
    if (init.expires) this.expires = init.expires;
    if (init.scopes) this.scopes = Object.freeze([...init.scopes]);
    Object.freeze(this);
  }

  /** The OAuth client secret. Never print it. */
  get clientSecret(): string {
    return this.#clientSecret;
  }

  /**
   * Returns every field as a plain object, the client secret included, for storing the
   * credentials (in a keyring, a file). Handle the result as a secret.
   *
   * @example Store credentials
   * ```ts
   * import { Credentials } from "@kognic/auth";
   *
   * const init = new Credentials({ clientId: "id", clientSecret: "s" }).toInit();
   * console.assert(init.clientSecret === "s");
   * ```
   *
   * @returns The fields, secret included.
   */
  toInit(): CredentialsInit {
    return { ...this.toJSON(), clientSecret: this.#clientSecret } as CredentialsInit;
  }

  /**
   * The redacted form used by `JSON.stringify`.
   *
   * @returns The fields with the secret replaced by `[REDACTED]`.
   */
  toJSON(): Record<string, unknown> {
    const { clientId, ...rest } = this;
    return { clientId, clientSecret: REDACTED, ...rest };
  }

  /**
   * A one-line description without the secret.
   *
   * @returns For example `Credentials(clientId="id", clientSecret=[REDACTED])`.
   */
  toString(): string {
    return `Credentials(clientId=${quote(this.clientId)}, clientSecret=${REDACTED})`;
  }

  /**
   * The redacted form printed by Node's and Bun's `util.inspect` and `console.log`.
   *
   * @returns The fields with the secret replaced by `[REDACTED]`.
   */
  [inspectNode](): Record<string, unknown> {
    return Object.assign(Object.create({ constructor: Credentials }), this.toJSON());
  }

  /**
   * The redacted form printed by `Deno.inspect` and Deno's `console.log`.
   *
   * @param inspect Deno's inspect function.
   * @param options Deno's inspect options.
   * @returns The fields with the secret replaced by `[REDACTED]`.
   */
  [inspectDeno](inspect: (value: unknown, options?: unknown) => string, options?: unknown): string {
    return `Credentials ${inspect(this.toJSON(), options)}`;
  }
}

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

/**
 * Throws `CREDENTIALS_EXPIRED` when the credentials' `expires` is not after `now`.
 *
 * @example Refuse expired credentials
 * ```ts
 * import { Credentials } from "@kognic/auth";
 * import { assertNotExpired } from "@kognic/auth/core";
 *
 * const credentials = new Credentials({ clientId: "id", clientSecret: "s" });
 * assertNotExpired(credentials, Date.now()); // no `expires`: fine
 * ```
 *
 * @param credentials The credentials to check.
 * @param now The current time in milliseconds since the epoch.
 * @param source What the credentials came from, for the message.
 */
export function assertNotExpired(credentials: Credentials, now: number, source?: string): void {
  if (credentials.expires && credentials.expires.getTime() <= now) {
    throw new KognicAuthError(
      "CREDENTIALS_EXPIRED",
      `Credentials expired at ${credentials.expires.toISOString()}` +
        (source ? `: ${source}` : ""),
      source === undefined ? undefined : { source },
    );
  }
}

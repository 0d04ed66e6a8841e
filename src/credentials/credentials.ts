/**
 * Kognic API credentials: the JSON document downloaded from the Kognic web app, held so that
 * the client secret never shows up in logs (./parse.ts parses and validates the document).
 *
 * @module
 */
import { KognicAuthError } from "../errors.ts";
import { quote } from "../_util.ts";

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
   * A one-line description without the secret.
   *
   * @returns For example `Credentials(clientId="id", clientSecret=[REDACTED])`.
   */
  toString(): string {
    return `Credentials(clientId=${quote(this.clientId)}, clientSecret=${REDACTED})`;
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
      { source },
    );
  }
}

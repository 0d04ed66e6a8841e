/**
 * What credential resolution takes and gives: the `auth` option's {@linkcode AuthInput}, the
 * {@linkcode ResolveOptions} and the {@linkcode ResolvedCredentials}. Types only: apart from
 * ./resolve.ts so that a program run from TypeScript source (which strips the types of every
 * file it loads) never loads their text.
 *
 * @module
 */
import type { Credentials, CredentialsInit } from "./credentials.ts";
import type { Runtime } from "../runtime/mod.ts";

/**
 * What the `auth` option takes: a path to a credentials file (`.json`, `~` expanded), a
 * `keyring://PROFILE` reference, a `[clientId, clientSecret]` pair, or a credentials object.
 */
export type AuthInput = string | readonly string[] | CredentialsInit | Credentials;

/** Options of {@linkcode resolveCredentials}. */
export interface ResolveOptions {
  /** The credentials, or where to find them. */
  auth?: AuthInput;
  /** An OAuth client id, given together with `clientSecret` (and without `auth`). */
  clientId?: string;
  /** An OAuth client secret, given together with `clientId` (and without `auth`). */
  clientSecret?: string;
  /** The runtime to read files, environment variables and the keyring through; detected by default. */
  runtime?: Runtime;
  /** The current time in milliseconds, for the expiry check; default `Date.now()`. */
  now?: number;
}

/** Credentials and a description of where they were found. */
export interface ResolvedCredentials {
  /** The credentials. */
  credentials: Credentials;
  /** Where they came from, such as `KOGNIC_CREDENTIALS file "/home/me/creds.json"`. */
  source: string;
  /**
   * The source to read again when the credentials rotate: a file's path or a keyring profile;
   * absent for sources that cannot change (options, a credentials object, variables).
   *
   * @internal
   */
  origin?: { file: string } | { keyring: string };
}

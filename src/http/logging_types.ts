/**
 * What a client reports: the {@linkcode Logger} interface and the {@linkcode ClientEvent}s of
 * `onEvent`. Types only: apart from ./logging.ts so that a program run from TypeScript source
 * (which strips the types of every file it loads) never loads their text.
 *
 * @module
 */
import type { TokenEvent } from "../token/provider.ts";
import type { SunsetInfo } from "./sunset.ts";

/**
 * What a client reports through `onEvent`: token events of its provider, scopes granted short
 * of those asked for, retries and sunset headers. No event holds a secret or a token.
 */
export type ClientEvent =
  | TokenEvent
  | {
    /** A call is about to be retried. */
    readonly type: "retry";
    /** The HTTP method. */
    readonly method: string;
    /** The request URL without its query string. */
    readonly url: string;
    /** The attempt about to start, 2 for the first retry. */
    readonly attempt: number;
    /** How long the client waits first, in milliseconds. */
    readonly delayMs: number;
    /** The status that caused the retry, if the server answered. */
    readonly status?: number;
    /** What went wrong, if the server did not answer. */
    readonly error?: string;
  }
  | {
    /**
     * The token endpoint granted fewer scopes than asked for (OAuth 2.0 allows it). Reported
     * with every such token; the log has one warning per provider and grant.
     */
    readonly type: "scopes";
    /** The token endpoint URL. */
    readonly tokenUrl: string;
    /** The scopes granted. */
    readonly granted: readonly string[];
    /** The scopes asked for and not granted. */
    readonly missing: readonly string[];
  }
  | ({
    /** A response carried a `sunset-date` header. */
    readonly type: "sunset";
  } & SunsetInfo);

/**
 * A logger: `console` fits, and so do most logging libraries. The default writes warnings and
 * errors to the console and drops debug and info messages.
 */
export interface Logger {
  /**
   * Logs a debug message (token refreshes).
   *
   * @param message The message; it never holds a secret or a token.
   */
  debug(message: string): void;
  /**
   * Logs an informational message (each retry, credentials taken up after a rotation; a call
   * that still fails after its retries is a warning).
   *
   * @param message The message; it never holds a secret or a token.
   */
  info(message: string): void;
  /**
   * Logs a warning (sunset dates, credentials that expire within 14 days, failed background
   * refreshes, a failing token store).
   *
   * @param message The message; it never holds a secret or a token.
   */
  warn(message: string): void;
  /**
   * Logs an error (sunset dates less than 14 days away, credentials that expire within 3 days).
   *
   * @param message The message; it never holds a secret or a token.
   */
  error(message: string): void;
}

/**
 * What a client reports: the {@linkcode Logger} interface, the default logger (warnings and
 * errors to the console), the {@linkcode ClientEvent}s of `onEvent`, and the log lines of a
 * provider's token and credentials events. The logger the `DEBUG` variable asks for is in
 * ./debug_logger.ts.
 *
 * @module
 */
import type { TokenEvent, TokenProvider } from "../token/provider.ts";
import { MESSAGE } from "../token/events.ts";
import type { ClientEvent, Logger } from "./logging_types.ts";

// Types only, apart so that a program run from TypeScript source never loads their text.
export type { ClientEvent, Logger } from "./logging_types.ts";

/**
 * Which loggers already wrote each token event: clients that share a provider (and a logger)
 * write one line per event, not one per client.
 */
const logged = new WeakMap<TokenEvent, Set<Logger>>();
/** The last narrower grant each provider was warned of (its scopes, space-joined). */
const narrowed = new WeakMap<TokenProvider, string>();

/** Whether `logger` has yet to write `event`; marks it written. */
function firstFor(event: TokenEvent, logger: Logger): boolean {
  let loggers = logged.get(event);
  if (!loggers) logged.set(event, loggers = new Set());
  if (loggers.has(logger)) return false;
  loggers.add(logger);
  return true;
}

/**
 * The default logger: warnings and errors to the console, debug and info messages dropped.
 *
 * @internal
 */
export const defaultLogger: Logger = {
  debug() {},
  info() {},
  // deno-lint-ignore no-console
  warn: (message) => console.warn(message),
  // deno-lint-ignore no-console
  error: (message) => console.error(message),
};

/**
 * The listener a client subscribes to its provider: it logs each token event once per logger,
 * passes it on to `onEvent`, and reports scopes granted short of those asked for (a `scopes`
 * event with every such token, one warning per provider and grant).
 *
 * @internal
 */
export function tokenEventListener(
  provider: TokenProvider,
  logger: Logger,
  onEvent: ((event: ClientEvent) => void) | undefined,
): (event: TokenEvent) => void {
  return (event: TokenEvent) => {
    if (!firstFor(event, logger)) {
      // Another client of this provider already wrote it to this logger.
    } else if (event.type === "token") {
      logger.debug(
        `Obtained an access token from ${JSON.stringify(event.tokenUrl)} by ${event.grant}` +
          (event.expiresIn === undefined ? "" : `, valid for ${event.expiresIn} s`),
      );
    } else if (event.type === "renewal_refused") {
      logger.debug(
        `Not renewing the token of ${JSON.stringify(event.tokenUrl)} after a 401: the last ` +
          `renewal after a 401 was too recent (next allowed in ${event.retryInMs} ms)`,
      );
    } else if (event.type === "credentials_expiring" || event.type === "credentials_rotated") {
      const level = event.type === "credentials_rotated"
        ? "info"
        : event.level === "error"
        ? "error"
        : "warn";
      // Worded by rotation, which emits these events (src/token/rotating.ts).
      logger[level]((event as { [MESSAGE]?: string })[MESSAGE] ?? event.type);
    } else if (event.type === "lease_wait") {
      logger.debug(
        `Waited ${event.durationMs} ms for another process's token request to ` +
          `${JSON.stringify(event.tokenUrl)} (${event.outcome})`,
      );
    } else if (event.type === "store_error") {
      logger.warn(
        `The token store failed to ${event.operation} a token for ` +
          `${JSON.stringify(event.tokenUrl)}: ${event.message}`,
      );
    } else {
      (event.background ? logger.warn : logger.debug)(
        `Token request to ${JSON.stringify(event.tokenUrl)} failed: ${event.message}`,
      );
    }
    onEvent?.(event);
    if (event.type !== "token") return;
    const missing = provider.scopes.filter((scope) => !event.scopes.includes(scope));
    if (!missing.length) return;
    const granted = event.scopes.join(" ");
    onEvent?.({ type: "scopes", tokenUrl: event.tokenUrl, granted: event.scopes, missing });
    // Once per provider and grant: clients that share it, and every later token, say nothing.
    if (narrowed.get(provider) === granted) return;
    narrowed.set(provider, granted);
    logger.warn(
      `The token endpoint ${JSON.stringify(event.tokenUrl)} granted fewer scopes than asked ` +
        `for: not ${JSON.stringify(missing.join(" "))}, only ${JSON.stringify(granted)}`,
    );
  };
}

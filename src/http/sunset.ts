/**
 * Sunset reports: a response's `sunset-date` header says when its endpoint goes away.
 * {@linkcode SunsetInfo} is what `onSunset` and the `sunset` event get; by default a warning is
 * logged, or an error when fewer than 14 days remain.
 *
 * @module
 */
import { bare, type FetchInput, methodOf } from "./auth_fetch.ts";
import type { ClientEvent, Logger } from "./logging.ts";
import { parseIsoDate } from "../_util.ts";

const DAY = 86_400_000;

/** The URL a call went to (without query), its method, and a sunset date. */
export interface SunsetInfo {
  /** When the endpoint goes away. */
  readonly date: Date;
  /** The HTTP method of the request. */
  readonly method: string;
  /** The request URL without its query string. */
  readonly url: string;
}

/**
 * The function that reads a response's `sunset-date` header and reports it: as a `sunset` event
 * through `emit` and to `options.onSunset` (default: a warning in the log, an error when fewer
 * than 14 days remain); `onSunset: false` without an `onEvent` ignores the header.
 *
 * @internal
 */
export function sunsetReporter(
  options: {
    onSunset?: ((info: SunsetInfo) => void) | false;
    onEvent?: (event: ClientEvent) => void;
  },
  emit: (event: ClientEvent) => void,
  logger: Logger,
  now: () => number,
  urlOf: (input: FetchInput) => URL,
): (response: Response, input: FetchInput, init?: RequestInit) => void {
  const onEvent = options.onEvent;
  const onSunset = options.onSunset ?? ((info: SunsetInfo) => {
    const left = info.date.getTime() - now();
    const message = `${info.method} ${JSON.stringify(info.url)} is deprecated and will be ` +
      `removed on ${info.date.toISOString()}`;
    if (left < 14 * DAY) logger.error(message);
    else logger.warn(message);
  });
  return function sunset(response: Response, input: FetchInput, init?: RequestInit): void {
    if (onSunset === false && !onEvent) return;
    const header = response.headers.get("sunset-date");
    if (header === null) return;
    const method = methodOf(input, init);
    const url = bare(urlOf(input));
    const date = parseIsoDate(header);
    if (!date) {
      logger.debug(`Ignoring an unparseable sunset-date ${JSON.stringify(header)} from ${url}`);
      return;
    }
    emit({ type: "sunset", date, method, url });
    if (onSunset) onSunset({ date, method, url });
  };
}

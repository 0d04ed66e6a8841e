// How the core sends where the caller gives no `fetch`, and how it words a failed `fetch`: a
// Network. Options carry one under the module-private NETWORK key; without one the core uses
// what works on any platform, the global `fetch` and one code for every failure. The entries for
// Deno, Bun and Node pass the runtime's (src/runtime/network.ts: the adapter's `fetch`, which
// applies HTTPS_PROXY, HTTP_PROXY and NO_PROXY, and a classifier that knows how the runtimes
// word their failures); the edge entries do not, so their bundle stays free of both. Not part of
// the public API.
import { KognicAuthError, type KognicAuthErrorCode } from "./errors.ts";
import { describeError, redact } from "./_util.ts";

/** What a failed `fetch` was, for {@linkcode failure}. */
export interface FailureOptions {
  /** Who failed, to start the message: `Token endpoint "https://…"`, `GET "https://…"`. */
  subject: string;
  /** The URL that was asked for. */
  url: URL;
  /** The code when the runtime does not say what went wrong. */
  fallback: KognicAuthErrorCode;
  /** Attempts made, said in the message when more than one. */
  attempts?: number;
  /** Text to hide from the runtime's message. */
  secrets?: readonly (string | undefined)[];
  /** Keep the runtime's error as `cause` (dropped anyway when it shows a secret); default true. */
  keepCause?: boolean;
  /**
   * The `https://` proxy the request went through: an untrusted certificate may be its own, as
   * the runtimes word both failures alike.
   */
  tlsProxy?: URL;
}

/** A failed `fetch` as an error, and whether another attempt cannot help. */
export interface Failure {
  error: KognicAuthError;
  final: boolean;
}

/** A transport: the `fetch` to use where the options give none, and how its failures read. */
export interface Network {
  /** The default `fetch`, taken when a client, a provider or a token request starts. */
  fetch(): typeof fetch;
  /**
   * Turns a failed `fetch` into a KognicAuthError, as specific as the runtime allows; may load
   * what it needs on the first failure.
   */
  failure(error: unknown, options: FailureOptions): Failure | Promise<Failure>;
}

/** The key of the {@linkcode Network} in the options of the core's functions and classes. */
export const NETWORK: unique symbol = Symbol();

/** Options that may carry a {@linkcode Network}. */
export interface WithNetwork {
  [NETWORK]?: Network;
}

/** The network of options that name none: the global `fetch`, one code for every failure. */
const plain: Network = {
  fetch: () => (input, init) => fetch(input, init),
  failure: unexplained,
};

/** The network the options carry, or the plain one. */
export function networkOf(options: object | undefined): Network {
  return (options as WithNetwork | undefined)?.[NETWORK] ?? plain;
}

/**
 * The parts of every failure message: the runtime's words (secrets hidden, and the query strings
 * of URLs, which may carry secrets too), ` after N attempts` where there were several, and the
 * error options (`cause` is the runtime's error unless it shows a secret).
 */
export function failureParts(error: unknown, options: FailureOptions): {
  detail: string;
  after: string;
  extra: { source: string; cause?: unknown };
} {
  const text = describeError(error);
  const redacted = redact(text, options.secrets ?? []);
  const keep = options.keepCause !== false && redacted === text;
  return {
    detail: redacted.replace(/(\w+:\/\/[^\s?#)]*)\?[^\s#)]*/g, "$1"),
    after: (options.attempts ?? 1) > 1 ? ` after ${options.attempts} attempts` : "",
    extra: { source: options.url.origin, ...keep && { cause: error } },
  };
}

/** A failure the runtime's words do not explain: `fallback`, and worth another attempt. */
export function unexplained(error: unknown, options: FailureOptions): Failure {
  const { detail, after, extra } = failureParts(error, options);
  return {
    error: new KognicAuthError(
      options.fallback,
      `${options.subject} could not be reached${after}: ${detail}`,
      extra,
    ),
    final: false,
  };
}

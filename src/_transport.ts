// How the core sends where the caller gives no `fetch`, and how it words a failed `fetch`. Both
// start with what works on any platform: the global `fetch`, and one code for every failure.
// The runtime module (src/runtime/mod.ts, which every entry for Deno, Bun and Node loads)
// registers the adapter's `fetch`, which applies HTTPS_PROXY, HTTP_PROXY and NO_PROXY, and the
// classifier of src/_network.ts, which knows how Deno, Bun and Node word their failures. The edge
// entries never load that module, so their bundle stays free of both. Not part of the public API.
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

interface Network {
  fetch(): typeof fetch;
  failure(error: unknown, options: FailureOptions): Failure;
}

let network: Network | undefined;

/** Registers the runtime adapter's `fetch` and the runtimes' failure classifier. */
export function setNetwork(registered: Network): void {
  network = registered;
}

/**
 * The default `fetch`, for a client created now: the runtime adapter's where one is registered
 * (with the proxy variables as they are now), else the global one.
 */
export function defaultFetch(): typeof fetch {
  return network ? network.fetch() : (input, init) => fetch(input, init);
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
    extra: { source: options.url.origin, ...(keep ? { cause: error } : {}) },
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

/** Turns a failed `fetch` into a KognicAuthError, as specific as the runtime allows. */
export function failure(error: unknown, options: FailureOptions): Failure {
  return network ? network.failure(error, options) : unexplained(error, options);
}

// What the authenticating proxy forwards, refuses and redacts: the header lists, the host,
// origin and path checks, and the streaming redaction of the token. The proxy's policy in one
// place, apart from the request flow of ./proxy.ts. Private to the HTTP layer.
import { KognicAuthError } from "../errors.ts";

/** Hop-by-hop headers (RFC 9110 §7.6.1): never forwarded either way. */
export const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/** The request headers forwarded by default. */
export const FORWARD = [
  "accept",
  "accept-language",
  "content-type",
  "content-language",
  "if-match",
  "if-none-match",
  "if-modified-since",
  "if-unmodified-since",
];
export const RANGE = ["range", "if-range"];

/** Request headers that cannot be forwarded: credentials, hop-by-hop, routing and framing. */
export const NEVER_FORWARD = new Set([
  ...HOP_BY_HOP,
  ...RANGE,
  "authorization",
  "cookie",
  "proxy-authorization",
  "host",
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
  "x-real-ip",
  "x-organization-id",
  // The body is streamed and re-framed; fetch negotiates and decodes the encoding itself.
  "content-length",
  "accept-encoding",
  "expect",
]);

/**
 * Headers that make some servers and gateways route to another path or method than the one
 * the allow-list judged: a request carrying one is refused.
 */
export const OVERRIDE = [
  "x-original-url",
  "x-rewrite-url",
  "x-override-url",
  "x-original-uri",
  "x-forwarded-uri",
  "x-forwarded-path",
  "x-forwarded-prefix",
  "x-http-method-override",
  "x-http-method",
  "x-method-override",
];

/**
 * Response headers never returned: cookies for Kognic's domain, hop-by-hop headers, and CORS
 * headers (the app decides who may read its answers, not Kognic).
 */
export const DROP_RESPONSE = new Set([
  ...HOP_BY_HOP,
  "set-cookie",
  "set-cookie2",
  "proxy-authenticate",
  // fetch has already decoded the body, so its encoding and length no longer apply.
  "content-encoding",
  "content-length",
]);

/** Added to every answer: never sniffed into another type, never cached. */
export const ANSWER_HEADERS: [string, string][] = [
  ["x-content-type-options", "nosniff"],
  ["cache-control", "no-store"],
];
export const MIB = 1024 * 1024;

export const NULL_BODY = [101, 204, 205, 304];
// Encoded slashes, backslashes, dots and percent signs could be decoded upstream into a path
// the allow-list never saw.
export const ENCODED_TRICK = /%(2e|2f|5c|25|00)|\\/i;

/** A `host[:port]` as lower-case name and port (`""` for none); `undefined` if not a host. */
export function parseHost(text: string): { name: string; port: string } | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(text.trim());
  return match
    ? { name: match[1].toLowerCase().replace(/\.$/, ""), port: match[2] ?? "" }
    : undefined;
}

/** Whether `host` is one of `allowed`; an entry without a port matches every port. */
export function matchesHost(host: string, allowed: { name: string; port: string }[]): boolean {
  const parsed = parseHost(host);
  return !!parsed &&
    allowed.some(({ name, port }) => name === parsed.name && (!port || port === parsed.port));
}

/**
 * Whether a browser sent the request from another site: an `Origin` that is neither this
 * host (any scheme: a TLS front proxy may speak plain HTTP to the app) nor listed, or, without
 * `Origin`, a `Sec-Fetch-Site` other than `same-origin` or `none` (typed by the user).
 */
export function isCrossSite(headers: Headers, host: string, allowed: Set<string>): boolean {
  const origin = headers.get("origin");
  if (origin !== null) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return true; // "null": a sandboxed frame, a file, a redirect from elsewhere.
    }
    if (allowed.has(url.origin)) return false;
    return url.origin === "null" || url.host !== host.toLowerCase().replace(/:(80|443)$/, "");
  }
  const site = headers.get("sec-fetch-site");
  return site !== null && site !== "same-origin" && site !== "none";
}

/** Fragments this long of a token in a header name or value count as the token. */
export const FRAGMENT = 24;

/**
 * Whether a response header holds a token: in its name (lower-cased by the runtime) or its
 * value, with the commas and spaces that join repeated header lines removed, or a fragment of
 * one long enough to help put it together.
 */
export function holdsToken(name: string, value: string, tokens: readonly string[]): boolean {
  const text = `${name}\n${value}`.replace(/[\s,]/g, "");
  return tokens.some((token) => {
    const lower = token.toLowerCase();
    if (text.includes(token) || text.includes(lower)) return true;
    const size = Math.min(FRAGMENT, token.length);
    for (let at = 0; at + size <= text.length; at++) {
      const part = text.slice(at, at + size);
      if (token.includes(part) || (at < name.length && lower.includes(part))) return true;
    }
    return false;
  });
}

/** The headers a `Connection` header names: hop-by-hop for this connection only. */
export function connectionNamed(headers: Headers): string[] {
  return (headers.get("connection") ?? "").toLowerCase().split(",").map((name) => name.trim());
}

// Dots that some servers and frameworks fold into "." although NFKC does not.
export const DOT_LOOKALIKES = /[\u3002\uff61]/;

/**
 * An absolute path without empty, `.` or `..` segments, without `;` (matrix parameters that
 * Java servers and some gateways strip before routing), without encoded slashes, backslashes,
 * dots, percent signs or control characters, and without characters that Unicode
 * normalisation turns into one of those (`．`, `‥`, `／`).
 */
export function isCleanPath(path: string): boolean {
  if (!path.startsWith("/") || ENCODED_TRICK.test(path) || /[?#\s;]|%3b/i.test(path)) {
    return false;
  }
  const segments = path.slice(1).split("/");
  return segments.every((segment, index) => {
    if (segment === "") return index === segments.length - 1;
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return false; // A malformed escape: another server could read it another way.
    }
    if (decoded === "." || decoded === "..") return false;
    for (const char of decoded) {
      if (
        char < " " || char === "\x7f" ||
        char > "\x7f" && (DOT_LOOKALIKES.test(char) || /[./\\;%?#]/.test(char.normalize("NFKC")))
      ) {
        return false;
      }
    }
    return true;
  });
}

export function codeOf(error: unknown): string {
  return error instanceof KognicAuthError ? error.code : "network error";
}

export const REDACTED = new TextEncoder().encode("[REDACTED]");

/** Replaces every occurrence of `secret` in a byte stream, also across chunk boundaries. */
export function redactStream(
  body: ReadableStream<Uint8Array>,
  secret: string,
): ReadableStream<Uint8Array> {
  const needle = new TextEncoder().encode(secret);
  let carry = new Uint8Array(0);
  const scan = (data: Uint8Array, end: number, emit: (chunk: Uint8Array) => void): number => {
    let from = 0;
    let at = data.indexOf(needle[0], from);
    while (at !== -1 && at < end) {
      let match = at + needle.length <= data.length;
      for (let i = 1; match && i < needle.length; i++) match = data[at + i] === needle[i];
      if (match) {
        emit(data.subarray(from, at));
        emit(REDACTED);
        from = at + needle.length;
        at = data.indexOf(needle[0], from);
      } else {
        at = data.indexOf(needle[0], at + 1);
      }
    }
    const stop = Math.max(from, end);
    emit(data.subarray(from, stop));
    return stop;
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const data = new Uint8Array(carry.length + chunk.length);
        data.set(carry);
        data.set(chunk, carry.length);
        // The last needle.length - 1 bytes may start a match that the next chunk completes.
        const end = Math.max(0, data.length - (needle.length - 1));
        const stop = scan(data, end, (part) => part.length && controller.enqueue(part.slice()));
        carry = data.slice(stop);
      },
      flush(controller) {
        scan(carry, carry.length, (part) => part.length && controller.enqueue(part.slice()));
      },
    }),
  );
}

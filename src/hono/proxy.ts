/**
 * An authenticating reverse proxy for Kognic APIs, as a Hono handler: browsers and scripts call
 * the proxy, the proxy calls Kognic with the bearer token added on the server, and the client
 * secret and the token never leave the server.
 *
 * @module
 */
import { SENT_TOKENS } from "../http/auth_fetch.ts";
import { KognicAuthError } from "../errors.ts";
import { redact } from "../_util.ts";
import {
  clientSource,
  type HonoContext,
  type HonoHandler,
  type KognicClientOptions,
} from "./middleware.ts";

/**
 * Options of {@linkcode kognicProxy}.
 *
 * @typeParam C The context type, Hono's `Context`.
 */
export interface KognicProxyOptions<C = HonoContext> extends KognicClientOptions<C> {
  /**
   * Who may use the proxy: a function of the request's context that says yes or no (check a
   * session, an API key, an IP range), or `"public"` to let anyone who reaches it use it. There
   * is no default: a proxy without a check would hand Kognic access to the whole internet.
   */
  access: ((c: C) => boolean | Promise<boolean>) | "public";
  /**
   * The upstream path prefixes that may be called, such as `["/v1/projects"]`; a prefix
   * matches itself and the paths below it (`/v1/projects/7`, not `/v1/projectsX`). `"/"`
   * allows every path. At least one is required.
   */
  paths: readonly string[];
  /**
   * The path the proxy is mounted at, removed before forwarding: with `mount: "/kognic"`, a
   * request for `/kognic/v1/projects` goes to `<baseUrl>/v1/projects`. Default `""`.
   */
  mount?: string;
  /**
   * The `Host` names the proxy answers for, such as `["app.example.com", "localhost:8787"]`; a
   * name without a port matches every port. A request for another host gets 421, so a page on
   * a domain that resolves to this server (DNS rebinding) cannot use it. Required with
   * `access: "public"`; default: any host.
   */
  hosts?: readonly string[];
  /**
   * Other origins whose pages may call the proxy, such as `["https://admin.example.com"]`. A
   * browser request from any other site (by `Origin` or `Sec-Fetch-Site`) gets 403, so a page
   * elsewhere cannot use a signed-in user's session cookie to call Kognic. Requests without
   * those headers (scripts, curl) are not affected. Default: none.
   */
  origins?: readonly string[];
  /**
   * Request headers forwarded in addition to the defaults (`Accept`, `Accept-Language`,
   * `Content-Type`, `Content-Language`, `If-Match`, `If-None-Match`, `If-Modified-Since`,
   * `If-Unmodified-Since`). Every other caller header stays behind: cookies, the header your
   * access check reads, `X-Organization-Id` (the client's configured one applies). Credentials,
   * hop-by-hop, routing and override headers cannot be added.
   */
  forwardHeaders?: readonly string[];
  /**
   * The largest request body forwarded, in bytes; a larger one gets 413 (a larger
   * `Content-Length` before anything is read, a longer stream as soon as it passes the limit).
   * Default 8 MiB.
   */
  maxBodyBytes?: number;
  /**
   * Forward `Range` and `If-Range`, and return partial (206) answers. Default `false`: ranges of
   * an answer that reflects the token could be put together into the token, which redaction
   * sees only whole.
   */
  allowRange?: boolean;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1): never forwarded either way. */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/** The request headers forwarded by default. */
const FORWARD = [
  "accept",
  "accept-language",
  "content-type",
  "content-language",
  "if-match",
  "if-none-match",
  "if-modified-since",
  "if-unmodified-since",
];
const RANGE = ["range", "if-range"];

/** Request headers that cannot be forwarded: credentials, hop-by-hop, routing and framing. */
const NEVER_FORWARD = new Set([
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
const OVERRIDE = [
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
const DROP_RESPONSE = new Set([
  ...HOP_BY_HOP,
  "set-cookie",
  "set-cookie2",
  "proxy-authenticate",
  // fetch has already decoded the body, so its encoding and length no longer apply.
  "content-encoding",
  "content-length",
]);

/** Added to every answer: never sniffed into another type, never cached. */
const ANSWER_HEADERS: [string, string][] = [
  ["x-content-type-options", "nosniff"],
  ["cache-control", "no-store"],
];
const MIB = 1024 * 1024;

const NULL_BODY = [101, 204, 205, 304];
// Encoded slashes, backslashes, dots and percent signs could be decoded upstream into a path
// the allow-list never saw.
const ENCODED_TRICK = /%(2e|2f|5c|25|00)|\\/i;

function refuse(status: number, message: string): Response {
  return Response.json({ message }, { status, headers: ANSWER_HEADERS });
}

/** The body was longer than the limit: the stream fails with this, the caller gets 413. */
class TooLarge extends Error {}

function invalid(message: string): never {
  throw new KognicAuthError("INVALID_OPTIONS", message);
}

/**
 * Creates a Hono handler that forwards requests to the Kognic API with the bearer token added.
 * It is safe by default:
 *
 * - it cannot be created without an `access` check (or `access: "public"`, which also needs the
 *   `hosts` it answers for), and a request the check refuses gets 403;
 * - browser requests from another site (by `Origin` or `Sec-Fetch-Site`) get 403 unless their
 *   origin is in `origins`, and with `hosts` a request for another `Host` gets 421 (DNS
 *   rebinding); requests without those headers (scripts) are not affected;
 * - it forwards only to the client's base URL (a fixed origin) and only to the allow-listed
 *   `paths`; absolute URLs, `..` segments, empty segments, encoded slashes, dots and percent
 *   signs, and the `Host` and `X-Forwarded-*` headers never change where a request goes; paths
 *   with `;` or characters that Unicode folds into dots or slashes, and requests with
 *   `X-Original-URL`, `X-HTTP-Method-Override` and similar headers, get 400;
 * - it forwards only a short list of caller headers (plus `forwardHeaders`): never cookies,
 *   `Authorization`, the header the access check reads, `Range` (unless `allowRange`) or
 *   `X-Organization-Id` (the client's configured one applies); it drops upstream
 *   `Set-Cookie`, CORS and hop-by-hop headers, and adds `X-Content-Type-Options: nosniff` and
 *   `Cache-Control: no-store`;
 * - the token never appears in what it returns: a header whose name or joined value holds it,
 *   or a long piece of it, is dropped; it is replaced by `[REDACTED]` in streamed bodies;
 *   partial (206) answers are not returned unless `allowRange`; token endpoint failures answer
 *   502 with the error code only;
 * - request bodies are limited to `maxBodyBytes` (8 MiB by default; 413 beyond, counted as the
 *   body streams); request and response bodies are streamed; a request without a body is sent
 *   once more after an upstream 401 with a new token (a streamed body cannot be replayed);
 *   redirects are returned to the caller, not followed.
 *
 * Slow clients are the server's to handle: put it behind a front proxy with header and body
 * timeouts, and raise the open-file limit (`ulimit -n`) of the process.
 *
 * @example Let browsers with a session call two Kognic APIs through `/kognic/*`
 * ```ts
 * import { Hono } from "hono";
 * import { kognicProxy } from "@kognic/auth/hono";
 *
 * const sessions = new Set<string>(); // filled at sign-in
 * const app = new Hono();
 * app.all(
 *   "/kognic/*",
 *   kognicProxy({
 *     access: (c) => sessions.has(c.req.header("cookie") ?? ""),
 *     paths: ["/v1/projects", "/v1/inputs"],
 *     mount: "/kognic",
 *     hosts: ["app.example.com"],
 *     origins: ["https://admin.example.com"],
 *   }),
 * );
 * ```
 *
 * @example Let scripts with a key call Kognic through `/kognic/*`
 * ```ts
 * import { Hono } from "hono";
 * import { kognicProxy } from "@kognic/auth/hono";
 *
 * const app = new Hono();
 * app.all(
 *   "/kognic/*",
 *   kognicProxy({
 *     access: (c) => c.req.header("x-api-key") === "let-me-in",
 *     paths: ["/v1/projects", "/v1/inputs"],
 *     mount: "/kognic",
 *   }),
 * );
 * ```
 *
 * @typeParam C The context type, Hono's `Context`.
 * @param options The access check, the allowed paths, hosts and origins, limits and the client.
 * @returns The handler.
 */
export function kognicProxy<C extends HonoContext = HonoContext>(
  options: KognicProxyOptions<C>,
): HonoHandler<C> {
  const {
    access,
    paths,
    mount = "",
    hosts,
    origins = [],
    forwardHeaders = [],
    maxBodyBytes = 8 * MIB,
    allowRange = false,
  } = options ?? {};
  if (typeof access !== "function" && access !== "public") {
    invalid(
      'The Kognic proxy needs an access check: pass access: (c) => boolean, or access: "public" ' +
        "to let anyone who can reach it call Kognic with your credentials",
    );
  }
  if (!Array.isArray(paths) || paths.length === 0) {
    invalid(
      'The Kognic proxy needs the upstream paths it may call, such as paths: ["/v1/projects"]',
    );
  }
  const prefixes = paths.map((path) => {
    if (typeof path !== "string" || !isCleanPath(path)) {
      invalid(`The Kognic proxy's path ${JSON.stringify(path)} must be a clean absolute path`);
    }
    return path.replace(/\/+$/, "");
  });
  if (mount && (!isCleanPath(mount) || mount.endsWith("/"))) {
    invalid(
      `The Kognic proxy's mount ${JSON.stringify(mount)} must be a clean path such as "/kognic"`,
    );
  }
  if (access === "public" && (!Array.isArray(hosts) || hosts.length === 0)) {
    invalid(
      'A public Kognic proxy needs the host names it answers for, such as hosts: ["app.example.com"]' +
        ": without them any site whose name resolves to this server could use it",
    );
  }
  const allowedHosts = (hosts ?? []).map((host) => {
    const parsed = typeof host === "string" ? parseHost(host) : undefined;
    if (!parsed) {
      invalid(
        `The Kognic proxy's host ${JSON.stringify(host)} must be a name such as "app.example.com"`,
      );
    }
    return parsed;
  });
  const allowedOrigins = new Set(origins.map((origin) => {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      // Reported below.
    }
    if (!url || url.origin === "null" || url.origin !== origin.replace(/\/$/, "").toLowerCase()) {
      invalid(
        `The Kognic proxy's origin ${
          JSON.stringify(origin)
        } must be an origin such as "https://app.example.com"`,
      );
    }
    return url.origin;
  }));
  const forwarded = [...FORWARD, ...(allowRange ? RANGE : [])];
  for (const name of forwardHeaders) {
    const lower = typeof name === "string" ? name.toLowerCase() : "";
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(lower)) {
      invalid(`The Kognic proxy cannot forward ${JSON.stringify(name)}: not a header name`);
    }
    if (NEVER_FORWARD.has(lower) || OVERRIDE.includes(lower)) {
      invalid(
        `The Kognic proxy never forwards the caller's ${JSON.stringify(name)} header` +
          (RANGE.includes(lower) ? ": use allowRange: true" : ""),
      );
    }
    forwarded.push(lower);
  }
  if (!(maxBodyBytes >= 0 && Number.isSafeInteger(maxBodyBytes))) {
    invalid(`The Kognic proxy's maxBodyBytes must be a whole number of bytes, not ${maxBodyBytes}`);
  }
  const getClient = clientSource(options);

  return async (c) => {
    const request = c.req.raw;
    const incoming = new URL(request.url);
    const host = request.headers.get("host") ?? incoming.host;
    if (
      allowedHosts.length &&
      !(matchesHost(incoming.host, allowedHosts) && matchesHost(host, allowedHosts))
    ) {
      return refuse(421, "This host is not served by this proxy");
    }
    if (isCrossSite(request.headers, host, allowedOrigins)) {
      return refuse(403, "Cross-site requests are not allowed through this proxy");
    }
    if (access !== "public" && !(await access(c))) return refuse(403, "Forbidden");
    const path = incoming.pathname;
    if (mount && path !== mount && !path.startsWith(`${mount}/`)) {
      return refuse(404, "Not found");
    }
    const rest = path.slice(mount.length) || "/";
    if (!isCleanPath(rest) || OVERRIDE.some((name) => request.headers.has(name))) {
      return refuse(400, "The path is not allowed through this proxy");
    }
    if (!prefixes.some((prefix) => !prefix || rest === prefix || rest.startsWith(`${prefix}/`))) {
      return refuse(403, "The path is not allowed through this proxy");
    }
    const expect = request.headers.get("expect");
    // The runtime's server answers "100-continue" itself; any other expectation is unknown.
    if (expect !== null && expect.trim().toLowerCase() !== "100-continue") {
      return refuse(417, "Only Expect: 100-continue is supported");
    }
    const method = request.method;
    const hasBody = method !== "GET" && method !== "HEAD" && request.body !== null;
    const declared = request.headers.get("content-length");
    if (hasBody && declared !== null && Number(declared) > maxBodyBytes) {
      await request.body?.cancel().catch(() => {});
      return refuse(413, `The request body is larger than ${maxBodyBytes} bytes`);
    }

    let client;
    try {
      client = await getClient(c);
    } catch (error) {
      return refuse(502, `Kognic credentials are not available (${codeOf(error)})`);
    }
    const base = client.baseUrl;
    // Built as text from the fixed origin: never resolved against anything the caller sent.
    const target = new URL(
      base.origin + base.pathname.replace(/\/+$/, "") + rest + incoming.search,
    );
    if (target.origin !== base.origin) {
      return refuse(400, "The path is not allowed through this proxy");
    }

    const headers = new Headers();
    const named = connectionNamed(request.headers);
    for (const name of forwarded) {
      const value = request.headers.get(name);
      if (value !== null && !named.includes(name)) headers.set(name, value);
    }
    let tooLarge = false;
    let body: ReadableStream<Uint8Array> | undefined;
    if (hasBody && request.body) {
      // Counted as it streams: a chunked body has no length to check in advance.
      let seen = 0;
      body = request.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            seen += chunk.byteLength;
            if (seen > maxBodyBytes) {
              tooLarge = true;
              controller.error(new TooLarge());
            } else {
              controller.enqueue(chunk);
            }
          },
        }),
      );
    }
    let response: Response;
    // Every token the request was sent with (a 401 resend adds the replacement).
    const sent: string[] = [];
    try {
      response = await client.fetch(target, {
        method,
        headers,
        body,
        redirect: "manual",
        [SENT_TOKENS]: sent,
        ...(body ? { duplex: "half" } : {}),
      } as RequestInit);
    } catch (error) {
      if (tooLarge) return refuse(413, `The request body is larger than ${maxBodyBytes} bytes`);
      return refuse(502, `Kognic could not be reached (${codeOf(error)})`);
    }
    if (tooLarge) {
      // An upstream that failed on the cut body may have answered anyway.
      await response.body?.cancel().catch(() => {});
      return refuse(413, `The request body is larger than ${maxBodyBytes} bytes`);
    }
    if (response.status === 206 && !allowRange) {
      await response.body?.cancel().catch(() => {});
      return refuse(502, "Kognic sent a partial answer, which this proxy does not return");
    }

    const tokens = [...new Set(sent)];
    const out = new Headers();
    const dropped = connectionNamed(response.headers);
    for (const [name, value] of response.headers) {
      if (
        !DROP_RESPONSE.has(name) && !dropped.includes(name) &&
        !name.startsWith("access-control-") && !holdsToken(name, value, tokens)
      ) {
        out.append(name, value);
      }
    }
    for (const [name, value] of ANSWER_HEADERS) out.set(name, value);
    let answer: ReadableStream<Uint8Array> | null =
      NULL_BODY.includes(response.status) || method === "HEAD" ? null : response.body;
    for (const token of tokens) if (answer) answer = redactStream(answer, token);
    return new Response(answer, {
      status: response.status,
      statusText: redact(response.statusText, tokens),
      headers: out,
    });
  };
}

/** A `host[:port]` as lower-case name and port (`""` for none); `undefined` if not a host. */
function parseHost(text: string): { name: string; port: string } | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(text.trim());
  return match
    ? { name: match[1].toLowerCase().replace(/\.$/, ""), port: match[2] ?? "" }
    : undefined;
}

/** Whether `host` is one of `allowed`; an entry without a port matches every port. */
function matchesHost(host: string, allowed: { name: string; port: string }[]): boolean {
  const parsed = parseHost(host);
  return !!parsed &&
    allowed.some(({ name, port }) => name === parsed.name && (!port || port === parsed.port));
}

/**
 * Whether a browser sent the request from another site: an `Origin` that is neither this
 * host (any scheme: a TLS front proxy may speak plain HTTP to the app) nor listed, or, without
 * `Origin`, a `Sec-Fetch-Site` other than `same-origin` or `none` (typed by the user).
 */
function isCrossSite(headers: Headers, host: string, allowed: Set<string>): boolean {
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
const FRAGMENT = 24;

/**
 * Whether a response header holds a token: in its name (lower-cased by the runtime) or its
 * value, with the commas and spaces that join repeated header lines removed, or a fragment of
 * one long enough to help put it together.
 */
function holdsToken(name: string, value: string, tokens: readonly string[]): boolean {
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
function connectionNamed(headers: Headers): string[] {
  return (headers.get("connection") ?? "").toLowerCase().split(",").map((name) => name.trim());
}

// Dots that some servers and frameworks fold into "." although NFKC does not.
const DOT_LOOKALIKES = /[\u3002\uff61]/;

/**
 * An absolute path without empty, `.` or `..` segments, without `;` (matrix parameters that
 * Java servers and some gateways strip before routing), without encoded slashes, backslashes,
 * dots, percent signs or control characters, and without characters that Unicode
 * normalisation turns into one of those (`．`, `‥`, `／`).
 */
function isCleanPath(path: string): boolean {
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

function codeOf(error: unknown): string {
  return error instanceof KognicAuthError ? error.code : "network error";
}

const REDACTED = new TextEncoder().encode("[REDACTED]");

/** Replaces every occurrence of `secret` in a byte stream, also across chunk boundaries. */
function redactStream(
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

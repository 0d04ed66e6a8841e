/**
 * An authenticating reverse proxy for Kognic APIs, as a Hono handler: browsers and scripts call
 * the proxy, the proxy calls Kognic with the bearer token added on the server, and the client
 * secret and the token never leave the server.
 *
 * @module
 */
import { SENT_TOKENS } from "../auth_fetch.ts";
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

/** Request headers never forwarded: credentials, hop-by-hop and routing headers. */
const DROP_REQUEST = new Set([
  ...HOP_BY_HOP,
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
  // The body is streamed and re-framed; fetch negotiates and decodes the encoding itself.
  "content-length",
  "accept-encoding",
]);

/** Response headers never returned: cookies for Kognic's domain and hop-by-hop headers. */
const DROP_RESPONSE = new Set([
  ...HOP_BY_HOP,
  "set-cookie",
  "set-cookie2",
  "proxy-authenticate",
  // fetch has already decoded the body, so its encoding and length no longer apply.
  "content-encoding",
  "content-length",
]);

const NULL_BODY = [101, 204, 205, 304];
// Encoded slashes, backslashes, dots and percent signs could be decoded upstream into a path
// the allow-list never saw.
const ENCODED_TRICK = /%(2e|2f|5c|25|00)|\\/i;

function refuse(status: number, message: string): Response {
  return Response.json({ message }, { status });
}

function invalid(message: string): never {
  throw new KognicAuthError("INVALID_OPTIONS", message);
}

/**
 * Creates a Hono handler that forwards requests to the Kognic API with the bearer token added.
 * It is safe by default:
 *
 * - it cannot be created without an `access` check (or `access: "public"`), and a request the
 *   check refuses gets 403 before anything else happens;
 * - it forwards only to the client's base URL (a fixed origin) and only to the allow-listed
 *   `paths`; absolute URLs, `..` segments, empty segments, encoded slashes, dots and percent
 *   signs, and the `Host` and `X-Forwarded-*` headers never change where a request goes;
 * - it strips the caller's `Authorization`, `Cookie`, `Proxy-Authorization` and hop-by-hop
 *   headers, and upstream `Set-Cookie` and hop-by-hop headers; other caller headers go along
 *   and, like any caller header, win over the client's defaults (`X-Organization-Id` too);
 * - the token never appears in what it returns: headers holding it are dropped and it is
 *   replaced by `[REDACTED]` in streamed bodies; token endpoint failures answer 502 with the
 *   error code only;
 * - request and response bodies are streamed; a request without a body is sent once more after
 *   an upstream 401 with a new token (a streamed body cannot be replayed); redirects are
 *   returned to the caller, not followed.
 *
 * @example Let signed-in users call two Kognic APIs through `/kognic/*`
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
 * @param options The access check, the allowed paths, the mount path and the client.
 * @returns The handler.
 */
export function kognicProxy<C extends HonoContext = HonoContext>(
  options: KognicProxyOptions<C>,
): HonoHandler<C> {
  const { access, paths, mount = "" } = options ?? {};
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
  const getClient = clientSource(options);

  return async (c) => {
    if (access !== "public" && !(await access(c))) return refuse(403, "Forbidden");
    const incoming = new URL(c.req.url);
    const path = incoming.pathname;
    if (mount && path !== mount && !path.startsWith(`${mount}/`)) {
      return refuse(404, "Not found");
    }
    const rest = path.slice(mount.length) || "/";
    if (!isCleanPath(rest)) return refuse(400, "The path is not allowed through this proxy");
    if (!prefixes.some((prefix) => !prefix || rest === prefix || rest.startsWith(`${prefix}/`))) {
      return refuse(403, "The path is not allowed through this proxy");
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

    const request = c.req.raw;
    const headers = new Headers();
    const named = connectionNamed(request.headers);
    for (const [name, value] of request.headers) {
      if (!DROP_REQUEST.has(name) && !named.includes(name)) headers.append(name, value);
    }
    const method = request.method;
    const hasBody = method !== "GET" && method !== "HEAD" && request.body !== null;
    let response: Response;
    // Every token the request was sent with (a 401 resend adds the replacement).
    const sent: string[] = [];
    try {
      response = await client.fetch(target, {
        method,
        headers,
        body: hasBody ? request.body : undefined,
        redirect: "manual",
        [SENT_TOKENS]: sent,
        ...(hasBody ? { duplex: "half" } : {}),
      } as RequestInit);
    } catch (error) {
      return refuse(502, `Kognic could not be reached (${codeOf(error)})`);
    }

    const tokens = [...new Set(sent)];
    const out = new Headers();
    const dropped = connectionNamed(response.headers);
    for (const [name, value] of response.headers) {
      if (
        !DROP_RESPONSE.has(name) && !dropped.includes(name) &&
        !tokens.some((token) => value.includes(token))
      ) {
        out.append(name, value);
      }
    }
    let body: ReadableStream<Uint8Array> | null =
      NULL_BODY.includes(response.status) || method === "HEAD" ? null : response.body;
    for (const token of tokens) if (body) body = redactStream(body, token);
    return new Response(body, {
      status: response.status,
      statusText: redact(response.statusText, tokens),
      headers: out,
    });
  };
}

/** The headers a `Connection` header names: hop-by-hop for this connection only. */
function connectionNamed(headers: Headers): string[] {
  return (headers.get("connection") ?? "").toLowerCase().split(",").map((name) => name.trim());
}

/** An absolute path without empty, `.` or `..` segments and without encoded tricks. */
function isCleanPath(path: string): boolean {
  if (!path.startsWith("/") || ENCODED_TRICK.test(path) || /[?#\s]/.test(path)) return false;
  const segments = path.slice(1).split("/");
  return segments.every((segment, index) =>
    segment !== "." && segment !== ".." && (segment !== "" || index === segments.length - 1)
  );
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

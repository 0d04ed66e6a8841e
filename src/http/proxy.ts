// Over 400 lines as one concern: one request through the proxy (access check, path and header
// rules, the upstream call, the answer); the header and path rules live in _proxy_rules.ts.
/**
 * An authenticating reverse proxy for Kognic APIs, as a plain `Request → Response` function:
 * browsers and scripts call the proxy, the proxy calls Kognic with the bearer token added on the
 * server, and the client secret and the token never leave the server. It runs under
 * `Deno.serve`, `Bun.serve`, a Workers `fetch` handler or any framework; `@kognic/auth/hono`
 * wraps it as a Hono handler.
 *
 * @example Under Deno.serve, for a signed-in session
 * ```ts ignore
 * import { createKognicProxy } from "@kognic/auth/proxy";
 *
 * const sessions = new Set<string>();
 * const proxy = createKognicProxy<Request>({
 *   access: (request) => sessions.has(request.headers.get("cookie") ?? ""),
 *   paths: ["/v1/projects"],
 *   mount: "/kognic",
 * });
 * Deno.serve((request) => proxy(request, request));
 * ```
 *
 * @module
 */
import { SENT_TOKENS } from "./auth_fetch.ts";
import { KognicAuthError } from "../errors.ts";
import { redact } from "../_util.ts";
import {
  BINDINGS,
  clientSource,
  type ClientSourceOptions,
  onWorkers,
  type WithBindings,
} from "./client_source.ts";
import { detectRuntime } from "../runtime/mod.ts";
import { quote } from "../_util.ts";

export type { ClientSource, ClientSourceOptions } from "./client_source.ts";
import {
  ANSWER_HEADERS,
  codeOf,
  connectionNamed,
  DROP_RESPONSE,
  FORWARD,
  holdsToken,
  isCleanPath,
  isCrossSite,
  matchesHost,
  MIB,
  NEVER_FORWARD,
  NULL_BODY,
  OVERRIDE,
  parseHost,
  RANGE,
  redactStream,
} from "./_proxy_rules.ts";

/**
 * Options of {@linkcode createKognicProxy}.
 *
 * @typeParam C The request's context, which the access check and a client factory get: the
 * `Request` itself, or a framework's context.
 */
export interface KognicProxyOptions<C = Request> extends ClientSourceOptions<C> {
  /**
   * Who may use the proxy: a function of the request's context that says yes or no (check a
   * session, an API key, an IP range), a {@linkcode ProxyKeyAccess} (callers send a key in a
   * header), or `"public"` to let anyone who reaches it use it. There is no default: a proxy
   * without a check would hand Kognic access to the whole internet.
   */
  access: ((c: C) => boolean | Promise<boolean>) | ProxyKeyAccess | "public";
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
/**
 * Access by a key that callers send in a header. The key is `key`, or else the variable `env`:
 * on Cloudflare Workers a binding of the request (Hono's `c.env`), elsewhere an environment
 * variable of the process. A variable that is not set or empty is an `INVALID_OPTIONS` error
 * naming it at each request (a 500, never a refusal that hides the mistake).
 */
export interface ProxyKeyAccess {
  /** The key itself; not empty. Default: the variable `env`. */
  key?: string;
  /** The variable that holds the key, read at each request. Default `"PROXY_API_KEY"`. */
  env?: string;
  /** The request header callers send the key in; never forwarded. Default `"x-api-key"`. */
  header?: string;
}

/** Compares a caller's key with the expected one in time that does not depend on where they differ. */
function sameKey(given: string, expected: string): boolean {
  let differ = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) {
    differ |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  }
  return differ === 0;
}

/** The check of a {@linkcode ProxyKeyAccess}: the request's header against the key. */
function keyAccess<C>(
  access: ProxyKeyAccess,
  bindings: ((context: C) => unknown) | undefined,
): { header: string; check: (request: Request, context: C) => Promise<boolean> } {
  const { key, env = "PROXY_API_KEY", header = "x-api-key" } = access;
  if (key !== undefined && (typeof key !== "string" || !key)) {
    invalid("The Kognic proxy's access key is empty: pass a key, or the variable that holds it");
  }
  if (typeof env !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(env)) {
    invalid(`The Kognic proxy's access env ${JSON.stringify(env)} must be a variable name`);
  }
  const lower = typeof header === "string" ? header.toLowerCase() : "";
  if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(lower)) {
    invalid(`The Kognic proxy's access header ${JSON.stringify(header)} is not a header name`);
  }
  const where = bindings && onWorkers() ? "binding" : "environment variable";
  const read = async (context: C): Promise<string | undefined> => {
    if (where === "binding") {
      const value = (bindings!(context) as Record<string, unknown> | undefined)?.[env];
      return typeof value === "string" ? value : undefined;
    }
    return (await detectRuntime()).env(env);
  };
  return {
    header: lower,
    async check(request, context) {
      let expected = key;
      if (expected === undefined) {
        try {
          expected = await read(context);
        } catch (error) {
          throw new KognicAuthError(
            "INVALID_OPTIONS",
            `The Kognic proxy cannot read its access key from the ${where} ${quote(env)}`,
            { source: env, cause: error },
          );
        }
        if (!expected) {
          throw new KognicAuthError(
            "INVALID_OPTIONS",
            `The Kognic proxy's access key is missing: set the ${where} ${quote(env)}` +
              (where === "binding" ? " (wrangler secret put)" : "") +
              ", or pass access: { key }",
            { source: env },
          );
        }
      }
      const given = request.headers.get(lower);
      return given !== null && sameKey(given, expected);
    },
  };
}

function refuse(status: number, message: string): Response {
  return Response.json({ message }, { status, headers: ANSWER_HEADERS });
}

/** The body was longer than the limit: the stream fails with this, the caller gets 413. */
class TooLarge extends Error {}

function invalid(message: string): never {
  throw new KognicAuthError("INVALID_OPTIONS", message);
}

/**
 * Creates a proxy that forwards requests to the Kognic API with the bearer token added. It is
 * safe by default:
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
 * @example A proxy under Bun.serve for scripts that hold a key
 * ```ts ignore
 * import { createKognicProxy } from "@kognic/auth/proxy";
 *
 * const proxy = createKognicProxy<Request>({
 *   access: (request) => request.headers.get("x-api-key") === "let-me-in",
 *   paths: ["/v1/projects", "/v1/inputs"],
 *   mount: "/kognic",
 * });
 * Bun.serve({ fetch: (request) => proxy(request, request) });
 * ```
 *
 * @typeParam C The request's context that `access` and a client factory get, such as the
 * `Request` itself.
 * @param options The access check, the allowed paths, hosts and origins, limits and the client.
 * @returns The proxy: the request, and its context.
 */
export function createKognicProxy<C = Request>(
  options: KognicProxyOptions<C>,
): (request: Request, context: C) => Promise<Response> {
  const bindings = (options as WithBindings<C>)?.[BINDINGS];
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
  if (
    typeof access !== "function" && access !== "public" &&
    !(typeof access === "object" && access)
  ) {
    invalid(
      'The Kognic proxy needs an access check: pass access: (c) => boolean, access: { env: "PROXY_API_KEY" } ' +
        'for a key callers send in X-Api-Key, or access: "public" to let anyone who can reach it ' +
        "call Kognic with your credentials",
    );
  }
  const keyed = typeof access === "object" ? keyAccess(access, bindings) : undefined;
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
    if (NEVER_FORWARD.has(lower) || OVERRIDE.includes(lower) || lower === keyed?.header) {
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

  return async (request, context) => {
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
    if (
      keyed
        ? !(await keyed.check(request, context))
        : access !== "public" && !(await (access as (c: C) => boolean | Promise<boolean>)(context))
    ) return refuse(403, "Forbidden");
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
      client = await getClient(context);
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

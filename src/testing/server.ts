/**
 * A Kognic-compatible test server built with Hono: the token endpoint of SPEC §4 (client
 * credentials and rotating refresh tokens), a small bearer-protected API, fault queues and
 * request recordings. Runtime-neutral: only Web APIs and Hono, so it runs in-process through
 * {@linkcode KognicServer.fetch} or behind `serve()` from `./serve.ts` on any runtime.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";

/**
 * The default client secret. Tests assert that it never shows up in output, errors or logs.
 * It contains only characters that form- and URL-encoding leave unchanged, so a plain
 * substring search also catches an encoded copy.
 */
export const CANARY_SECRET = "canary-secret-7f3b9c2e-DO-NOT-PRINT";

/**
 * A marker inside every access and refresh token the server issues, so that a scan of
 * everything the test suite printed can prove that no token leaked (scripts/test.sh does).
 */
export const TOKEN_CANARY = "CanaryToken4d1e";

/** The default client id. */
export const TEST_CLIENT_ID = "test-client-id";

/** A scripted answer that replaces the normal handling of one request. */
export interface Fault {
  /** Response status; default 200. */
  status?: number;
  /** Response body, sent as JSON with `content-type: application/json`; wins over `body`. */
  json?: unknown;
  /** Raw response body text (e.g. a malformed document). */
  body?: string;
  /** Extra response headers, e.g. `retry-after` or `sunset-date`. */
  headers?: Record<string, string>;
  /** Wait this long before answering; cut short when the request is aborted. */
  delayMs?: number;
}

/** One request as the server received it. */
export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The raw body text ("" when there is none). */
  body: string;
}

/** Options for {@linkcode createKognicServer}. */
export interface KognicServerOptions {
  /** Accepted client id; default {@linkcode TEST_CLIENT_ID}. */
  clientId?: string;
  /** Accepted client secret; default {@linkcode CANARY_SECRET}. */
  clientSecret?: string;
  /** Lifetime of issued access tokens in seconds; default 3600. */
  tokenLifetime?: number;
  /** Clock in ms since the epoch, used for `iat`/`exp` and expiry checks; default `Date.now`. */
  now?: () => number;
  /** Issue a refresh token with every access token; default true. */
  issueRefreshTokens?: boolean;
  /** Path of the token endpoint; default `/v1/auth/oauth/token`. */
  tokenPath?: string;
}

/** The server: an in-process `fetch`, the Hono app, switches, fault queues and recordings. */
export interface KognicServer {
  /**
   * Fetch-compatible entry point that calls the app in-process (no sockets); pass it to
   * `serve()` to put it on a socket. Like `fetch`, it rejects when `init.signal` aborts;
   * unlike `fetch`, it does not follow redirects. A `Request` passed without `init` goes to
   * the app untouched (its signal is not read: Deno.serve warns when a handler reads it).
   */
  readonly fetch: (input: Request | URL | string, init?: RequestInit) => Promise<Response>;
  /** The Hono app. */
  readonly app: Hono;
  /** Lifetime in seconds of tokens issued from now on. */
  tokenLifetime: number;
  /**
   * Overrides the `expires_in` field of token responses: called with the real lifetime, its
   * result is sent instead (`undefined` omits the field, `String(s)` sends a string, a larger
   * number makes the server lie). Default: send the lifetime as a number.
   */
  expiresIn: ((lifetime: number) => unknown) | undefined;
  /**
   * Narrows what a token grants (OAuth 2.0 allows it): called with the scopes asked for, its
   * result is granted and sent as `scope`. Default: all that was asked for.
   */
  grantScopes: ((requested: string[]) => string[]) | undefined;
  /** Every request to the token path, faulted ones included. */
  readonly tokenRequests: RecordedRequest[];
  /** Every other request. */
  readonly apiRequests: RecordedRequest[];
  /** Access tokens issued, in order. */
  readonly issuedTokens: string[];
  /** FIFO queue; each entry answers one token request instead of the normal handler. */
  readonly tokenFaults: Fault[];
  /** FIFO queue for API requests, applied before the bearer check. */
  readonly apiFaults: Fault[];
  /**
   * API paths that answer 401 to every request, valid token or not (a permission that no new
   * token fixes).
   */
  readonly unauthorizedPaths: Set<string>;
  /** Later API calls with this access token get 401. */
  revoke(accessToken: string): void;
  /**
   * Clears recordings, fault queues and all tokens, and restores `tokenLifetime` and
   * `expiresIn` to their initial values. Token numbering continues, so old tokens never
   * come back to life.
   */
  reset(): void;
}

interface TokenState {
  jti: number;
  scopes: string[];
  expiresAt: number;
  revoked: boolean;
}

const FORM = "application/x-www-form-urlencoded";

/**
 * Creates a Kognic-compatible server.
 *
 * @param options Credentials, token lifetime, clock and token path.
 * @returns The server; serve `server.fetch` over loopback or call it in-process.
 *
 * @example In-process client-credentials grant
 * ```ts
 * const server = createKognicServer();
 * const response = await server.fetch("http://kognic.test/v1/auth/oauth/token", {
 *   method: "POST",
 *   headers: { "content-type": "application/x-www-form-urlencoded" },
 *   body: new URLSearchParams({
 *     grant_type: "client_credentials",
 *     client_id: TEST_CLIENT_ID,
 *     client_secret: CANARY_SECRET,
 *   }),
 * });
 * const { access_token } = await response.json();
 * ```
 */
export function createKognicServer(options: KognicServerOptions = {}): KognicServer {
  const clientId = options.clientId ?? TEST_CLIENT_ID;
  const clientSecret = options.clientSecret ?? CANARY_SECRET;
  const now = options.now ?? Date.now;
  const tokenPath = options.tokenPath ?? "/v1/auth/oauth/token";
  const issueRefreshTokens = options.issueRefreshTokens ?? true;
  const initialLifetime = options.tokenLifetime ?? 3600;

  const tokens = new Map<string, TokenState>();
  const refreshTokens = new Map<string, string[]>(); // unused refresh token → its scopes
  let counter = 0;

  const app = new Hono();

  const server: KognicServer = {
    fetch: (input, init) =>
      input instanceof Request && !init
        ? Promise.resolve(app.fetch(input))
        : fetchInProcess(app, new Request(input, init), init?.signal),
    app,
    tokenLifetime: initialLifetime,
    expiresIn: undefined,
    grantScopes: undefined,
    tokenRequests: [],
    apiRequests: [],
    issuedTokens: [],
    tokenFaults: [],
    apiFaults: [],
    unauthorizedPaths: new Set(),
    revoke(accessToken) {
      const state = tokens.get(accessToken);
      if (state) state.revoked = true;
    },
    reset() {
      for (
        const list of [
          server.tokenRequests,
          server.apiRequests,
          server.issuedTokens,
          server.tokenFaults,
          server.apiFaults,
        ]
      ) list.length = 0;
      tokens.clear();
      refreshTokens.clear();
      server.unauthorizedPaths.clear();
      server.tokenLifetime = initialLifetime;
      server.expiresIn = undefined;
      server.grantScopes = undefined;
    },
  };

  function issue(requested: string[]): Record<string, unknown> {
    const scopes = server.grantScopes ? server.grantScopes(requested) : requested;
    const jti = ++counter;
    const issuedAt = now();
    const lifetime = server.tokenLifetime;
    const expiresAt = issuedAt + lifetime * 1000;
    const scope = scopes.length > 0 ? scopes.join(" ") : undefined;
    const payload = {
      sub: clientId,
      scope,
      iat: Math.floor(issuedAt / 1000),
      exp: Math.floor(expiresAt / 1000),
      jti,
    };
    const accessToken = [
      base64url(JSON.stringify({ alg: "none", typ: "JWT" })),
      base64url(JSON.stringify(payload)),
      `${TOKEN_CANARY}Sig${jti}`,
    ].join(".");
    tokens.set(accessToken, { jti, scopes, expiresAt, revoked: false });
    server.issuedTokens.push(accessToken);

    let refreshToken: string | undefined;
    if (issueRefreshTokens) {
      refreshToken = `${TOKEN_CANARY}Refresh${jti}-${crypto.randomUUID()}`;
      refreshTokens.set(refreshToken, scopes);
    }
    return {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: server.expiresIn ? server.expiresIn(lifetime) : lifetime,
      refresh_token: refreshToken,
      scope,
    };
  }

  /** The state of a valid (issued, unrevoked, unexpired) bearer token, if any. */
  function bearer(c: Context): TokenState | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
    const state = match ? tokens.get(match[1]) : undefined;
    return state && !state.revoked && now() < state.expiresAt ? state : undefined;
  }

  // Record every request, then answer from the fault queue if it has an entry.
  app.use("*", async (c, next) => {
    const request = c.req.raw;
    const url = new URL(request.url);
    const isToken = url.pathname === tokenPath;
    (isToken ? server.tokenRequests : server.apiRequests).push({
      method: request.method,
      url: request.url,
      path: url.pathname,
      headers: Object.fromEntries(request.headers),
      body: await c.req.text(),
    });
    const fault = (isToken ? server.tokenFaults : server.apiFaults).shift();
    if (fault) return await answerFault(fault, request);
    await next();
  });

  app.all(tokenPath, async (c) => {
    if (c.req.method !== "POST") {
      return c.json({ error: "invalid_request" }, 405, { allow: "POST" });
    }
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (mediaType !== FORM) {
      return tokenError(c, 400, "invalid_request", `Content-Type must be ${FORM}`);
    }
    const form = new URLSearchParams(await c.req.text());

    const authorization = c.req.header("authorization") ?? "";
    const basic = /^Basic\s+(\S+)$/i.exec(authorization);
    if (basic && form.has("client_secret")) {
      return tokenError(c, 400, "invalid_request", "Use only one client authentication method");
    }
    const [id, secret] = basic
      ? decodeBasic(basic[1])
      : [form.get("client_id"), form.get("client_secret")];
    if (id !== clientId || secret !== clientSecret) {
      if (basic) c.header("www-authenticate", 'Basic realm="kognic"');
      return tokenError(c, 401, "invalid_client", "Client authentication failed");
    }

    const requested = (form.get("scope") ?? "").split(/\s+/).filter(Boolean);
    const grantType = form.get("grant_type");
    if (grantType === "client_credentials") return tokenResponse(c, issue(requested));
    if (grantType === "refresh_token") {
      const refreshToken = form.get("refresh_token");
      if (!refreshToken) return tokenError(c, 400, "invalid_request", "Missing refresh_token");
      const scopes = refreshTokens.get(refreshToken);
      if (!scopes) {
        return tokenError(c, 401, "invalid_token", "Refresh token is unknown or already used");
      }
      refreshTokens.delete(refreshToken);
      return tokenResponse(c, issue(requested.length > 0 ? requested : scopes));
    }
    if (!grantType) return tokenError(c, 400, "invalid_request", "Missing grant_type");
    return c.json({ error: "unsupported_grant_type" }, 400);
  });

  // Paths that need no token, like a signed storage URL.
  app.all("/public/echo", (c) => c.json({ data: { path: new URL(c.req.url).pathname } }));
  app.all("/public/redirect", redirect);

  // Every other path needs a valid bearer token.
  app.use("*", async (c, next) => {
    if (!bearer(c) || server.unauthorizedPaths.has(new URL(c.req.url).pathname)) {
      return c.json({ message: "Unauthorized" }, 401, {
        "www-authenticate": 'Bearer error="invalid_token"',
      });
    }
    await next();
  });

  app.get("/v1/whoami", (c) => {
    const { scopes, jti } = bearer(c)!;
    return c.json({ data: { clientId, scopes, tokenId: jti } });
  });

  app.all("/v1/echo", async (c) => {
    const url = new URL(c.req.url);
    const headers = Object.fromEntries(c.req.raw.headers);
    if ("authorization" in headers) headers.authorization = "[present]";
    return c.json({
      data: {
        method: c.req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        body: await c.req.text(),
      },
    });
  });

  app.get("/v1/items", (c) => c.json({ data: [{ id: 1, name: "a" }, { id: 2, name: "b" }] }));

  app.all("/v1/redirect", redirect);

  app.notFound((c) => c.json({ message: `Not found: ${new URL(c.req.url).pathname}` }, 404));

  return server;
}

/** Redirects to `?to=` with `?status=` (default 302). */
function redirect(c: Context): Response {
  const to = c.req.query("to");
  const status = Number(c.req.query("status") ?? 302);
  if (!to || ![301, 302, 303, 307, 308].includes(status)) {
    return c.json({ message: "Expected ?to=<url>&status=<3xx>" }, 400);
  }
  return new Response(null, { status, headers: { location: to } });
}

function tokenResponse(c: Context, body: Record<string, unknown>): Response {
  return c.json(body, 200, { "cache-control": "no-store" });
}

function tokenError(c: Context, status: 400 | 401, error: string, description: string): Response {
  return c.json({ error, error_description: description }, status, { "cache-control": "no-store" });
}

async function answerFault(fault: Fault, request: Request): Promise<Response> {
  // Reading request.signal only here keeps Deno.serve's legacy-abort warning away otherwise.
  if (fault.delayMs) await sleep(fault.delayMs, request.signal);
  const headers = new Headers(fault.headers);
  let body: string | null = fault.body ?? "";
  if (fault.json !== undefined) {
    body = JSON.stringify(fault.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const status = fault.status ?? 200;
  if (status === 204 || status === 205 || status === 304) body = null;
  return new Response(body, { status, headers });
}

/** Calls the app in-process, rejecting like `fetch` when `signal` aborts. */
function fetchInProcess(
  app: Hono,
  request: Request,
  signal?: AbortSignal | null,
): Promise<Response> {
  if (!signal) return Promise.resolve(app.fetch(request));
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    Promise.resolve(app.fetch(request))
      .then(resolve, reject)
      .finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function base64url(text: string): string {
  const binary = Array.from(new TextEncoder().encode(text), (b) => String.fromCharCode(b)).join("");
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes RFC 6749 §2.3.1 Basic credentials: base64 of `urlencoded(id):urlencoded(secret)`. */
function decodeBasic(value: string): [string | null, string | null] {
  try {
    const bytes = Uint8Array.from(atob(value), (ch) => ch.charCodeAt(0));
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    const colon = text.indexOf(":");
    if (colon < 0) return [null, null];
    const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, " "));
    return [decode(text.slice(0, colon)), decode(text.slice(colon + 1))];
  } catch {
    return [null, null];
  }
}

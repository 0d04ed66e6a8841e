// Over 400 lines as one concern: the test server's routes, grants and fault switches share one
// state (clients, issued tokens, the request log), which a split would pass between files.
/**
 * A Kognic-compatible server for tests and local development, built with Hono: the token
 * endpoint (client credentials and refresh tokens), the Kognic API paths the documentation uses,
 * fault queues and a log of every request. Runtime-neutral: only Web APIs and Hono, so it runs
 * in-process through {@linkcode TestServer.fetch}, as a Worker or Hono app through
 * {@linkcode testServerApp}, or on a loopback port through `startTestServer()`.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";

/** The client id the server accepts unless told otherwise. */
export const DEFAULT_TEST_CLIENT_ID = "kognic-test-client";

/** The client secret the server accepts unless told otherwise. */
export const DEFAULT_TEST_CLIENT_SECRET = "kognic-test-secret";

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
  /** After `delayMs`, answer as the server normally would (a slow answer, not a scripted one). */
  passThrough?: boolean;
}

/** One request as the server received it. */
export interface RecordedRequest {
  /** The method, e.g. `"POST"`. */
  method: string;
  /** The full URL. */
  url: string;
  /** The URL's path. */
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The raw body text ("" when there is none). */
  body: string;
}

/** Options of {@linkcode createTestServer}, {@linkcode testServerApp} and `startTestServer()`. */
export interface TestServerOptions {
  /** Accepted client id; default {@linkcode DEFAULT_TEST_CLIENT_ID}. */
  clientId?: string;
  /** Accepted client secret; default {@linkcode DEFAULT_TEST_CLIENT_SECRET}. */
  clientSecret?: string;
  /** Lifetime of issued access tokens in seconds; default 3600. */
  tokenLifetime?: number;
  /** Clock in ms since the epoch, used for `iat`/`exp` and expiry checks; default `Date.now`. */
  now?: () => number;
  /** Issue a refresh token with every access token; default true. */
  issueRefreshTokens?: boolean;
  /** Path of the token endpoint; default `/v1/auth/oauth/token`. */
  tokenPath?: string;
  /** The projects `/v1/projects` lists; default two, ids 1 and 2. */
  projects?: readonly Project[];
  /** Called after each request was answered, e.g. to log it. */
  onAnswer?: (request: { method: string; path: string; status: number }) => void;
  /**
   * Text inside every access and refresh token issued, so that a search of logs can prove that
   * no token leaked; default `"KognicTestToken"`.
   */
  tokenMarker?: string;
}

/**
 * The test server as a Hono app: a `fetch` handler, which is all a Cloudflare Worker's default
 * export needs and what Hono's `app.mount()` takes.
 */
export interface TestServerApp {
  /** Answers one request; the Worker's bindings and context, when given, are not read. */
  fetch(request: Request, env?: unknown, executionCtx?: unknown): Response | Promise<Response>;
}

/** A project as `/v1/projects` serves it. */
export interface Project {
  /** Its id, as in `/v1/projects/:id`. */
  id: number;
  /** Its name. */
  name: string;
}

/** The server: an in-process `fetch`, the Hono app, switches, fault queues and recordings. */
export interface TestServer {
  /**
   * Fetch-compatible entry point that calls the app in-process (no sockets); pass it to
   * `serve()` to put it on a socket. Like `fetch`, it rejects when `init.signal` aborts;
   * unlike `fetch`, it does not follow redirects. A `Request` passed without `init` goes to
   * the app untouched (its signal is not read: Deno.serve warns when a handler reads it).
   */
  readonly fetch: (input: Request | URL | string, init?: RequestInit) => Promise<Response>;
  /** The Hono app: export it from a Worker, or mount its `fetch` with Hono's `app.mount()`. */
  readonly app: TestServerApp;
  /** The accepted client id (the last one {@linkcode TestServer.rotate} set). */
  readonly clientId: string;
  /** The accepted client secret (the last one {@linkcode TestServer.rotate} set). */
  readonly clientSecret: string;
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
  /** Every other request: the request log of the API. */
  readonly apiRequests: RecordedRequest[];
  /** Access tokens issued, in order. */
  readonly issuedTokens: string[];
  /**
   * FIFO queue; each entry answers one token request instead of the normal handler. See
   * {@linkcode invalidClient}, {@linkcode rateLimited}, {@linkcode serverError} and
   * {@linkcode slowAnswer}.
   */
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
   * Rotates the client, as generating new credentials in the Kognic web app does: from now on
   * the token endpoint accepts only this client id and secret (`invalid_client` for the old
   * ones); tokens issued before stay valid until they expire, and `GET /v1/whoami` names the
   * client each token was issued to.
   *
   * @example Rotate the secret mid-run
   * ```ts
   * import { createTestServer } from "@kognic/auth/testing";
   *
   * const server = createTestServer();
   * server.rotate(server.clientId, "the-new-secret");
   * console.log(server.clientSecret); // "the-new-secret"
   * ```
   *
   * @param clientId The client id accepted from now on.
   * @param clientSecret The client secret accepted from now on.
   */
  rotate(clientId: string, clientSecret: string): void;
  /**
   * Clears recordings, fault queues and all tokens, and restores `tokenLifetime`,
   * `expiresIn` and the projects to their initial values. Token numbering continues, so old tokens never
   * come back to life.
   */
  reset(): void;
}

interface TokenState {
  /** The client the token was issued to. */
  clientId: string;
  jti: number;
  scopes: string[];
  expiresAt: number;
  revoked: boolean;
}

const FORM = "application/x-www-form-urlencoded";

/**
 * Creates a Kognic-compatible server that answers in-process: no port, no sockets.
 *
 * @param options Credentials, token lifetime, clock, token path and projects.
 * @returns The server; pass `server.fetch` as the `fetch` option of a client, serve it, or
 * export `server.app` from a Worker.
 *
 * @example A client that talks to the server in-process
 * ```ts
 * import { createClient } from "@kognic/auth";
 * import { createTestServer } from "@kognic/auth/testing";
 *
 * const server = createTestServer();
 * const kognic = await createClient({
 *   auth: [server.clientId, server.clientSecret],
 *   baseUrl: "http://127.0.0.1:8080",
 *   authHost: "http://127.0.0.1:8080",
 *   fetch: server.fetch,
 * });
 * const projects = await kognic.get<{ id: number; name: string }[]>("/v1/projects");
 * console.log(projects.length, server.tokenRequests.length); // 2 1
 * ```
 */
export function createTestServer(options: TestServerOptions = {}): TestServer {
  let clientId = options.clientId ?? DEFAULT_TEST_CLIENT_ID;
  let clientSecret = options.clientSecret ?? DEFAULT_TEST_CLIENT_SECRET;
  const marker = options.tokenMarker ?? "KognicTestToken";
  const initialProjects = options.projects ?? [
    { id: 1, name: "Project A" },
    { id: 2, name: "Project B" },
  ];
  const projects: Project[] = initialProjects.map((project) => ({ ...project }));
  const now = options.now ?? Date.now;
  const tokenPath = options.tokenPath ?? "/v1/auth/oauth/token";
  const issueRefreshTokens = options.issueRefreshTokens ?? true;
  const initialLifetime = options.tokenLifetime ?? 3600;

  const tokens = new Map<string, TokenState>();
  const refreshTokens = new Map<string, string[]>(); // unused refresh token → its scopes
  let counter = 0;

  const app = new Hono();

  const server: TestServer = {
    fetch: (input, init) =>
      input instanceof Request && !init
        ? Promise.resolve(app.fetch(input))
        : fetchInProcess(app, new Request(input, init), init?.signal),
    app,
    get clientId() {
      return clientId;
    },
    get clientSecret() {
      return clientSecret;
    },
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
    rotate(id, secret) {
      clientId = id;
      clientSecret = secret;
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
      projects.splice(0, projects.length, ...initialProjects.map((project) => ({ ...project })));
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
      `${marker}Sig${jti}`,
    ].join(".");
    tokens.set(accessToken, { clientId, jti, scopes, expiresAt, revoked: false });
    server.issuedTokens.push(accessToken);

    let refreshToken: string | undefined;
    if (issueRefreshTokens) {
      refreshToken = `${marker}Refresh${jti}-${crypto.randomUUID()}`;
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

  const onAnswer = options.onAnswer;
  if (onAnswer) {
    app.use("*", async (c, next) => {
      await next();
      onAnswer({ method: c.req.method, path: new URL(c.req.url).pathname, status: c.res.status });
    });
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
    if (fault?.passThrough) {
      // Reading request.signal only here keeps Deno.serve's legacy-abort warning away otherwise.
      if (fault.delayMs) await sleep(fault.delayMs, request.signal);
    } else if (fault) return await answerFault(fault, request);
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
    const { clientId, scopes, jti } = bearer(c)!;
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

  // The Kognic API paths the documentation's examples call.
  app.get("/v1/projects", (c) => c.json({ data: projects }));
  app.post("/v1/projects", async (c) => {
    const body = await c.req.json().catch(() => undefined) as { name?: unknown } | undefined;
    if (typeof body?.name !== "string" || body.name === "") {
      return c.json({ message: 'Expected a JSON body with a non-empty "name"' }, 400);
    }
    const project = { id: Math.max(0, ...projects.map((p) => p.id)) + 1, name: body.name };
    projects.push(project);
    return c.json({ data: project }, 201);
  });
  app.get("/v1/projects/:id", (c) => {
    const project = projects.find((p) => String(p.id) === c.req.param("id"));
    return project
      ? c.json({ data: project })
      : c.json({ message: `Project not found: ${c.req.param("id")}` }, 404);
  });

  app.all("/v1/redirect", redirect);

  app.notFound((c) => c.json({ message: `Not found: ${new URL(c.req.url).pathname}` }, 404));

  return server;
}

/**
 * The test server as a Hono app, for Cloudflare Workers (`export default testServerApp()`) or
 * to mount inside another Hono app (`app.mount("/kognic", testServerApp().fetch)`). Each call
 * makes a server of its own, with its own tokens.
 *
 * @param options Credentials, token lifetime, clock, token path and projects.
 * @returns The Hono app of a new {@linkcode createTestServer} server.
 *
 * @example A Worker that is a Kognic test server
 * ```ts
 * import { testServerApp } from "@kognic/auth/testing";
 *
 * export default testServerApp({ tokenLifetime: 300 });
 * ```
 */
export function testServerApp(options: TestServerOptions = {}): TestServerApp {
  return createTestServer(options).app;
}

/**
 * A token-endpoint fault: 401 `invalid_client`, as for a wrong or expired client secret.
 *
 * @returns The fault, to push onto `server.tokenFaults`.
 *
 * @example The next token request is refused
 * ```ts
 * import { createTestServer, invalidClient } from "@kognic/auth/testing";
 *
 * const server = createTestServer();
 * server.tokenFaults.push(invalidClient());
 * ```
 */
export function invalidClient(): Fault {
  return {
    status: 401,
    json: { error: "invalid_client", error_description: "Client authentication failed" },
    headers: { "cache-control": "no-store" },
  };
}

/**
 * A 429 answer with `Retry-After`, as a rate-limited token endpoint or API sends.
 *
 * @param retryAfterSeconds The `Retry-After` header's value in seconds; default 1.
 * @returns The fault, to push onto `server.tokenFaults` or `server.apiFaults`.
 *
 * @example Two rate-limited token requests, then a token
 * ```ts
 * import { createTestServer, rateLimited } from "@kognic/auth/testing";
 *
 * const server = createTestServer();
 * server.tokenFaults.push(rateLimited(1), rateLimited(1));
 * ```
 */
export function rateLimited(retryAfterSeconds = 1): Fault {
  return {
    status: 429,
    json: { error: "rate_limited", error_description: "Too many requests" },
    headers: { "retry-after": String(retryAfterSeconds) },
  };
}

/**
 * A server error (5xx), as a failing deployment answers.
 *
 * @param status The status; default 503.
 * @returns The fault, to push onto `server.tokenFaults` or `server.apiFaults`.
 *
 * @example One failed API call, then normal answers
 * ```ts
 * import { createTestServer, serverError } from "@kognic/auth/testing";
 *
 * const server = createTestServer();
 * server.apiFaults.push(serverError(502));
 * ```
 */
export function serverError(status = 503): Fault {
  return { status, json: { message: "Service unavailable" } };
}

/**
 * A slow answer: the request waits `ms` milliseconds, then gets the normal answer.
 *
 * @param ms How long to wait.
 * @returns The fault, to push onto `server.tokenFaults` or `server.apiFaults`.
 *
 * @example A token endpoint that takes two seconds
 * ```ts
 * import { createTestServer, slowAnswer } from "@kognic/auth/testing";
 *
 * const server = createTestServer();
 * server.tokenFaults.push(slowAnswer(2_000));
 * ```
 */
export function slowAnswer(ms: number): Fault {
  return { delayMs: ms, passThrough: true };
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

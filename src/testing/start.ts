/**
 * {@linkcode startTestServer}: the Kognic test server on a loopback port of Deno, Bun or Node.
 *
 * @module
 */
import { serve } from "./_serve.ts";
import {
  createTestServer,
  type RecordedRequest,
  type TestServer,
  type TestServerOptions,
} from "./server.ts";

/** Options of {@linkcode startTestServer}. */
export interface StartTestServerOptions extends TestServerOptions {
  /** A loopback address to listen on; default `127.0.0.1`. */
  hostname?: string;
  /** The port; default a free one. */
  port?: number;
}

/** A test server listening on a loopback port. */
export interface RunningTestServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:43123`: API and auth host. */
  readonly url: string;
  /**
   * Options for `createClient` and `createAuthFetch` that talk to this server: its credentials
   * as `auth`, and its URL as `baseUrl` and `authHost`.
   */
  readonly clientOptions: {
    auth: [clientId: string, clientSecret: string];
    baseUrl: string;
    authHost: string;
  };
  /**
   * The environment of a program under test: `KOGNIC_CLIENT_ID` and `KOGNIC_CLIENT_SECRET`
   * (read by `createClient()`), and `KOGNIC_TEST_SERVER_URL`, to pass as `baseUrl` and
   * `authHost`.
   */
  readonly env: {
    KOGNIC_CLIENT_ID: string;
    KOGNIC_CLIENT_SECRET: string;
    KOGNIC_TEST_SERVER_URL: string;
  };
  /** The `export` lines of {@linkcode RunningTestServer.env}, one per line, for a shell. */
  readonly exports: string;
  /** Every token request it saw, faulted ones included. */
  readonly tokenRequests: RecordedRequest[];
  /** Every API request it saw. */
  readonly apiRequests: RecordedRequest[];
  /** The server itself: fault queues, issued tokens, lifetime and `reset()`. */
  readonly server: TestServer;
  /** Stops listening, drops open connections and frees the port. */
  close(): Promise<void>;
}

/**
 * Starts a Kognic-compatible test server on a loopback port, on Deno, Bun or Node.
 *
 * @param options Credentials, token lifetime, projects, the address and the port.
 * @returns Its URL, ready client options and environment, the requests it saw and `close()`.
 *
 * @example Test your code against the test server
 * ```ts
 * import { createClient } from "@kognic/auth";
 * import { startTestServer } from "@kognic/auth/testing";
 *
 * const kognic = await startTestServer();
 * try {
 *   const client = await createClient(kognic.clientOptions);
 *   const project = await client.get<{ name: string }>("/v1/projects/1");
 *   console.log(project.name, kognic.tokenRequests.length); // "Project A" 1
 * } finally {
 *   await kognic.close();
 * }
 * ```
 */
export async function startTestServer(
  options: StartTestServerOptions = {},
): Promise<RunningTestServer> {
  const { hostname, port, ...serverOptions } = options;
  const server = createTestServer(serverOptions);
  const served = await serve(server.fetch, { hostname, port });
  const env = {
    KOGNIC_CLIENT_ID: server.clientId,
    KOGNIC_CLIENT_SECRET: server.clientSecret,
    KOGNIC_TEST_SERVER_URL: served.url,
  };
  return {
    url: served.url,
    clientOptions: {
      auth: [server.clientId, server.clientSecret],
      baseUrl: served.url,
      authHost: served.url,
    },
    env,
    exports: Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}`)
      .join("\n"),
    tokenRequests: server.tokenRequests,
    apiRequests: server.apiRequests,
    server,
    close: () => served.close(),
  };
}

/** Quotes a value for a POSIX shell when it holds anything but safe characters. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

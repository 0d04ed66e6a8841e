/**
 * A Kognic-compatible server for your own tests and for local development, built on Hono: a
 * token endpoint (client credentials and refresh tokens, a configurable token lifetime,
 * injectable faults) and the Kognic API paths the documentation uses (`/v1/projects`,
 * `/v1/projects/:id`), with a log of every request it saw.
 *
 * - {@linkcode startTestServer} listens on a loopback port of Deno, Bun or Node and returns its
 *   URL, ready client options and environment variables, the requests it saw and `close()`.
 * - {@linkcode createTestServer} answers in-process, through its `fetch`, without a port.
 * - {@linkcode testServerApp} is the same server as a Hono app, for Cloudflare Workers or to
 *   mount in your own app.
 * - {@linkcode invalidClient}, {@linkcode rateLimited}, {@linkcode serverError} and
 *   {@linkcode slowAnswer} make faults to queue on `server.tokenFaults` or `server.apiFaults`.
 *
 * The credentials it accepts are `kognic-test-client` and `kognic-test-secret` unless you give
 * others. It needs the `hono` package (and `@hono/node-server` on Node). From a shell,
 * `kognic-test-server` (`@kognic/auth/testing/cli`) starts one and prints the `export` lines.
 *
 * @example A test of code that calls Kognic
 * ```ts
 * import { createClient } from "@kognic/auth";
 * import { invalidClient, startTestServer } from "@kognic/auth/testing";
 *
 * const kognic = await startTestServer({ tokenLifetime: 60 });
 * try {
 *   const client = await createClient(kognic.clientOptions);
 *   const projects = await client.get<{ id: number }[]>("/v1/projects");
 *   console.log(projects.length); // 2
 *
 *   kognic.server.reset();
 *   kognic.server.tokenFaults.push(invalidClient());
 *   const refused = await createClient({ ...kognic.clientOptions, auth: ["other", "client"] });
 *   await refused.get("/v1/projects").catch((error) => console.log(error.code)); // TOKEN_OAUTH_ERROR
 * } finally {
 *   await kognic.close();
 * }
 * ```
 *
 * @module
 */
export {
  createTestServer,
  DEFAULT_TEST_CLIENT_ID,
  DEFAULT_TEST_CLIENT_SECRET,
  type Fault,
  invalidClient,
  type Project,
  rateLimited,
  type RecordedRequest,
  serverError,
  slowAnswer,
  type TestServer,
  type TestServerApp,
  testServerApp,
  type TestServerOptions,
} from "./server.ts";
export { type RunningTestServer, startTestServer, type StartTestServerOptions } from "./start.ts";

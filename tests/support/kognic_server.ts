/**
 * The suite's Kognic test server: the public one from `@kognic/auth/testing`, with canary
 * credentials and a canary inside every token, so that the secret scan at the end of
 * scripts/test.sh can prove that no secret or token reached the output.
 *
 * @module
 */
import {
  createTestServer,
  type TestServer,
  type TestServerOptions,
} from "../../src/testing/mod.ts";

export type { Fault, RecordedRequest } from "../../src/testing/mod.ts";

/**
 * The suite's client secret. Tests assert that it never shows up in output, errors or logs.
 * It contains only characters that form- and URL-encoding leave unchanged, so a plain
 * substring search also catches an encoded copy.
 */
export const CANARY_SECRET = "canary-secret-7f3b9c2e-DO-NOT-PRINT";

/**
 * A marker inside every access and refresh token the server issues, so that a scan of
 * everything the test suite printed can prove that no token leaked (scripts/test.sh does).
 */
export const TOKEN_CANARY = "CanaryToken4d1e";

/** The suite's client id. */
export const TEST_CLIENT_ID = "test-client-id";

/** The public test server. */
export type KognicServer = TestServer;

/** Its options. */
export type KognicServerOptions = TestServerOptions;

/** The public test server with the suite's canary credentials and token marker as defaults. */
export function createKognicServer(options: KognicServerOptions = {}): KognicServer {
  return createTestServer({
    clientId: TEST_CLIENT_ID,
    clientSecret: CANARY_SECRET,
    tokenMarker: TOKEN_CANARY,
    ...options,
  });
}

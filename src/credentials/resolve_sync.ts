// The steps of credential resolution that need no I/O: the options and the
// environment pair. Apart from src/resolve.ts so that the edge entry can use them without
// importing the runtime detection (whose Node adapter would bring `node:` modules into a
// Workers bundle).
import { Credentials } from "./credentials.ts";
import { KognicAuthError } from "../errors.ts";
import type { ResolvedCredentials, ResolveOptions } from "./resolve.ts";
import type { Runtime } from "../runtime/mod.ts";
/**
 * Steps 1 and 2 of the chain that need no I/O: the `clientId` and `clientSecret` options, and an
 * `auth` option that is a `[clientId, clientSecret]` pair or a {@linkcode Credentials} object.
 * Returns `undefined` when neither is given or `auth` is a path or a plain object.
 *
 * @internal
 */
export function resolveGiven(options: ResolveOptions): ResolvedCredentials | undefined {
  const { auth, clientId, clientSecret } = options;
  // As Python `kognic-auth`: only both together count; one of them alone is ignored and the
  // chain goes on (to `auth`, then the environment).
  if (clientId !== undefined && clientSecret !== undefined) {
    if (auth !== undefined) {
      throw new KognicAuthError(
        "INVALID_OPTIONS",
        "Give either the auth option or clientId and clientSecret, not both",
      );
    }
    if (
      typeof clientId !== "string" || !clientId || typeof clientSecret !== "string" || !clientSecret
    ) {
      throw new KognicAuthError(
        "INVALID_OPTIONS",
        "The clientId and clientSecret options must be non-empty strings",
      );
    }
    return {
      credentials: new Credentials({ clientId, clientSecret }),
      source: "clientId and clientSecret options",
    };
  }
  if (auth instanceof Credentials) return { credentials: auth, source: "the auth option" };
  if (Array.isArray(auth)) {
    const [clientId, clientSecret] = auth;
    if (
      auth.length !== 2 || typeof clientId !== "string" || typeof clientSecret !== "string" ||
      !clientId || !clientSecret
    ) {
      throw new KognicAuthError(
        "CREDENTIALS_INVALID_PAIR",
        `The auth option must be a [clientId, clientSecret] pair of two non-empty strings, got an array of ${auth.length}`,
        { source: "the auth option" },
      );
    }
    return { credentials: new Credentials({ clientId, clientSecret }), source: "the auth option" };
  }
  return undefined;
}

/**
 * Step 4 of the chain: `KOGNIC_CLIENT_ID` and `KOGNIC_CLIENT_SECRET`, both set and non-empty.
 * Returns `undefined` when neither is set. Only one of them set is `CREDENTIALS_ENV_INCOMPLETE`:
 * thrown, or with `deferred` returned, for a caller that (as Python `kognic-auth` does) first
 * goes on to the keyring and throws it only when that holds nothing either.
 *
 * @internal
 */
export function resolveEnvPair(
  runtime: Runtime,
  deferred?: boolean,
): ResolvedCredentials | KognicAuthError | undefined {
  const id = runtime.env("KOGNIC_CLIENT_ID");
  const secret = runtime.env("KOGNIC_CLIENT_SECRET");
  if (id && secret) {
    return {
      credentials: new Credentials({ clientId: id, clientSecret: secret }),
      source: "KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET",
    };
  }
  if (!id === !secret) return undefined;
  const [set, missing] = id
    ? ["KOGNIC_CLIENT_ID", "KOGNIC_CLIENT_SECRET"]
    : ["KOGNIC_CLIENT_SECRET", "KOGNIC_CLIENT_ID"];
  const error = new KognicAuthError(
    "CREDENTIALS_ENV_INCOMPLETE",
    `${set} is set, ${missing} is not: set both or neither`,
    { source: missing },
  );
  if (deferred) return error;
  throw error;
}

/**
 * What to do on a runtime without a file system (edge functions), for error messages.
 *
 * @internal
 */
export function noFilesHint(name: string): string {
  return `The ${name} runtime has no file system: set KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET ` +
    "in its environment or bindings, or pass the auth option";
}

/**
 * Where Kognic credentials come from, first match wins: explicit `clientId` and
 * `clientSecret`, the `auth` option, `KOGNIC_CREDENTIALS`, `KOGNIC_CLIENT_ID` with
 * `KOGNIC_CLIENT_SECRET`, and the system keyring's `default` profile.
 *
 * @module
 */
import { assertNotExpired } from "./credentials.ts";
import { KognicAuthError } from "../errors.ts";
import { lazily } from "../_util.ts";
import type { Runtime } from "../runtime/mod.ts";
import { detectRuntime } from "../runtime/detect.ts";
import { resolveEnvPair, resolveGiven } from "./resolve_sync.ts";
import type { ResolvedCredentials, ResolveOptions } from "./resolve_types.ts";

// Types only, apart so that a program run from TypeScript source never loads their text.
export type { AuthInput, ResolvedCredentials, ResolveOptions } from "./resolve_types.ts";

/**
 * Finds Kognic credentials the way Kognic documents it and the Python `kognic-auth` does:
 *
 * 1. `clientId` + `clientSecret` options (an error together with `auth`);
 * 2. the `auth` option: a `[clientId, clientSecret]` pair, a credentials object, a `.json`
 *    path (`~` expanded) or `keyring://PROFILE`;
 * 3. the file named by `KOGNIC_CREDENTIALS`;
 * 4. `KOGNIC_CLIENT_ID` and `KOGNIC_CLIENT_SECRET`, both set and non-empty;
 * 5. the keyring profile `default`, where the runtime has a keyring.
 *
 * When none holds credentials the error (`CREDENTIALS_NOT_FOUND`) lists every source tried.
 * Credentials whose `expires` lies in the past are refused (`CREDENTIALS_EXPIRED`).
 *
 * @example Resolve from the environment
 * ```ts
 * import { resolveCredentials } from "@kognic/auth/core";
 * import { memoryRuntime } from "@kognic/auth/runtime/memory";
 *
 * const runtime = memoryRuntime({ env: { KOGNIC_CLIENT_ID: "id", KOGNIC_CLIENT_SECRET: "s" } });
 * const { credentials, source } = await resolveCredentials({ runtime });
 * console.log(credentials.clientId, source); // id KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET
 * ```
 *
 * @param options The `auth` option, explicit client id and secret, and the runtime.
 * @returns The credentials and where they were found.
 */
export async function resolveCredentials(
  options: ResolveOptions = {},
): Promise<ResolvedCredentials> {
  const runtime = options.runtime ?? await detectRuntime();
  const resolved = await find(options, runtime);
  assertNotExpired(resolved.credentials, options.now ?? Date.now(), resolved.source);
  return resolved;
}

// The files, the keyring and their parsers load only when the options or the environment point
// past the pair: most programs never need them. One import, shared by concurrent callers; a
// failed one is tried again.
const sources = lazily(() => import("./sources.ts"));

async function find(options: ResolveOptions, runtime: Runtime): Promise<ResolvedCredentials> {
  const given = resolveGiven(options);
  if (given) return given;
  if (options.auth === undefined && !runtime.env("KOGNIC_CREDENTIALS")) {
    const fromEnv = resolveEnvPair(runtime, true);
    if (fromEnv && !(fromEnv instanceof KognicAuthError)) return fromEnv;
  }
  return (await sources()).findElsewhere(options, runtime);
}

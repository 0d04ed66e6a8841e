/**
 * The credentials sources that read files or the keyring: credentials files, `keyring://`
 * profiles, `~` and XDG paths. Loaded by `resolveCredentials` only when the options or
 * the environment point past a `clientId` and `clientSecret` pair.
 *
 * @module
 */
import type { Credentials } from "./credentials.ts";
import { parseCredentials } from "./parse.ts";
import { keyringUnavailable, KognicAuthError } from "../errors.ts";
import type { Runtime } from "../runtime/mod.ts";
import { capitalize, quote } from "../_util.ts";
import { jsonErrorPosition } from "../_json.ts";
import { noFilesHint, resolveEnvPair } from "./resolve_sync.ts";
import { readFileOrFail } from "./read_file.ts";
import type { AuthInput, ResolvedCredentials, ResolveOptions } from "./resolve.ts";

/** The keyring service under which Kognic credentials profiles are stored. */
export const CREDENTIALS_KEYRING_SERVICE = "kognic-credentials";
const KEYRING_PREFIX = "keyring://";

/**
 * The sources after the options' pair: the `auth` option, `KOGNIC_CREDENTIALS`, the environment
 * pair and the keyring's `default` profile, in that order, or the error that lists what was tried.
 *
 * @param options The options, without a `clientId` and `clientSecret` pair.
 * @param runtime The runtime to read files, environment variables and the keyring through.
 * @returns The credentials and where they were found.
 */
export async function findElsewhere(
  options: ResolveOptions,
  runtime: Runtime,
): Promise<ResolvedCredentials> {
  const { auth } = options;
  if (auth !== undefined) return await fromAuth(auth, runtime);

  const path = runtime.env("KOGNIC_CREDENTIALS");
  if (path) {
    // Python reads the file KOGNIC_CREDENTIALS names whatever its extension.
    const source = `KOGNIC_CREDENTIALS file ${quote(path)}`;
    return {
      credentials: await readCredentialsFileAnyName(path, runtime, source),
      source,
      origin: { file: path },
    };
  }

  const fromEnv = resolveEnvPair(runtime, true);
  if (fromEnv && !(fromEnv instanceof KognicAuthError)) return fromEnv;

  let keyringNote = runtime.keyring ? "" : keyringAbsence(runtime);
  if (runtime.keyring) {
    let found: ResolvedCredentials | undefined;
    try {
      found = await fromKeyring("default", runtime, false);
      keyringNote = "no such profile";
    } catch (error) {
      // A keyring that cannot be reached is a source that holds nothing, not a failure.
      const code = error instanceof KognicAuthError ? error.code : undefined;
      if (code !== "KEYRING_UNAVAILABLE" && code !== "KEYRING_FAILED") throw error;
      keyringNote = `keyring unavailable: ${(error as Error).message}`;
    }
    if (found) return found;
  }
  // Only one of the pair set, and no keyring profile either: say which one is missing.
  if (fromEnv) throw fromEnv;
  const state = (name: string) => runtime.env(name) === undefined ? "not set" : "empty";
  throw new KognicAuthError(
    "CREDENTIALS_NOT_FOUND",
    "No Kognic credentials found. Tried: the auth option (not given); " +
      "the clientId and clientSecret options (not given); " +
      `KOGNIC_CREDENTIALS (${state("KOGNIC_CREDENTIALS")}); ` +
      `KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET (${state("KOGNIC_CLIENT_ID")}, ${
        state("KOGNIC_CLIENT_SECRET")
      }); ` +
      `keyring profile "default" (${keyringNote})` +
      (runtime.readTextFile ? await usualFileHint(runtime) : `. ${noFilesHint(runtime.name)}`),
  );
}

/** Where the Kognic web app's download is usually kept; read only when a variable names it. */
const USUAL_FILE = "~/.config/kognic/credentials.json";

/**
 * When the usual credentials file exists, how to use it: as in Python, the file is not read
 * without `KOGNIC_CREDENTIALS` naming it (this only looks whether it is there).
 */
async function usualFileHint(runtime: Runtime): Promise<string> {
  if (!runtime.homeDir()) return "";
  const path = expandHome(USUAL_FILE, runtime);
  const found = await readFileOrFail(
    runtime as Parameters<typeof readFileOrFail>[0],
    path,
    () => new Error(),
  ).catch(() => undefined);
  return found === undefined
    ? ""
    : `. A credentials file is at ${quote(path)}, which is read only when named: set ` +
      `KOGNIC_CREDENTIALS=${path}`;
}

async function fromAuth(auth: AuthInput, runtime: Runtime): Promise<ResolvedCredentials> {
  if (typeof auth === "string") {
    if (auth.startsWith(KEYRING_PREFIX)) {
      const profile = auth.slice(KEYRING_PREFIX.length);
      return (await fromKeyring(profile, runtime, true))!;
    }
    const source = `credentials file ${quote(auth)}`;
    return {
      credentials: await readCredentialsFile(auth, runtime, source),
      source,
      origin: { file: auth },
    };
  }
  if (typeof auth === "object" && auth !== null) {
    const source = "the auth option";
    return {
      // Like Python, a plain object is a parsed credentials file: the same keys are required.
      credentials: parseCredentials(auth, source),
      source,
    };
  }
  throw new KognicAuthError(
    "INVALID_OPTIONS",
    `The auth option must be a path, a [clientId, clientSecret] pair or a credentials object, not ${typeof auth}`,
  );
}

async function fromKeyring(
  profile: string,
  runtime: Runtime,
  required: boolean,
): Promise<ResolvedCredentials | undefined> {
  const source = `keyring profile ${quote(profile)}`;
  const credentials = await readKeyringCredentials(profile, runtime);
  if (credentials) return { credentials, source, origin: { keyring: profile } };
  if (!required) return undefined;
  throw new KognicAuthError(
    "KEYRING_PROFILE_NOT_FOUND",
    `No credentials in the keyring for profile ${quote(profile)}: ` +
      `store them with \`kognic-auth credentials put <file> --env ${profile}\``,
    { source },
  );
}

/**
 * Reads and checks the credentials of a keyring profile, whether or not they have expired;
 * `undefined` when the profile holds nothing.
 *
 * @internal
 */
export async function readKeyringCredentials(
  profile: string,
  runtime: Runtime,
): Promise<Credentials | undefined> {
  const source = `keyring profile ${quote(profile)}`;
  if (!runtime.keyring) {
    throw keyringUnavailable(`Cannot read ${source}`, source, keyringAbsence(runtime));
  }
  const stored = await runtime.keyring.get(CREDENTIALS_KEYRING_SERVICE, profile);
  return stored === undefined ? undefined : parseCredentials(parseJson(stored, source), source);
}

/**
 * Reads and validates a credentials file. The path must end in `.json`; a leading `~` is the
 * home directory.
 *
 * @example Read a credentials file
 * ```ts
 * import { readCredentialsFile } from "@kognic/auth/core";
 * import { memoryRuntime } from "@kognic/auth/runtime/memory";
 *
 * const runtime = memoryRuntime({
 *   files: {
 *     "/home/user/.config/kognic/credentials.json":
 *       '{"clientId":"id","clientSecret":"s","email":"me@example.com","userId":1,"issuer":"x"}',
 *   },
 * });
 * const credentials = await readCredentialsFile("~/.config/kognic/credentials.json", runtime);
 * console.log(credentials.email); // me@example.com
 * ```
 *
 * @param path The file's path.
 * @param runtime The runtime to read it through.
 * @param source What the file is, for error messages; default `credentials file "<path>"`.
 * @returns The validated credentials.
 */
export async function readCredentialsFile(
  path: string,
  runtime: Runtime,
  source: string = `credentials file ${quote(path)}`,
): Promise<Credentials> {
  // As Python's `auth` check: exactly ".json", case-sensitive.
  if (!path.endsWith(".json")) {
    throw new KognicAuthError(
      "CREDENTIALS_PATH_NOT_JSON",
      `Credentials path ${quote(path)} must end in ".json"`,
      { source: path },
    );
  }
  return await readCredentialsFileAnyName(path, runtime, source);
}

/**
 * Reads and validates a credentials file whatever its name ends in (`KOGNIC_CREDENTIALS`,
 * `kognic-auth credentials put FILE`); a leading `~` is the home directory.
 *
 * @internal
 */
export async function readCredentialsFileAnyName(
  path: string,
  runtime: Runtime,
  source: string = `credentials file ${quote(path)}`,
): Promise<Credentials> {
  const fullPath = expandHome(path, runtime);
  if (!runtime.readTextFile) {
    throw new KognicAuthError(
      "CREDENTIALS_FILE_UNREADABLE",
      `Cannot read ${source}: ${noFilesHint(runtime.name).replace(/^T/, "t")}`,
      { source: path },
    );
  }
  const text = await readFileOrFail(
    runtime as Parameters<typeof readFileOrFail>[0],
    fullPath,
    (reason, cause) =>
      new KognicAuthError("CREDENTIALS_FILE_UNREADABLE", `Cannot read ${source}: ${reason}`, {
        source: path,
        cause,
      }),
  );
  if (text === undefined) {
    throw new KognicAuthError(
      "CREDENTIALS_FILE_NOT_FOUND",
      `${capitalize(source)} does not exist`,
      { source: path },
    );
  }
  return parseCredentials(parseJson(text, source), source);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message quotes the document, which holds the secret: only the position.
    let where = "";
    try {
      const at = jsonErrorPosition(text);
      if (at) where = ` (line ${at.line} column ${at.column})`;
    } catch { /* nested too deep to locate */ }
    const bom = text.startsWith("\ufeff")
      ? ": it starts with a byte order mark, save it without"
      : "";
    throw new KognicAuthError(
      "CREDENTIALS_INVALID_JSON",
      `${capitalize(source)} is not valid JSON${where}${bom || ": fix it or download it again"}`,
      { source },
    );
  }
}

/**
 * Expands a leading `~` to the runtime's home directory.
 *
 * @example Expand a path
 * ```ts
 * import { expandHome } from "@kognic/auth/core";
 * import { memoryRuntime } from "@kognic/auth/runtime/memory";
 *
 * console.log(expandHome("~/creds.json", memoryRuntime({ home: "/home/me" }))); // /home/me/creds.json
 * ```
 *
 * @param path A path that may start with `~`.
 * @param runtime The runtime that knows the home directory.
 * @returns The path with `~` replaced.
 */
export function expandHome(path: string, runtime: Runtime): string {
  if (path !== "~" && !path.startsWith("~/")) return path;
  const home = runtime.homeDir();
  if (!home) {
    throw new KognicAuthError(
      "CREDENTIALS_FILE_NOT_FOUND",
      `Cannot expand "~" in ${quote(path)}: no home directory on this runtime`,
      { source: path },
    );
  }
  return home.replace(/[\\/]+$/, "") + path.slice(1);
}

/**
 * A file under an XDG base directory: `$VARIABLE/file` when the variable is set and not empty,
 * otherwise `fallback/file` with `~` expanded.
 *
 * @internal
 */
export function xdgPath(
  runtime: Runtime,
  variable: string,
  fallback: string,
  file: string,
): string {
  const base = runtime.env(variable) || expandHome(fallback, runtime);
  return `${base.replace(/[\\/]+$/, "")}/${file}`;
}

/** Why a runtime has no keyring, for messages: what is missing and what to do. */
function keyringAbsence(
  runtime: { name: string; os?: string; env(name: string): string | undefined; run?: unknown },
): string {
  if (!runtime.run) return `no keyring on the ${runtime.name} runtime`;
  if (runtime.os === "linux") {
    try {
      if (!runtime.env("DBUS_SESSION_BUS_ADDRESS")) {
        return "no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)";
      }
    } catch {
      return "Deno may not read DBUS_SESSION_BUS_ADDRESS: add --allow-env";
    }
  }
  if (runtime.os && runtime.os !== "linux" && runtime.os !== "darwin") {
    return `no keyring support on ${runtime.os}`;
  }
  return "no keyring on this runtime";
}

/**
 * The `kognic-auth` command line, interchangeable with Kognic's Python tool (SPEC §10):
 *
 * - `kognic-auth [-v] get-access-token [--server URL] [--credentials FILE] [--env NAME]
 *   [--env-config-file-path FILE] [--token-cache auto|keyring|file|none] [--scopes S ...]
 *   [--decode]` prints an access token;
 * - `kognic-auth credentials put FILE|get|delete [--env PROFILE]` manages credentials in the
 *   system keyring;
 * - `kognic-auth kog METHOD URL …` is `kog` (see `@kognic/auth/cli/kog`).
 *
 * ```sh
 * deno run -A jsr:@kognic/auth/cli get-access-token --env demo
 * deno install -g -A -n kognic-auth jsr:@kognic/auth/cli
 * ```
 *
 * @example Run it in-process
 * ```ts ignore
 * import { main } from "@kognic/auth/cli";
 *
 * const code = await main(["get-access-token", "--credentials", "creds.json"], {
 *   stdout: (text) => console.log(text.trimEnd()),
 *   stderr: (text) => console.error(text.trimEnd()),
 * });
 * ```
 *
 * @module
 */
import { TOKEN_CACHE_MODES, type TokenCacheMode } from "../cache/mod.ts";
import { defaultEnvironmentsPath, loadEnvironments } from "../environments.ts";
import { keyringUnavailable, KognicAuthError } from "../errors.ts";
import {
  CREDENTIALS_KEYRING_SERVICE,
  expandHome,
  readCredentialsFile,
  readKeyringCredentials,
} from "../resolve.ts";
import { detectRuntime, type Runtime } from "../runtime/mod.ts";
import { DEFAULT_AUTH_HOST } from "../token_endpoint.ts";
import { type OptionSpec, parseArgs, UsageError } from "./_args.ts";
import { type CliIo, connect, debugLogger, messageOf, pyRepr } from "./_common.ts";
import { dumpPython, PyNumber, PyObject } from "./_json.ts";
import { kog } from "./kog.ts";
import { decodeJwt } from "./_jwt.ts";

export type { CliIo } from "./_common.ts";
export { kog } from "./kog.ts";

const USAGE = `usage: kognic-auth [-h] [-v] {get-access-token,credentials,kog} ...

Kognic authentication CLI

positional arguments:
  {get-access-token,credentials,kog}
    get-access-token    Generate an access token for Kognic API authentication
    credentials         Manage stored credentials in the system keyring
    kog                 Make authenticated HTTP requests to Kognic APIs (same as kog)

options:
  -h, --help            show this help message and exit
  -v, --verbose         Enable debug logging
`;

const TOKEN_USAGE = `usage: kognic-auth get-access-token [-h] [--server SERVER] [--credentials FILE]
                                   [--env-config-file-path ENV_CONFIG_FILE_PATH] [--env ENV_NAME]
                                   [--token-cache {auto,keyring,file,none}]
                                   [--scopes SCOPES [SCOPES ...]] [--decode]

options:
  -h, --help            show this help message and exit
  --server SERVER       Authentication server URL (default: ${DEFAULT_AUTH_HOST})
  --credentials FILE    Path to JSON credentials file. If not provided, credentials are read
                        from environment variables.
  --env-config-file-path ENV_CONFIG_FILE_PATH
                        Environment config file path
                        (default: $XDG_CONFIG_HOME/kognic/environments.json)
  --env ENV_NAME        Use a specific environment from the config file
  --token-cache {auto,keyring,file,none}
                        Token cache backend: auto (default), keyring, file, or none.
  --scopes SCOPES [SCOPES ...]
                        OAuth2 scopes to request, e.g. --scopes api:read api:write
  --decode              Decode and pretty-print the JWT header, payload, and signature
                        instead of printing the raw token
`;

const CREDENTIALS_USAGE = `usage: kognic-auth credentials [-h] {put,get,delete} ...

  put FILE [--env ENV]  Put credentials from a JSON file into the system keyring
  get [--env ENV]       Get stored credentials from the system keyring
  delete [--env ENV]    Delete stored credentials from the system keyring

ENV is the keyring profile (default: default); use an environment's name from
environments.json to link credentials to it (credentials: "keyring://ENV").
`;

const VERBOSE: OptionSpec = { names: ["-v", "--verbose"], key: "verbose", kind: "flag" };
const HELP: OptionSpec = { names: ["-h", "--help"], key: "help", kind: "flag" };

const TOKEN_OPTIONS: OptionSpec[] = [
  { names: ["--server"], key: "server", kind: "value" },
  { names: ["--credentials"], key: "credentials", kind: "value" },
  { names: ["--env"], key: "env", kind: "value" },
  { names: ["--env-config-file-path"], key: "envConfig", kind: "value" },
  { names: ["--token-cache"], key: "cache", kind: "value", choices: TOKEN_CACHE_MODES },
  { names: ["--scopes"], key: "scopes", kind: "many" },
  { names: ["--decode"], key: "decode", kind: "flag" },
  VERBOSE,
  HELP,
];

const PROFILE_OPTIONS: OptionSpec[] = [
  { names: ["--env"], key: "env", kind: "value" },
  VERBOSE,
  HELP,
];

/**
 * Runs `kognic-auth` with the given arguments (without the program name) and returns the exit
 * code: 0 on success, 1 otherwise. Output and errors go to `io`.
 *
 * @example Print a token
 * ```ts ignore
 * import { main } from "@kognic/auth/cli";
 *
 * await main(["get-access-token", "--env", "demo"], {
 *   stdout: (text) => console.log(text.trimEnd()),
 *   stderr: (text) => console.error(text.trimEnd()),
 * });
 * ```
 *
 * @param args The command-line arguments.
 * @param io Where to write, and the runtime.
 * @returns The exit code.
 */
export async function main(args: readonly string[], io: CliIo): Promise<number> {
  let rest = [...args];
  let verbose = false;
  while (rest[0] === "-v" || rest[0] === "--verbose") {
    verbose = true;
    rest = rest.slice(1);
  }
  const [command, ...tail] = rest;
  const withVerbose = verbose ? ["-v", ...tail] : tail;
  try {
    switch (command) {
      case "get-access-token":
        return await getAccessToken(withVerbose, io);
      case "credentials":
        return await credentials(tail[0], [...verbose ? ["-v"] : [], ...tail.slice(1)], io);
      case "kog":
        return await kog(withVerbose, io);
      case undefined:
      case "-h":
      case "--help":
        await io.stdout(USAGE);
        return 0;
      default:
        throw new UsageError(
          `argument command: invalid choice: ${pyRepr(command)} ` +
            "(choose from 'get-access-token', 'credentials', 'kog')",
        );
    }
  } catch (error) {
    if (error instanceof UsageError) await io.stderr(USAGE.split("\n\n")[0] + "\n");
    await io.stderr(`Error: ${messageOf(error)}\n`);
    return 1;
  }
}

async function getAccessToken(args: string[], io: CliIo): Promise<number> {
  const { options, positionals } = parseArgs(args, TOKEN_OPTIONS);
  if (options.help) {
    await io.stdout(TOKEN_USAGE);
    return 0;
  }
  if (positionals.length) throw new UsageError(`unrecognized arguments: ${positionals.join(" ")}`);
  const runtime = io.runtime ?? await detectRuntime();
  const debug = debugLogger(io, options.verbose === true);
  let server = options.server as string | undefined;
  let auth = options.credentials as string | undefined;
  let scopes = options.scopes as string[] | undefined;
  const name = options.env as string | undefined;
  if (name) {
    const path = options.envConfig as string | undefined;
    const config = await loadEnvironments({ runtime, path });
    if (!Object.hasOwn(config.environments, name)) {
      throw new KognicAuthError(
        "ENVIRONMENT_NOT_FOUND",
        `Environment '${name}' not found in config file '${
          path ?? defaultEnvironmentsPath(runtime)
        }'`,
        { source: name },
      );
    }
    const environment = config.environments[name];
    debug(`Environment ${name}`);
    server ??= environment.authServer;
    auth ??= environment.credentials;
    if (scopes === undefined && environment.scopes.length) scopes = environment.scopes;
  }
  const client = await connect({
    auth,
    authServer: server ?? DEFAULT_AUTH_HOST,
    scopes,
    cache: (options.cache ?? "auto") as TokenCacheMode,
    runtime,
    debug,
  });
  const token = await client.provider.getToken();
  await io.stdout(`${options.decode ? decodeJwt(token) : token}\n`);
  return 0;
}

function keyringOf(runtime: Runtime, doing: string): NonNullable<Runtime["keyring"]> {
  if (!runtime.keyring) throw keyringUnavailable(doing);
  return runtime.keyring;
}

async function credentials(action: string | undefined, args: string[], io: CliIo): Promise<number> {
  if (action === undefined || action === "-h" || action === "--help") {
    await io.stdout(CREDENTIALS_USAGE);
    return 0;
  }
  if (!["put", "get", "delete"].includes(action)) {
    throw new UsageError(
      `argument credentials_action: invalid choice: ${pyRepr(action)} ` +
        "(choose from 'put', 'get', 'delete')",
    );
  }
  const { options, positionals } = parseArgs(args, PROFILE_OPTIONS);
  if (options.help) {
    await io.stdout(CREDENTIALS_USAGE);
    return 0;
  }
  const profile = (options.env as string | undefined) ?? "default";
  const runtime = io.runtime ?? await detectRuntime();
  const debug = debugLogger(io, options.verbose === true);
  if (action === "put") {
    const [file, ...extra] = positionals;
    if (file === undefined) throw new UsageError("the following arguments are required: FILE");
    if (extra.length) throw new UsageError(`unrecognized arguments: ${extra.join(" ")}`);
    const keyring = keyringOf(runtime, "Cannot store credentials in the keyring");
    const found = await readCredentialsFile(file, runtime, undefined);
    const init = found.toInit();
    const stored: Record<string, unknown> = {
      clientId: init.clientId,
      clientSecret: init.clientSecret,
      email: init.email,
      userId: init.userId,
      issuer: init.issuer,
      name: init.name,
    };
    if (found.created) stored.created = found.created.toISOString();
    if (found.expires) stored.expires = found.expires.toISOString();
    debug(`Storing credentials from ${expandHome(file, runtime)} as keyring profile ${profile}`);
    await keyring.set(CREDENTIALS_KEYRING_SERVICE, profile, JSON.stringify(stored));
    await io.stdout(
      `Credentials for client_id=${pyRepr(found.clientId)} stored in keyring (profile=${
        pyRepr(profile)
      })\n`,
    );
    return 0;
  }
  if (positionals.length) throw new UsageError(`unrecognized arguments: ${positionals.join(" ")}`);
  if (action === "get") {
    // Shown as stored, expired or not, like the Python tool.
    keyringOf(runtime, "Cannot read credentials from the keyring");
    const found = await readKeyringCredentials(profile, runtime);
    if (!found) {
      await io.stderr(`No credentials found in keyring (profile=${pyRepr(profile)})\n`);
      return 1;
    }
    const shown = new PyObject();
    shown.set("clientId", found.clientId);
    shown.set("clientSecret", found.clientSecret);
    shown.set("email", found.email);
    shown.set("userId", new PyNumber(String(found.userId)));
    shown.set("issuer", found.issuer);
    await io.stdout(`${dumpPython(shown, 2)}\n`);
    return 0;
  }
  const keyring = keyringOf(runtime, "Cannot delete credentials from the keyring");
  const deleted = await keyring.delete(CREDENTIALS_KEYRING_SERVICE, profile);
  debug(deleted ? `Deleted keyring profile ${profile}` : `Keyring profile ${profile} was empty`);
  await io.stdout(`Credentials cleared from keyring (profile=${pyRepr(profile)})\n`);
  return 0;
}

if (import.meta.main) {
  const { runMain } = await import("./_main.ts");
  await runMain(main);
}

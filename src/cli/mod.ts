/**
 * The `kognic-auth` command line, interchangeable with Kognic's Python tool: the same options,
 * output, messages, help texts and exit codes (0 success, 1 failure, 2 a refused command line):
 *
 * - `kognic-auth [-v] get-access-token [--server URL] [--credentials FILE] [--env NAME]
 *   [--env-config-file-path FILE] [--token-cache auto|keyring|file|none] [--scopes S ...]
 *   [--decode]` prints an access token;
 * - `kognic-auth credentials put FILE|get|delete [--env PROFILE]` manages credentials in the
 *   system keyring.
 *
 * `kog` (see `@kognic/auth/cli/kog`) is re-exported here too.
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
import { TOKEN_CACHE_MODES, type TokenCacheMode } from "../stores/mod.ts";
import { defaultEnvironmentsPath, loadEnvironments } from "../credentials/environments.ts";
import { keyringUnavailable, KognicAuthError } from "../errors.ts";
import {
  CREDENTIALS_KEYRING_SERVICE,
  expandHome,
  readCredentialsFileAnyName,
  readKeyringCredentials,
} from "../credentials/sources.ts";
import { detectRuntime, type Runtime } from "../runtime/mod.ts";
import { DEFAULT_AUTH_HOST } from "../token/endpoint.ts";
import { type ArgSpec, HelpRequest, type Parsed, Parser } from "./_args.ts";
import { type CliIo, connectClient, pyRepr, runCommand, verboseDebug } from "./_common.ts";
import { dumpPython, PyNumber, PyObject } from "./_json.ts";
import { decodeJwt } from "./_jwt.ts";
import { explainRefusal } from "../credentials/refused.ts";

export type { CliIo } from "./_common.ts";
export { kog } from "./kog.ts";

const profileHelp = (text: string): ArgSpec => ({
  names: ["--env"],
  key: "env",
  kind: "value",
  metavar: "ENV",
  help: text,
});

/** The `kognic-auth` command line, as the Python tool declares it (help texts included). */
function cliParser(runtime: Runtime): Parser {
  const prog = "kognic-auth";
  const getAccessToken = new Parser({
    prog: `${prog} get-access-token`,
    args: [
      {
        names: ["--server"],
        key: "server",
        kind: "value",
        help: `Authentication server URL (default: ${DEFAULT_AUTH_HOST})`,
      },
      {
        names: ["--credentials"],
        key: "credentials",
        kind: "value",
        metavar: "FILE",
        help: "Path to JSON credentials file. If not provided, credentials are read from " +
          "environment variables.",
      },
      {
        names: ["--env-config-file-path"],
        key: "envConfig",
        kind: "value",
        metavar: "ENV_CONFIG_FILE_PATH",
        help: `Environment config file path (default: ${defaultEnvironmentsPath(runtime)})`,
      },
      {
        names: ["--env"],
        key: "env",
        kind: "value",
        metavar: "ENV_NAME",
        help: "Use a specific environment from the config file",
      },
      {
        names: ["--token-cache"],
        key: "cache",
        kind: "value",
        choices: TOKEN_CACHE_MODES,
        help: "Token cache backend: auto (default), keyring, file, or none. Auto will use " +
          "keyring if available, otherwise file-based caching.",
      },
      {
        names: ["--scopes"],
        key: "scopes",
        kind: "many",
        help: "OAuth2 scopes to request, e.g. --scopes api:read api:write",
      },
      {
        names: ["--decode"],
        key: "decode",
        kind: "flag",
        help: "Decode and pretty-print the JWT header, payload, and signature instead of " +
          "printing the raw token",
      },
    ],
  });
  const credentials = new Parser({
    prog: `${prog} credentials`,
    args: [],
    commands: {
      key: "credentials_action",
      parsers: [
        {
          parser: new Parser({
            prog: `${prog} credentials put`,
            args: [
              {
                names: [],
                key: "file",
                kind: "value",
                metavar: "FILE",
                help: "Path to credentials JSON file",
              },
              profileHelp(
                "Keyring profile name to store credentials under (default: default). Use the " +
                  "environment name from environments.json to link credentials to that " +
                  "environment (e.g. --env production \u2192 use 'keyring://production' in " +
                  "your config).",
              ),
            ],
          }),
          help: "Put credentials from a JSON file into the system keyring",
        },
        {
          parser: new Parser({
            prog: `${prog} credentials get`,
            args: [
              profileHelp("Keyring profile name to read credentials from (default: default)."),
            ],
          }),
          help: "Get stored credentials from the system keyring",
        },
        {
          parser: new Parser({
            prog: `${prog} credentials delete`,
            args: [profileHelp("Keyring profile name to clear (default: default).")],
          }),
          help: "Delete stored credentials from the system keyring",
        },
      ],
    },
  });
  return new Parser({
    prog,
    description: "Kognic authentication CLI",
    args: [{
      names: ["-v", "--verbose"],
      key: "verbose",
      kind: "flag",
      help: "Enable debug logging",
    }],
    commands: {
      key: "command",
      help: "Available commands",
      parsers: [
        {
          parser: getAccessToken,
          help: "Generate an access token for Kognic API authentication",
        },
        { parser: credentials, help: "Manage stored credentials in the system keyring" },
      ],
    },
  });
}

/**
 * Runs `kognic-auth` with the given arguments (without the program name) and returns the exit
 * code: 0 on success, 1 on a failure, 2 for a command line it refuses. Output and errors go to
 * `io`.
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
export function main(args: readonly string[], io: CliIo): Promise<number> {
  return runCommand(io, "kognic-auth", async () => {
    const runtime = io.runtime ?? await detectRuntime();
    const parser = cliParser(runtime);
    const { options, command } = parser.parse(args);
    const verbose = options.verbose === true;
    if (command?.name === "get-access-token") {
      return await getAccessToken(command.parsed.options, runtime, verbose, io);
    }
    if (command?.name === "credentials") {
      const action = command.parsed.command;
      if (!action) return 0;
      return await credentials(action.name, action.parsed.options, runtime, verbose, io);
    }
    throw new HelpRequest(parser);
  });
}

async function getAccessToken(
  options: Parsed["options"],
  runtime: Runtime,
  verbose: boolean,
  io: CliIo,
): Promise<number> {
  const debug = verboseDebug(io, verbose);
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
  const client = await connectClient({
    auth,
    authServer: server || DEFAULT_AUTH_HOST,
    scopes,
    cache: (options.cache ?? "auto") as TokenCacheMode,
    runtime,
    debug,
    io,
  });
  // A refused client says what to check, as the client's requests do.
  const token = await client.provider.getToken().catch(async (error: unknown) => {
    throw await explainRefusal(error, client.provider);
  });
  await io.stdout(`${options.decode ? decodeJwt(token) : token}\n`);
  return 0;
}

function keyringOf(runtime: Runtime, doing: string): NonNullable<Runtime["keyring"]> {
  if (!runtime.keyring) throw keyringUnavailable(doing);
  return runtime.keyring;
}

async function credentials(
  action: string,
  options: Parsed["options"],
  runtime: Runtime,
  verbose: boolean,
  io: CliIo,
): Promise<number> {
  const profile = (options.env as string | undefined) ?? "default";
  const debug = verboseDebug(io, verbose);
  if (action === "put") {
    const file = options.file as string;
    // As Python: any file name, not only `.json`.
    const found = await readCredentialsFileAnyName(file, runtime, undefined);
    const keyring = keyringOf(runtime, "Cannot store credentials in the keyring");
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

// Without a top-level await, so that bundles in formats that lack it (an iife) can hold this
// module: the command runs after the module has loaded.
if (import.meta.main) import("./_main.ts").then(({ runMain }) => runMain(main));

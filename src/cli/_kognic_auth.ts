// `kognic-auth`: its command line as the Python tool declares it, and `get-access-token`; the
// `credentials` commands load on first use (./_credentials.ts). The public entry is ./mod.ts.
import { TOKEN_CACHE_MODES, type TokenCacheMode } from "../stores/cache_mode.ts";
import { defaultEnvironmentsPath, loadEnvironments } from "../credentials/environments.ts";
import { KognicAuthError } from "../errors.ts";
import { detectRuntime } from "../runtime/detect.ts";
import type { Runtime } from "../runtime/mod.ts";
import { DEFAULT_AUTH_HOST } from "../credentials/credentials.ts";
import { type ArgSpec, HelpRequest, type Parsed, Parser } from "./_args.ts";
import { type CliIo, runCommand, verboseDebug, withProvider } from "./_common.ts";
import { explainRefusal } from "../credentials/refused.ts";

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
      const { credentials } = await import("./_credentials.ts");
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
  // The token only: the provider a client would have, without the client's request path.
  const connection = {
    auth,
    authServer: server || DEFAULT_AUTH_HOST,
    scopes,
    cache: (options.cache ?? "auto") as TokenCacheMode,
    runtime,
    debug,
    io,
  };
  const token = await withProvider(connection, (provider) =>
    // A refused client says what to check, as the client's requests do.
    provider.getToken().catch(async (error: unknown) => {
      throw await explainRefusal(error, provider);
    }));
  const decode = options.decode ? (await import("./_jwt.ts")).decodeJwt : undefined;
  await io.stdout(`${decode ? decode(token) : token}\n`);
  return 0;
}

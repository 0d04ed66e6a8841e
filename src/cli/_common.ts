// What `kognic-auth` and `kog` share: the I/O they are given, debug logging, and building a
// client with the token cache the way the Python tools do.
import { createTokenStore, type TokenCacheMode } from "../stores/cache_mode.ts";
import type { ClientOptions, KognicClient } from "../http/client.ts";
import { createConnection } from "../http/create_connection.ts";
import { detectRuntime } from "../runtime/detect.ts";
import type { Runtime } from "../runtime/mod.ts";
import { HelpRequest, UsageError } from "./_args.ts";
import { terminalColumns } from "./_python.ts";
import { KognicAuthError } from "../errors.ts";
import type { StoredToken, TokenProvider, TokenStore } from "../token/provider.ts";
import { defaultLogger, type Logger, tokenEventListener } from "../http/logging.ts";
import { debugLogger as envLogger } from "../http/debug_logger.ts";

/** Where a command writes and what it runs on. */
export interface CliIo {
  /** Writes to standard output. */
  stdout(text: string): void | Promise<void>;
  /** Writes to standard error. */
  stderr(text: string): void | Promise<void>;
  /** The runtime; detected by default. */
  runtime?: Runtime;
  /** The width of the terminal standard output goes to, if it is one (for help texts). */
  columns?: number;
}

/**
 * Runs a command the way argparse and the Python tools end: help on stdout (exit 0), a refused
 * command line as usage plus `PROG: error: …` (exit 2), any other failure as `Error: …` (exit 1).
 */
export async function runCommand(
  io: CliIo,
  tool: "kog" | "kognic-auth",
  command: () => Promise<number>,
): Promise<number> {
  try {
    return await command();
  } catch (error) {
    if (error instanceof HelpRequest || error instanceof UsageError) {
      const runtime = io.runtime ?? await detectRuntime();
      const columns = terminalColumns(runtime.env("COLUMNS"), io.columns);
      const { help, usage } = await import("./_help.ts");
      if (error instanceof HelpRequest) {
        await io.stdout(help(error.parser, columns));
        return 0;
      }
      await io.stderr(
        `usage: ${
          usage(error.parser, columns - 2)
        }\n${error.parser.prog}: error: ${error.message}\n`,
      );
      return 2;
    }
    // A one-shot command read its credentials just now: a refusal is told as Python tells it.
    const failure = error instanceof KognicAuthError && error.code === "CREDENTIALS_REFUSED"
      ? error.cause
      : error;
    // Python's get-access-token says "Error fetching token" for what the token request raised.
    const fetching = tool === "kognic-auth" && failure instanceof KognicAuthError &&
      failure.code.startsWith("TOKEN_");
    await io.stderr(`Error${fetching ? " fetching token" : ""}: ${cliMessage(failure, tool)}\n`);
    return 1;
  }
}

/**
 * A library error in the words of the command line: the options a user of the tool can give
 * instead of the library's option names, and the Python tools' own text where it says the same.
 */
export function cliMessage(error: unknown, tool: "kog" | "kognic-auth"): string {
  const message = messageOf(error);
  if (!(error instanceof KognicAuthError)) return message;
  if (error.code === "CREDENTIALS_FILE_NOT_FOUND" && error.source) {
    return `Could not find API Credentials file at ${error.source}`;
  }
  if (error.code === "TOKEN_OAUTH_ERROR") {
    // The OAuth error and its description, as authlib words them; what to check on a line
    // of its own.
    return message.replace(/^.*? refused the request \(\d+\): /, "")
      .replace(". Check the client secret", "\nCheck the client secret");
  }
  if (error.code === "CREDENTIALS_NOT_FOUND") {
    const [own, give] = tool === "kog"
      ? [
        "the environment's credentials (none in environments.json for this URL)",
        'an environment with "credentials" in environments.json (or --env NAME)',
      ]
      : ["--credentials (not given)", "--credentials FILE or --env NAME"];
    return message.replace(
      "the auth option (not given); the clientId and clientSecret options (not given)",
      own,
    ) + `. Give ${give}, set KOGNIC_CREDENTIALS, or store credentials with ` +
      "`kognic-auth credentials put FILE`";
  }
  return message;
}

/** Writes one debug line; never called with a secret or a token. */
export type Debug = (message: string) => void;

/** The debug logger of `-v`: lines on standard error, or nothing. */
export function verboseDebug(io: CliIo, verbose: boolean): Debug {
  return verbose ? (message) => void io.stderr(`DEBUG kognic.auth: ${message}\n`) : () => {};
}

export { pyRepr } from "./_python.ts";

/** The message of any error, for `Error: <message>`. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function loggingStore(store: TokenStore, mode: string, debug: Debug): TokenStore {
  return {
    async load(key: string) {
      try {
        const token = await store.load(key);
        debug(
          token
            ? `Using cached token from the ${mode} token cache (key=${key})`
            : `No usable token in the ${mode} token cache (key=${key})`,
        );
        return token;
      } catch (error) {
        debug(`Could not read the ${mode} token cache: ${messageOf(error)}`);
        throw error;
      }
    },
    async save(key: string, token: StoredToken) {
      try {
        await store.save(key, token);
        debug(`Saved the token to the ${mode} token cache (key=${key})`);
      } catch (error) {
        debug(`Could not write the ${mode} token cache: ${messageOf(error)}`);
        throw error;
      }
    },
  };
}

function loggingFetch(send: typeof fetch, debug: Debug): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    debug(`${method.toUpperCase()} ${url.origin}${url.pathname}`);
    const response = await send(input, init);
    debug(`${method.toUpperCase()} ${url.origin}${url.pathname} -> ${response.status}`);
    return response;
  };
}

/** Options of {@linkcode connectClient}. */
export interface ConnectOptions {
  /** A credentials file path or `keyring://PROFILE`; default the usual sources. */
  auth?: string;
  /** The auth server. */
  authServer: string;
  /** The scopes; default the credentials' own. */
  scopes?: string[];
  /** The token cache mode. */
  cache: TokenCacheMode;
  /** The API base URL. */
  baseUrl?: string;
  /** The runtime. */
  runtime: Runtime;
  /** The debug logger. */
  debug: Debug;
  /** Where the library's warnings and errors go (its standard error). */
  io: CliIo;
}

/**
 * The library's warnings and errors (such as credentials that expire soon) on the command's
 * standard error, as `WARNING kognic.auth: …` and `ERROR kognic.auth: …`; unless `DEBUG` asks
 * for every message (`DEBUG=kognic-auth`).
 */
function cliLogger(io: CliIo, runtime: Runtime): Logger {
  const line = (level: string) => (message: string) =>
    void io.stderr(`${level} kognic.auth: ${message}\n`);
  return envLogger((name) => {
    try {
      return runtime.env(name);
    } catch {
      return undefined;
    }
  }) ?? { debug() {}, info() {}, warn: line("WARNING"), error: line("ERROR") };
}

/** The options of the client `--token-cache` and the other options ask for. */
async function clientOptions(options: ConnectOptions): Promise<ClientOptions> {
  const { runtime, debug } = options;
  let store: TokenStore | undefined;
  const created = await createTokenStore(options.cache, { runtime });
  if (created) {
    const kind = options.cache === "auto" ? (runtime.keyring ? "keyring" : "file") : options.cache;
    debug(`Token cache: ${options.cache} (${kind})`);
    store = loggingStore(created, kind, debug);
  } else {
    debug("Token cache: none");
  }
  debug(
    `Auth server ${options.authServer}, credentials ${
      options.auth ?? "from the environment or the keyring's default profile"
    }${options.scopes?.length ? `, scopes ${options.scopes.join(" ")}` : ""}`,
  );
  return {
    runtime,
    auth: options.auth,
    authHost: options.authServer,
    baseUrl: options.baseUrl,
    scopes: options.scopes?.length ? options.scopes : undefined,
    store,
    fetch: loggingFetch(runtime.fetch, debug),
    logger: cliLogger(options.io, runtime),
  };
}

/** Builds a client whose tokens are cached as `--token-cache` says. */
export async function connectClient(options: ConnectOptions): Promise<KognicClient> {
  // The client's request path loads here, not with the commands that need only a token.
  const [init, { createClient }] = await Promise.all([
    clientOptions(options),
    import("../http/create_client.ts"),
  ]);
  return await createClient(init);
}

/**
 * Calls `use` with the token provider {@linkcode connectClient}'s client would have, its events
 * (a token obtained, credentials that expire soon, a failing token cache) logged as that client
 * logs them, without building the client and loading its request path.
 */
export async function withProvider<T>(
  options: ConnectOptions,
  use: (provider: TokenProvider) => Promise<T>,
): Promise<T> {
  const [{ provider }, resolved] = await createConnection(await clientOptions(options));
  const unsubscribe = provider.subscribe(
    tokenEventListener(provider, resolved.logger ?? defaultLogger, resolved.onEvent),
  );
  try {
    return await use(provider);
  } finally {
    unsubscribe();
  }
}

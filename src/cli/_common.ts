// What `kognic-auth` and `kog` share: the I/O they are given, debug logging, and building a
// client with the token cache the way the Python tools do.
import { createTokenStore, type TokenCacheMode } from "../cache/mod.ts";
import type { KognicClient } from "../client.ts";
import { createClient } from "../create_client.ts";
import type { Runtime } from "../runtime/mod.ts";
import type { StoredToken, TokenStore } from "../token_provider.ts";

/** Where a command writes and what it runs on. */
export interface CliIo {
  /** Writes to standard output. */
  stdout(text: string): void | Promise<void>;
  /** Writes to standard error. */
  stderr(text: string): void | Promise<void>;
  /** The runtime; detected by default. */
  runtime?: Runtime;
}

/** Writes one debug line; never called with a secret or a token. */
export type Debug = (message: string) => void;

/** The debug logger of `-v`: lines on standard error, or nothing. */
export function debugLogger(io: CliIo, verbose: boolean): Debug {
  return verbose ? (message) => void io.stderr(`DEBUG kognic.auth: ${message}\n`) : () => {};
}

/** Python's `repr()` of a string: single quotes unless the text holds one and no double quote. */
export function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = text.replace(
    /[\\\n\r\t]/g,
    (c) => ({ "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" })[c]!,
  ).replaceAll(
    quote,
    `\\${quote}`,
  );
  return quote + body + quote;
}

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

/** Options of {@linkcode connect}. */
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
}

/** Builds a client whose tokens are cached as `--token-cache` says. */
export async function connect(options: ConnectOptions): Promise<KognicClient> {
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
  return await createClient({
    runtime,
    auth: options.auth,
    authHost: options.authServer,
    baseUrl: options.baseUrl,
    scopes: options.scopes?.length ? options.scopes : undefined,
    store,
    fetch: loggingFetch(runtime.fetch, debug),
  });
}

/**
 * `kog METHOD URL`: authenticated requests to Kognic APIs from the command line, printing what
 * the Python `kog` prints, byte for byte, with its help texts, messages and exit codes (0 for a
 * 2xx answer, 1 otherwise, 2 for a refused command line).
 *
 * ```sh
 * deno run -A jsr:@kognic/auth/cli/kog get https://app.kognic.com/v1/projects --format table
 * deno install -g -A -n kog jsr:@kognic/auth/cli/kog
 * ```
 *
 * @example Run kog in-process
 * ```ts ignore
 * import { kog } from "@kognic/auth/cli/kog";
 *
 * const code = await kog(["get", "https://app.kognic.com/v1/projects", "--format", "jsonl"], {
 *   stdout: (text) => console.log(text.trimEnd()),
 *   stderr: (text) => console.error(text.trimEnd()),
 * });
 * ```
 *
 * @module
 */
import { TOKEN_CACHE_MODES, type TokenCacheMode } from "../stores/cache_mode.ts";
import {
  chooseEnvironment,
  defaultEnvironmentsPath,
  loadEnvironments,
} from "../credentials/environments.ts";
import { detectRuntime } from "../runtime/detect.ts";
import type { Runtime } from "../runtime/mod.ts";
import { readText } from "../_util.ts";
import { KognicAuthError } from "../errors.ts";
import { type Parsed, Parser } from "./_args.ts";
import {
  type CliIo,
  connectClient,
  messageOf,
  pyRepr,
  runCommand,
  verboseDebug,
} from "./_common.ts";
import { dumpPython, parsePython, PyObject, reprPython } from "./_json.ts";
import { type Format, formatBody, FORMATS } from "./_output.ts";

export type { CliIo } from "./_common.ts";

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];

/** The `kog` command line, as the Python `kog` declares it (help texts included). */
function kogParser(runtime: Runtime): Parser {
  const configPath = defaultEnvironmentsPath(runtime);
  return new Parser({
    prog: "kog",
    description: "Make authenticated HTTP requests to Kognic APIs",
    args: [
      {
        names: [],
        key: "method",
        kind: "value",
        metavar: "METHOD",
        choices: METHODS,
        help: `HTTP method (${METHODS.join(", ")})`,
      },
      { names: [], key: "url", kind: "value", metavar: "URL", help: "Full URL to call" },
      { names: ["-d", "--data"], key: "data", kind: "value", help: "Request body (JSON string)" },
      {
        names: ["-H", "--header"],
        key: "headers",
        kind: "append",
        metavar: "HEADER",
        help: "Header in 'Key: Value' format (repeatable)",
      },
      {
        names: ["--env-config-file-path"],
        key: "envConfig",
        kind: "value",
        metavar: "ENV_CONFIG_FILE_PATH",
        help: `Environment config file path (default: ${configPath})`,
      },
      {
        names: ["--env"],
        key: "env",
        kind: "value",
        metavar: "ENV_NAME",
        help: "Force a specific environment (skip URL-based matching)",
      },
      {
        names: ["--scope"],
        key: "scopes",
        kind: "append",
        metavar: "SCOPE",
        help: "OAuth2 scope to request (repeatable). When given, the token is requested with " +
          "exactly these scopes and the environment's configured scopes are ignored for this " +
          "invocation.",
      },
      {
        names: ["--format"],
        key: "format",
        kind: "value",
        choices: FORMATS,
        help: "Output format: json (default), jsonl (one JSON object per line), csv, tsv, " +
          "table (markdown)",
      },
      {
        names: ["--token-cache"],
        key: "cache",
        kind: "value",
        choices: TOKEN_CACHE_MODES,
        help: "Token cache backend: auto (default), keyring, file, or none. Auto will use " +
          "keyring if available, otherwise file.",
      },
      { names: ["-v", "--verbose"], key: "verbose", kind: "flag", help: "Enable debug logging" },
    ],
  });
}

/**
 * Runs `kog` with the given arguments (without the program name) and returns the exit code:
 * 0 when the API answered 2xx, 1 otherwise, 2 for a command line it refuses (usage and the
 * error on stderr, as argparse prints them). Output and errors go to `io`.
 *
 * @example Print a list as a Markdown table
 * ```ts ignore
 * import { kog } from "@kognic/auth/cli/kog";
 *
 * await kog(["get", "https://app.kognic.com/v1/projects", "--format", "table"], {
 *   stdout: (text) => console.log(text.trimEnd()),
 *   stderr: (text) => console.error(text.trimEnd()),
 * });
 * ```
 *
 * @param args The command-line arguments.
 * @param io Where to write, and the runtime.
 * @returns The exit code.
 */
export function kog(args: readonly string[], io: CliIo): Promise<number> {
  return runCommand(io, "kog", async () => {
    const runtime = io.runtime ?? await detectRuntime();
    const { options } = kogParser(runtime).parse(args);
    return await request(options, io, runtime);
  });
}

/** Runs a parsed `kog` command line. */
async function request(
  options: Parsed["options"],
  io: CliIo,
  runtime: Runtime,
): Promise<number> {
  const method = (options.method as string).toUpperCase();
  const url = options.url as string;
  const debug = verboseDebug(io, options.verbose === true);

  // Later -H of the same name replace earlier ones, as in Python's dict of headers.
  const headers = new Headers();
  for (const header of options.headers as string[] | undefined ?? []) {
    const split = header.indexOf(": ");
    if (split < 0) {
      throw new KognicAuthError(
        "INVALID_OPTIONS",
        `Invalid header format '${header}'. Expected 'Key: Value'.`,
        { source: "--header" },
      );
    }
    headers.set(header.slice(0, split), header.slice(split + 2));
  }
  let body: string | undefined;
  const data = options.data as string | undefined;
  if (data) {
    let parsed;
    try {
      parsed = parsePython(data);
    } catch (error) {
      throw new KognicAuthError("INVALID_OPTIONS", `Invalid JSON data: ${messageOf(error)}`, {
        source: "--data",
        cause: error,
      });
    }
    if (typeof parsed === "string") {
      throw new KognicAuthError("INVALID_OPTIONS", "str and bytes data is not supported", {
        source: "--data",
      });
    }
    if (!headers.has("content-type")) headers.set("Content-Type", "application/json");
    // requests sends json.dumps(data): Python's separators and escapes, so the same bytes.
    if (parsed !== null) body = dumpPython(parsed, undefined, 0, false);
  }
  if (body !== undefined && (method === "GET" || method === "HEAD")) {
    throw new KognicAuthError(
      "INVALID_OPTIONS",
      `A ${method} request cannot carry a body here (fetch refuses one): ` +
        "send the data with post, put or patch",
      { source: "--data" },
    );
  }

  const config = await loadEnvironments({
    runtime,
    path: options.envConfig as string | undefined,
  });
  let target: URL;
  try {
    target = new URL(url);
  } catch (error) {
    throw new KognicAuthError(
      "INVALID_OPTIONS",
      `Invalid URL ${pyRepr(url)}: No scheme supplied. Perhaps you meant http://${url}?`,
      { source: url, cause: error },
    );
  }
  const name = options.env as string | undefined;
  if (name && !Object.hasOwn(config.environments, name)) {
    throw new KognicAuthError("ENVIRONMENT_NOT_FOUND", `Unknown environment: ${name}`, {
      source: name,
    });
  }
  const environment = chooseEnvironment(config, target, name);
  debug(`Environment ${environment.name} for host ${target.hostname}`);
  const scopes = options.scopes as string[] | undefined;
  const client = await connectClient({
    auth: environment.credentials,
    authServer: environment.authServer,
    scopes: scopes?.length ? scopes : environment.scopes,
    cache: (options.cache ?? "auto") as TokenCacheMode,
    baseUrl: target.origin,
    runtime,
    debug,
    io,
  });
  const response = await client.fetch(target, { method, headers, body });
  const text = await bodyText(response);
  if (!response.ok) {
    let detail = text;
    try {
      const parsed = parsePython(text);
      if (parsed instanceof PyObject) {
        detail = reprPython(parsed.has("message") ? parsed.get("message")! : parsed);
      }
    } catch {
      // Not JSON: the body text is the detail.
    }
    await io.stderr(
      `Error: Got HttpError with status=${response.status} in call to ${response.url || url}.\n` +
        `Got error in response: '${detail}'\n`,
    );
    return 1;
  }
  const format = (options.format ?? "json") as Format;
  await io.stdout(formatBody(text, response.headers.get("content-type") ?? "", format));
  return 0;
}

/** The most of an answer's body `kog` reads: 1 GiB (what is past it is left unread). */
const BODY_LIMIT = 1 << 30;

/**
 * The answer's body as text. One `text()` where `Content-Length` promises no more than the limit:
 * reading the body's stream chunk by chunk costs Deno 4–12 ms more at start for the same bytes
 * (bench/README.md); else read up to the limit.
 */
async function bodyText(response: Response): Promise<string> {
  const declared = response.headers.get("content-length");
  // Without Content-Encoding: a compressed body's length says nothing of the decoded text.
  if (
    declared !== null && /^\d+$/.test(declared) && Number(declared) <= BODY_LIMIT &&
    !response.headers.has("content-encoding")
  ) {
    return await response.text();
  }
  return (await readText(response, BODY_LIMIT)).text;
}

// Without a top-level await, so that bundles in formats that lack it (an iife) can hold this
// module: the command runs after the module has loaded.
if (import.meta.main) import("./_main.ts").then(({ runMain }) => runMain(kog));

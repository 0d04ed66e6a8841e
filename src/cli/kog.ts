/**
 * `kog METHOD URL`: authenticated requests to Kognic APIs from the command line, printing what
 * the Python `kog` prints, byte for byte (SPEC §10).
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
import { TOKEN_CACHE_MODES, type TokenCacheMode } from "../cache/mod.ts";
import { chooseEnvironment, loadEnvironments } from "../environments.ts";
import { detectRuntime } from "../runtime/mod.ts";
import { readText } from "../_util.ts";
import { type OptionSpec, parseArgs, UsageError } from "./_args.ts";
import { type CliIo, connect, debugLogger, messageOf } from "./_common.ts";
import { dumpPython, parsePython, PyObject } from "./_json.ts";
import { type Format, formatBody, FORMATS } from "./_output.ts";

export type { CliIo } from "./_common.ts";

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];

const OPTIONS: OptionSpec[] = [
  { names: ["-d", "--data"], key: "data", kind: "value" },
  { names: ["-H", "--header"], key: "headers", kind: "append" },
  { names: ["--env"], key: "env", kind: "value" },
  { names: ["--env-config-file-path"], key: "envConfig", kind: "value" },
  { names: ["--scope"], key: "scopes", kind: "append" },
  { names: ["--format"], key: "format", kind: "value", choices: FORMATS },
  { names: ["--token-cache"], key: "cache", kind: "value", choices: TOKEN_CACHE_MODES },
  { names: ["-v", "--verbose"], key: "verbose", kind: "flag" },
  { names: ["-h", "--help"], key: "help", kind: "flag" },
];

const USAGE = `usage: kog [-h] [-d DATA] [-H HEADER] [--env-config-file-path ENV_CONFIG_FILE_PATH]
           [--env ENV_NAME] [--scope SCOPE] [--format {json,jsonl,csv,tsv,table}]
           [--token-cache {auto,keyring,file,none}] [-v]
           METHOD URL

Make authenticated HTTP requests to Kognic APIs

positional arguments:
  METHOD                HTTP method (get, post, put, patch, delete, head, options)
  URL                   Full URL to call

options:
  -h, --help            show this help message and exit
  -d DATA, --data DATA  Request body (JSON string)
  -H HEADER, --header HEADER
                        Header in 'Key: Value' format (repeatable)
  --env-config-file-path ENV_CONFIG_FILE_PATH
                        Environment config file path
                        (default: $XDG_CONFIG_HOME/kognic/environments.json)
  --env ENV_NAME        Force a specific environment (skip URL-based matching)
  --scope SCOPE         OAuth2 scope to request (repeatable)
  --format {json,jsonl,csv,tsv,table}
                        Output format: json (default), jsonl (one JSON object per line), csv,
                        tsv, table (markdown)
  --token-cache {auto,keyring,file,none}
                        Token cache backend: auto (default), keyring, file, or none. Auto will
                        use keyring if available, otherwise file.
  -v, --verbose         Enable debug logging
`;

/**
 * Runs `kog` with the given arguments (without the program name) and returns the exit code:
 * 0 when the API answered 2xx, 1 otherwise. Output and errors go to `io`.
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
export async function kog(args: readonly string[], io: CliIo): Promise<number> {
  try {
    const { options, positionals } = parseArgs(args, OPTIONS);
    if (options.help) {
      await io.stdout(USAGE);
      return 0;
    }
    const [method, url, ...extra] = positionals;
    if (extra.length) throw new UsageError(`unrecognized arguments: ${extra.join(" ")}`);
    if (url === undefined) {
      throw new UsageError(
        `the following arguments are required: ${method === undefined ? "METHOD, URL" : "URL"}`,
      );
    }
    if (!METHODS.includes(method.toLowerCase())) {
      throw new UsageError(
        `argument METHOD: invalid choice: '${method}' (choose from ${
          METHODS.map((name) => `'${name}'`).join(", ")
        })`,
      );
    }
    const debug = debugLogger(io, options.verbose === true);
    const runtime = io.runtime ?? await detectRuntime();

    const headers = new Headers();
    for (const header of options.headers as string[] | undefined ?? []) {
      const split = header.indexOf(": ");
      if (split < 0) throw new Error(`Invalid header format '${header}'. Expected 'Key: Value'.`);
      headers.append(header.slice(0, split), header.slice(split + 2));
    }
    let body: string | undefined;
    const data = options.data as string | undefined;
    if (data) {
      let parsed;
      try {
        parsed = parsePython(data);
      } catch (error) {
        throw new Error(`Invalid JSON data: ${messageOf(error)}`);
      }
      if (!headers.has("content-type")) headers.set("Content-Type", "application/json");
      // requests sends json.dumps(data): Python's separators and escapes, so the same bytes.
      if (parsed !== null) body = dumpPython(parsed);
    }

    const config = await loadEnvironments({
      runtime,
      path: options.envConfig as string | undefined,
    });
    const target = new URL(url);
    const environment = chooseEnvironment(config, target, options.env as string | undefined);
    debug(`Environment ${environment.name} for host ${target.hostname}`);
    const scopes = options.scopes as string[] | undefined;
    const client = await connect({
      auth: environment.credentials,
      authServer: environment.authServer,
      scopes: scopes?.length ? scopes : environment.scopes,
      cache: (options.cache ?? "auto") as TokenCacheMode,
      baseUrl: target.origin,
      runtime,
      debug,
    });
    const response = await client.fetch(target, {
      method: method.toUpperCase(),
      headers,
      body,
    });
    const { text } = await readText(response, 1 << 30);
    if (!response.ok) {
      let detail = text;
      try {
        const parsed = parsePython(text);
        const message = parsed instanceof PyObject ? parsed.get("message") : undefined;
        if (typeof message === "string") detail = message;
      } catch {
        // Not JSON: the body text is the detail.
      }
      await io.stderr(
        `Error: Got HttpError with status=${response.status} in call to ${url}.\n` +
          `Got error in response: '${detail}'\n`,
      );
      return 1;
    }
    const format = (options.format ?? "json") as Format;
    await io.stdout(formatBody(text, response.headers.get("content-type") ?? "", format));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) await io.stderr(USAGE.split("\n\n")[0] + "\n");
    await io.stderr(`Error: ${messageOf(error)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  const { runMain } = await import("./_main.ts");
  await runMain(kog);
}

/**
 * `kognic-test-server`: starts the Kognic test server on a loopback port from a shell, prints
 * the `export` lines of its credentials and URL on standard output and a line per request on
 * standard error, and runs until interrupted.
 *
 * ```sh
 * deno run -A jsr:@kognic/auth/testing/cli --port 8787
 * npx kognic-test-server --token-lifetime 60     # from a checkout installed with npm
 * ```
 *
 * @example Start it in-process, as the command does
 * ```ts
 * import { serveCommand } from "@kognic/auth/testing/cli";
 *
 * const running = await serveCommand(["--port", "0"], {
 *   stdout: (text) => console.log(text.trimEnd()),
 *   stderr: (text) => console.error(text.trimEnd()),
 * });
 * await running?.close();
 * ```
 *
 * @module
 */
import { type RunningTestServer, startTestServer } from "./start.ts";

/** Where {@linkcode serveCommand} writes. */
export interface ServeCommandIo {
  /** Standard output: the `export` lines. */
  stdout: (text: string) => unknown;
  /** Standard error: the listening line, one line per request, usage errors. */
  stderr: (text: string) => unknown;
}

const USAGE = "usage: kognic-test-server [--port PORT] [--hostname ADDRESS] " +
  "[--token-lifetime SECONDS] [--client-id ID] [--client-secret SECRET]\n";

/**
 * Parses the command line and starts the server.
 *
 * @param args The arguments after the command's name.
 * @param io Where the `export` lines and the request log go.
 * @returns The running server, or `undefined` after a usage error or `--help`.
 *
 * @example Start with one-minute tokens on a free port
 * ```ts
 * import { serveCommand } from "@kognic/auth/testing/cli";
 *
 * const io = { stdout: console.log, stderr: console.error };
 * const running = await serveCommand(["--token-lifetime", "60"], io);
 * await running?.close();
 * ```
 */
export async function serveCommand(
  args: readonly string[],
  io: ServeCommandIo,
): Promise<RunningTestServer | undefined> {
  const values: Record<string, string> = {};
  const names = ["--port", "--hostname", "--token-lifetime", "--client-id", "--client-secret"];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-h" || arg === "--help") {
      io.stdout(USAGE);
      return undefined;
    }
    const [name, inline] = arg.split(/=(.*)/s, 2);
    const value = inline ?? args[++i];
    if (!names.includes(name) || value === undefined) {
      io.stderr(`${USAGE}kognic-test-server: error: unexpected argument "${arg}"\n`);
      return undefined;
    }
    values[name] = value;
  }
  const number = (name: string): number | undefined => {
    if (values[name] === undefined) return undefined;
    const parsed = Number(values[name]);
    if (!Number.isInteger(parsed) || parsed < 0) {
      throw new TypeError(`Invalid ${name} "${values[name]}": expected a whole number`);
    }
    return parsed;
  };
  const running = await startTestServer({
    port: number("--port"),
    hostname: values["--hostname"],
    tokenLifetime: number("--token-lifetime"),
    clientId: values["--client-id"],
    clientSecret: values["--client-secret"],
    onAnswer: ({ method, path, status }) => io.stderr(`${method} ${path} ${status}\n`),
  });
  io.stdout(`${running.exports}\n`);
  io.stderr(`Kognic test server on ${running.url}; Ctrl-C stops it\n`);
  return running;
}

if (import.meta.main) {
  const { default: process } = await import("node:process");
  try {
    const running = await serveCommand(process.argv.slice(2), {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
    });
    if (!running) {
      process.exitCode = process.argv.some((arg) => arg === "-h" || arg === "--help") ? 0 : 2;
    }
  } catch (error) {
    process.stderr.write(`Error: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

// The thin program entry of the CLI: the real arguments, standard output and error, exit code.
// Works on Deno, Bun and Node through node:process.
import process from "node:process";
import type { CliIo } from "./_common.ts";

function writer(stream: NodeJS.WriteStream): (text: string) => Promise<void> {
  return (text) =>
    new Promise((resolve, reject) =>
      stream.write(text, (error) => error ? reject(error) : resolve())
    );
}

/** Runs a command with the process's arguments and exits with its code. */
export async function runMain(
  command: (args: readonly string[], io: CliIo) => Promise<number>,
): Promise<void> {
  const code = await command(process.argv.slice(2), {
    stdout: writer(process.stdout),
    stderr: writer(process.stderr),
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
  });
  process.exit(code);
}

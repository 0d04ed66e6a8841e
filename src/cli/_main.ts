// The thin program entry of the CLI: the real arguments, standard output and error, exit code.
// On Deno and Bun through their own APIs: their Node-compatible `process.stdout` sets up a
// stream layer that costs a cached-token command more start-up time and memory than the rest of
// its work (measured in bench/cli.ts); on Node through `node:process`.
import type { CliIo } from "./_common.ts";

type Command = (args: readonly string[], io: CliIo) => Promise<number>;

interface DenoLike {
  args: string[];
  stdout: Writer;
  stderr: Writer;
  consoleSize(): { columns: number };
  exit(code: number): never;
}
interface Writer {
  write(bytes: Uint8Array): Promise<number>;
  isTerminal(): boolean;
}
interface BunLike {
  argv: string[];
  stdout: unknown;
  stderr: unknown;
  write(destination: unknown, text: string): Promise<number>;
}

/**
 * Writes in call order, also when a caller does not wait (debug lines); `done` waits for the
 * last write, before the process exits.
 */
function inOrder(write: (text: string) => Promise<unknown>) {
  let last: Promise<unknown> = Promise.resolve();
  return {
    write: (text: string): Promise<void> => {
      const next = last.then(() => write(text));
      last = next.catch(() => {});
      return next.then(() => {});
    },
    done: () => last,
  };
}

/** Writes all of `text` to a Deno stream: one write may take only part of it. */
function denoWrite(stream: Writer): (text: string) => Promise<void> {
  return async (text) => {
    let bytes = new TextEncoder().encode(text);
    while (bytes.length > 0) bytes = bytes.subarray(await stream.write(bytes));
  };
}

/** Runs a command with the process's arguments and exits with its code. */
export async function runMain(command: Command): Promise<void> {
  const global = globalThis as { Deno?: DenoLike; Bun?: BunLike };
  const { Deno, Bun } = global;
  if (Deno) {
    const [stdout, stderr] = [inOrder(denoWrite(Deno.stdout)), inOrder(denoWrite(Deno.stderr))];
    const code = await command(Deno.args, {
      stdout: stdout.write,
      stderr: stderr.write,
      // Read only for help texts.
      get columns() {
        return Deno.stdout.isTerminal() ? Deno.consoleSize().columns : undefined;
      },
    });
    await Promise.all([stdout.done(), stderr.done()]);
    Deno.exit(code);
  }
  // On Bun the global `process`: importing the module `node:process` costs Bun about 1 MiB
  // more at start (bench/cli.ts).
  const process = Bun
    ? (globalThis as unknown as { process: NodeJS.Process }).process
    : (await import("node:process")).default;
  let code: number;
  if (Bun) {
    const stdout = inOrder((text) => Bun.write(Bun.stdout, text));
    const stderr = inOrder((text) => Bun.write(Bun.stderr, text));
    code = await command(Bun.argv.slice(2), {
      stdout: stdout.write,
      stderr: stderr.write,
      // Read only for help texts: `process.stdout` sets up Node's stream layer.
      get columns() {
        return process.stdout.isTTY ? process.stdout.columns : undefined;
      },
    });
    await Promise.all([stdout.done(), stderr.done()]);
  } else {
    const writer = (stream: NodeJS.WriteStream) => (text: string) =>
      new Promise<void>((resolve, reject) =>
        stream.write(text, (error) => error ? reject(error) : resolve())
      );
    code = await command(process.argv.slice(2), {
      stdout: writer(process.stdout),
      stderr: writer(process.stderr),
      get columns() {
        return process.stdout.isTTY ? process.stdout.columns : undefined;
      },
    });
  }
  process.exit(code);
}

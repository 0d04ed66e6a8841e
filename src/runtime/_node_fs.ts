// File and subprocess members of the Runtime interface built on node: modules, shared by the
// Node and Bun adapters (Bun implements these node: modules natively). Each module is imported on
// first use, and `process` is the global one: on Bun importing `node:process` alone costs
// start-up memory (bench/README.md).
import type { CommandOutput, Runtime } from "./mod.ts";
import { lazyKeyring } from "./_lazy_keyring.ts";

/**
 * `node:fs/promises`, imported on first use: a program that reads its credentials from the
 * environment never touches a file, and the import costs start-up time.
 */
export function fileSystem(): Promise<typeof import("node:fs/promises")> {
  return files ??= import("node:fs/promises");
}
let files: Promise<typeof import("node:fs/promises")> | undefined;

type NodeMembers = Pick<
  Runtime,
  "writeTextFile" | "mkdir" | "rename" | "remove" | "stat" | "run" | "os" | "keyring"
>;

async function run(
  command: string,
  args: readonly string[],
  options: { stdin?: string } = {},
): Promise<CommandOutput> {
  // Loaded on first use: only the keyring runs programs, and the imports cost start-up time.
  const [{ spawn }, { Buffer }] = await Promise.all([
    import("node:child_process"),
    import("node:buffer"),
  ]);
  return await new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    child.stdout.on("data", (chunk: Uint8Array) => out.push(chunk));
    child.stderr.on("data", (chunk: Uint8Array) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code: number | null) => {
      const text = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString("utf8");
      resolve({ code: code ?? -1, stdout: text(out), stderr: text(err) });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(options.stdin ?? "");
  });
}

/**
 * The file-system, subprocess and keyring members of a runtime adapter, through `node:` modules.
 *
 * @param env Reads an environment variable (for the keyring's D-Bus session).
 */
export function nodeMembers(env: (name: string) => string | undefined): NodeMembers {
  const { platform } = (globalThis as unknown as { process: { platform: string } }).process;
  const os = platform === "win32" ? "windows" : platform;
  return {
    os,
    writeTextFile: async (path, text, options = {}) =>
      await (await fileSystem()).writeFile(path, text, {
        encoding: "utf8",
        mode: options.mode,
        flag: options.createNew ? "wx" : "w",
      }),
    mkdir: async (path, options = {}) => {
      await (await fileSystem()).mkdir(path, { recursive: true, mode: options.mode });
    },
    rename: async (from, to) => await (await fileSystem()).rename(from, to),
    remove: async (path) => await (await fileSystem()).rm(path),
    stat: async (path) => {
      const { mtimeMs, size, ino } = await (await fileSystem()).stat(path);
      return { mtime: mtimeMs, size, ino };
    },
    run,
    keyring: lazyKeyring(os, env, run),
  };
}

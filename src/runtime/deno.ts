/**
 * The runtime adapter for Deno: `Deno.env`, Deno's file API, `Deno.Command` for the keyring
 * tools, and the global `fetch`, which honours `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` by
 * itself.
 *
 * @module
 */
import type { CommandOutput, Keyring, Runtime } from "./mod.ts";
import { commandKeyring } from "./_keyring.ts";

interface DenoNamespace {
  version: { deno: string };
  build: { os: string };
  env: { get(name: string): string | undefined };
  readTextFile(path: string): Promise<string>;
  writeTextFile(
    path: string,
    text: string,
    options?: { mode?: number; createNew?: boolean },
  ): Promise<void>;
  mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  Command: new (command: string, options: {
    args: string[];
    stdin: "piped";
    stdout: "piped";
    stderr: "piped";
  }) => {
    spawn(): {
      stdin: WritableStream<Uint8Array>;
      output(): Promise<{ code: number; stdout: Uint8Array; stderr: Uint8Array }>;
    };
  };
}

/**
 * Creates the Deno adapter. Reading an environment variable or a file needs the matching
 * permission (`--allow-env`, `--allow-read`); without it Deno's own error explains which.
 *
 * @example Use the Deno adapter explicitly
 * ```ts
 * import { denoRuntime } from "@kognic/auth/runtime/deno";
 *
 * const runtime = denoRuntime();
 * console.log(runtime.name); // "deno"
 * ```
 *
 * @returns The adapter.
 */
export function denoRuntime(): Runtime {
  const deno = (globalThis as unknown as { Deno: DenoNamespace }).Deno;
  const env = (name: string) => deno.env.get(name);
  const run = async (
    command: string,
    args: readonly string[],
    options: { stdin?: string } = {},
  ): Promise<CommandOutput> => {
    const child = new deno.Command(command, {
      args: [...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin ?? "")).catch(() => {});
    await writer.close().catch(() => {});
    const output = await child.output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  };
  const os = deno.build.os;
  let keyring: Keyring | undefined | null = null;
  return {
    name: "deno",
    version: deno.version.deno,
    os,
    env,
    homeDir: () => env("HOME") ?? env("USERPROFILE"),
    readTextFile: (path) => deno.readTextFile(path),
    writeTextFile: (path, text, options = {}) =>
      deno.writeTextFile(path, text, { mode: options.mode, createNew: options.createNew }),
    mkdir: (path, options = {}) => deno.mkdir(path, { recursive: true, mode: options.mode }),
    rename: (from, to) => deno.rename(from, to),
    remove: (path) => deno.remove(path),
    run,
    // Looked up on first use: without --allow-env, reading DBUS_SESSION_BUS_ADDRESS throws.
    get keyring() {
      if (keyring === null) {
        try {
          keyring = commandKeyring(os, env, run);
        } catch {
          keyring = undefined;
        }
      }
      return keyring;
    },
    fetch: (input, init) => fetch(input, init),
  };
}

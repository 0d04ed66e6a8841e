// The system keyring reached through the platform's command-line tool, shared by the Deno, Node
// and Bun adapters: `secret-tool` (libsecret, the Secret Service) on Linux and `security` (the
// Keychain) on macOS. The secret goes through standard input, never the command line.
import type { CommandOutput, Keyring } from "./mod.ts";
import { keyringKind } from "./_lazy_keyring.ts";
import { KognicAuthError } from "../errors.ts";
import { describeError, hex, redact } from "../_util.ts";

type Run = (command: string, args: readonly string[], options?: { stdin?: string }) => Promise<
  CommandOutput
>;

function failed(
  tool: string,
  what: string,
  output: CommandOutput,
  secret?: string,
): KognicAuthError {
  // A tool may echo what it was given (`security -i` echoes its command): never the secret.
  const detail =
    redact(output.stderr.trim().split("\n")[0], secret ? [secret, hexOf(secret)] : []) ||
    `exit code ${output.code}`;
  return new KognicAuthError(
    "KEYRING_FAILED",
    `The keyring tool ${tool} could not ${what}: ${detail}`,
    { source: tool },
  );
}

/** The `application` attribute Python keyring's Secret Service backend puts on its items. */
const PYTHON_KEYRING_APPLICATION = "Python keyring library";

/**
 * A Secret Service keyring through `secret-tool`, with the Python `keyring` attributes: lookups
 * and deletes match `service` and `username` only (every item either tool wrote), stores write
 * `service`, `username` and `application` as Python does.
 */
function secretTool(run: Run): Keyring {
  const attributes = (service: string, account: string) => [
    "service",
    service,
    "username",
    account,
  ];
  const lookup = async (service: string, account: string) => {
    const output = await run("secret-tool", ["lookup", ...attributes(service, account)]);
    if (output.code === 0) return output.stdout.replace(/\n$/, "");
    // secret-tool exits 1 without a word when nothing matches.
    if (output.code === 1 && !output.stderr.trim()) return undefined;
    throw failed("secret-tool", "read the keyring", output);
  };
  const clear = async (service: string, account: string) => {
    const output = await run("secret-tool", ["clear", ...attributes(service, account)]);
    if (output.code !== 0 && output.stderr.trim()) {
      throw failed("secret-tool", "delete from the keyring", output);
    }
  };
  return {
    get: lookup,
    async set(service, account, secret) {
      // Drop every item with this service and username (older ones of this project lack the
      // `application` attribute) so lookups are unique; if the new one cannot be stored, the old
      // one is put back.
      const old = await lookup(service, account);
      await clear(service, account);
      // Exactly the label and attributes of Python keyring's Secret Service backend, so that its
      // `set_password` (which replaces an item with equal attributes) replaces this item too.
      const store = (value: string) =>
        run(
          "secret-tool",
          [
            "store",
            `--label=Password for '${account}' on '${service}'`,
            ...attributes(service, account),
            "application",
            PYTHON_KEYRING_APPLICATION,
          ],
          { stdin: value },
        );
      const output = await store(secret);
      if (output.code !== 0) {
        if (old !== undefined) await store(old).catch(() => {});
        throw failed("secret-tool", "write to the keyring", output, secret);
      }
    },
    async delete(service, account) {
      const had = await lookup(service, account) !== undefined;
      if (had) await clear(service, account);
      return had;
    },
  };
}

const NOT_FOUND = 44; // errSecItemNotFound, as `security` reports it

function hexOf(text: string): string {
  return hex(new TextEncoder().encode(text));
}

function quoteArg(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** A generic password in the login Keychain through `security`. */
function keychain(run: Run): Keyring {
  const ids = (service: string, account: string) => ["-s", service, "-a", account];
  return {
    async get(service, account) {
      const output = await run("security", [
        "find-generic-password",
        ...ids(service, account),
        "-w",
      ]);
      if (output.code === 0) return output.stdout.replace(/\n$/, "");
      if (output.code === NOT_FOUND) return undefined;
      throw failed("security", "read the keychain", output);
    },
    async set(service, account, secret) {
      // Interactive mode reads the command from stdin, so the secret (hex-encoded) stays off argv.
      const command = `add-generic-password -U -s ${quoteArg(service)} -a ${quoteArg(account)} ` +
        `-X ${hexOf(secret)}\n`;
      // `security -i` reads a command into a 4096-byte buffer and cuts a longer one short.
      if (command.length > 4000) {
        throw new KognicAuthError(
          "KEYRING_FAILED",
          `The keychain cannot store ${account} for ${service}: the secret is too long for security -i`,
          { source: "security" },
        );
      }
      const output = await run("security", ["-i"], { stdin: command });
      if (output.code !== 0 || output.stderr.trim()) {
        throw failed("security", "write to the keychain", output, secret);
      }
    },
    async delete(service, account) {
      const output = await run("security", ["delete-generic-password", ...ids(service, account)]);
      if (output.code === 0) return true;
      if (output.code === NOT_FOUND) return false;
      throw failed("security", "delete from the keychain", output);
    },
  };
}

/**
 * Runs a keyring tool; a tool that is not installed, or that Deno may not run, is an error that
 * says so and what to do.
 */
function explained(run: Run): Run {
  return async (command, args, options) => {
    try {
      return await run(command, args, options);
    } catch (error) {
      const { code, name } = (error ?? {}) as { code?: string; name?: string };
      if (code === "ENOENT" || name === "NotFound") {
        throw new KognicAuthError(
          "KEYRING_UNAVAILABLE",
          `${command} is not installed` +
            (command === "secret-tool" ? " (Debian and Ubuntu: apt install libsecret-tools)" : ""),
          { source: command, cause: error },
        );
      }
      if (name === "NotCapable" || name === "PermissionDenied") {
        throw new KognicAuthError(
          "KEYRING_UNAVAILABLE",
          `Deno may not run ${command}: add --allow-run=${command}`,
          { source: command, cause: error },
        );
      }
      throw new KognicAuthError(
        "KEYRING_FAILED",
        `The keyring tool ${command} could not be run: ${describeError(error)}`,
        { source: command, cause: error },
      );
    }
  };
}

/**
 * The keyring of this machine, or `undefined` where there is none (see `keyringKind`): the
 * Secret Service on Linux, the Keychain on macOS.
 */
export function commandKeyring(
  os: string,
  env: (name: string) => string | undefined,
  run: Run,
): Keyring | undefined {
  const kind = keyringKind(os, env);
  if (kind === "keychain") return keychain(explained(run));
  if (kind === "secret-service") return secretTool(explained(run));
  return undefined;
}

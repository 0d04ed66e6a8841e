// The system keyring of the Deno, Bun and Node adapters with its code (./_keyring.ts, the
// tools' command lines and their errors) loaded on the first call: a program that never uses
// the keyring never loads it. Which keyring a machine has is decided here, without loading it.
import type { Keyring, Runtime } from "./mod.ts";
import { lazily } from "../_util.ts";

/** Runs a program and waits for it, as `Runtime.run`. */
export type Run = NonNullable<Runtime["run"]>;

/**
 * Which keyring this machine has: the Keychain on macOS, the Secret Service on Linux when a
 * D-Bus session is there (`DBUS_SESSION_BUS_ADDRESS`); `undefined` where there is none.
 */
export function keyringKind(
  os: string,
  env: (name: string) => string | undefined,
): "keychain" | "secret-service" | undefined {
  if (os === "darwin") return "keychain";
  if (os === "linux" && env("DBUS_SESSION_BUS_ADDRESS")) return "secret-service";
  return undefined;
}

/**
 * The keyring of this machine (see {@linkcode keyringKind}), or `undefined` where there is
 * none; its code loads on the first call, once for concurrent first calls.
 */
export function lazyKeyring(
  os: string,
  env: (name: string) => string | undefined,
  run: Run,
): Keyring | undefined {
  if (!keyringKind(os, env)) return undefined;
  // One import for concurrent first calls; a failed one is tried again on the next call.
  const keyring = lazily(() =>
    import("./_keyring.ts").then(({ commandKeyring }) => commandKeyring(os, env, run)!)
  );
  return {
    get: async (service, account) => await (await keyring()).get(service, account),
    set: async (service, account, secret) => await (await keyring()).set(service, account, secret),
    delete: async (service, account) => await (await keyring()).delete(service, account),
  };
}

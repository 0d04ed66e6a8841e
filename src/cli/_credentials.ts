// `kognic-auth credentials put|get|delete`: credentials in the system keyring, as the Python tool
// keeps them. Loaded only for these commands.
import { keyringUnavailable } from "../errors.ts";
import {
  CREDENTIALS_KEYRING_SERVICE,
  expandHome,
  readCredentialsFileAnyName,
  readKeyringCredentials,
} from "../credentials/sources.ts";
import type { Runtime } from "../runtime/mod.ts";
import type { Parsed } from "./_args.ts";
import { type CliIo, pyRepr, verboseDebug } from "./_common.ts";
import { dumpPython, PyNumber, PyObject } from "./_json.ts";

function keyringOf(runtime: Runtime, doing: string): NonNullable<Runtime["keyring"]> {
  if (!runtime.keyring) throw keyringUnavailable(doing);
  return runtime.keyring;
}

/** Runs `kognic-auth credentials ACTION`; returns the exit code. */
export async function credentials(
  action: string,
  options: Parsed["options"],
  runtime: Runtime,
  verbose: boolean,
  io: CliIo,
): Promise<number> {
  const profile = (options.env as string | undefined) ?? "default";
  const debug = verboseDebug(io, verbose);
  if (action === "put") {
    const file = options.file as string;
    // As Python: any file name, not only `.json`.
    const found = await readCredentialsFileAnyName(file, runtime, undefined);
    const keyring = keyringOf(runtime, "Cannot store credentials in the keyring");
    const init = found.toInit();
    const stored: Record<string, unknown> = {
      clientId: init.clientId,
      clientSecret: init.clientSecret,
      email: init.email,
      userId: init.userId,
      issuer: init.issuer,
      name: init.name,
    };
    if (found.created) stored.created = found.created.toISOString();
    if (found.expires) stored.expires = found.expires.toISOString();
    debug(`Storing credentials from ${expandHome(file, runtime)} as keyring profile ${profile}`);
    await keyring.set(CREDENTIALS_KEYRING_SERVICE, profile, JSON.stringify(stored));
    await io.stdout(
      `Credentials for client_id=${pyRepr(found.clientId)} stored in keyring (profile=${
        pyRepr(profile)
      })\n`,
    );
    return 0;
  }
  if (action === "get") {
    // Shown as stored, expired or not, like the Python tool.
    keyringOf(runtime, "Cannot read credentials from the keyring");
    const found = await readKeyringCredentials(profile, runtime);
    if (!found) {
      await io.stderr(`No credentials found in keyring (profile=${pyRepr(profile)})\n`);
      return 1;
    }
    const shown = new PyObject();
    shown.set("clientId", found.clientId);
    shown.set("clientSecret", found.clientSecret);
    shown.set("email", found.email);
    shown.set("userId", new PyNumber(String(found.userId)));
    shown.set("issuer", found.issuer);
    await io.stdout(`${dumpPython(shown, 2)}\n`);
    return 0;
  }
  const keyring = keyringOf(runtime, "Cannot delete credentials from the keyring");
  const deleted = await keyring.delete(CREDENTIALS_KEYRING_SERVICE, profile);
  debug(deleted ? `Deleted keyring profile ${profile}` : `Keyring profile ${profile} was empty`);
  await io.stdout(`Credentials cleared from keyring (profile=${pyRepr(profile)})\n`);
  return 0;
}

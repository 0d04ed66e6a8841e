// Where resolved credentials can be read again: the file (an `auth` path or KOGNIC_CREDENTIALS)
// or the keyring profile they came from. Options, credentials objects and the
// KOGNIC_CLIENT_ID/KOGNIC_CLIENT_SECRET pair cannot change while a program runs: they have none.
import type { Credentials } from "./credentials.ts";
import { KognicAuthError } from "../errors.ts";
import type { ResolvedCredentials } from "./resolve.ts";
import { expandHome, readCredentialsFileAnyName, readKeyringCredentials } from "./sources.ts";
import type { Runtime } from "../runtime/mod.ts";
import { quote } from "../_util.ts";

/**
 * A source of credentials that can be read again.
 *
 * @internal
 */
export interface CredentialsSource {
  /** Where the credentials come from, such as `credentials file "/home/me/creds.json"`. */
  readonly description: string;
  /**
   * Reads the source again, as resolution read it (the same checks, the same errors).
   *
   * @returns The credentials it holds now.
   */
  read(): Promise<Credentials>;
  /**
   * A file's version (modification time, size and inode, through symbolic links): another
   * value means the file changed. `undefined` where it cannot tell (a keyring profile, a
   * runtime without `stat`, a file that cannot be looked at just now).
   *
   * @returns The version.
   */
  version(): Promise<string | undefined>;
}

/**
 * The source that `resolved` came from, or `undefined` for one that cannot change.
 *
 * @internal
 */
export function credentialsSource(
  resolved: ResolvedCredentials,
  runtime: Runtime,
): CredentialsSource | undefined {
  const { origin, source: description } = resolved;
  if (!origin) return undefined;
  if ("keyring" in origin) {
    const profile = origin.keyring;
    return {
      description,
      async read() {
        const credentials = await readKeyringCredentials(profile, runtime);
        if (credentials) return credentials;
        throw new KognicAuthError(
          "KEYRING_PROFILE_NOT_FOUND",
          `No credentials in the keyring for profile ${quote(profile)} any more: ` +
            `store them with \`kognic-auth credentials put <file> --env ${profile}\``,
          { source: description },
        );
      },
      version: () => Promise.resolve(undefined),
    };
  }
  const path = origin.file;
  return {
    description,
    read: () => readCredentialsFileAnyName(path, runtime, description),
    async version() {
      try {
        const stat = await runtime.stat?.(expandHome(path, runtime));
        return stat && `${stat.mtime}:${stat.size}:${stat.ino}`;
      } catch {
        // Gone for a moment (replaced by a rename): looked at again at the next token request.
        return undefined;
      }
    },
  };
}

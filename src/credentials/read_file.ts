// Reading the files the library reads on request (credentials files, environments.json): one
// place that tells an absent file from an unreadable one and keeps, for the unreadable one, the
// runtime's own words (Deno's names the --allow-read flag) and the error as the cause.
import type { Runtime } from "../runtime/mod.ts";

/**
 * Reads a text file through the runtime: its text, `undefined` when it does not exist, or the
 * error `fail` makes from the reason it cannot be read (`"it is a directory"`,
 * `"permission denied"`, with Deno's hint where Deno refused) and the runtime's error.
 *
 * @internal
 */
export async function readFileOrFail(
  runtime: Runtime & { readTextFile(path: string): Promise<string> },
  path: string,
  fail: (reason: string, cause: unknown) => Error,
): Promise<string | undefined> {
  try {
    return await runtime.readTextFile(path);
  } catch (error) {
    const { code, name, message } = (error ?? {}) as {
      code?: string;
      name?: string;
      message?: string;
    };
    if (code === "ENOENT" || name === "NotFound") return undefined;
    const text = String(message ?? error);
    // Deno without --allow-read: its message names the flag to run with.
    const reason = code === "EISDIR" || name === "IsADirectory"
      ? "it is a directory"
      : name === "NotCapable" || name === "PermissionDenied"
      ? `permission denied (${text})`
      : code === "EACCES" || code === "EPERM"
      ? "permission denied"
      : text;
    throw fail(reason, error);
  }
}

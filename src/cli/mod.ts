/**
 * The `kognic-auth` command line, interchangeable with Kognic's Python tool: the same options,
 * output, messages, help texts and exit codes (0 success, 1 failure, 2 a refused command line):
 *
 * - `kognic-auth [-v] get-access-token [--server URL] [--credentials FILE] [--env NAME]
 *   [--env-config-file-path FILE] [--token-cache auto|keyring|file|none] [--scopes S ...]
 *   [--decode]` prints an access token;
 * - `kognic-auth credentials put FILE|get|delete [--env PROFILE]` manages credentials in the
 *   system keyring.
 *
 * `kog` (see `@kognic/auth/cli/kog`) is re-exported here too.
 *
 * ```sh
 * deno run -A jsr:@kognic/auth/cli get-access-token --env demo
 * deno install -g -A -n kognic-auth jsr:@kognic/auth/cli
 * ```
 *
 * @example Run it in-process
 * ```ts ignore
 * import { main } from "@kognic/auth/cli";
 *
 * const code = await main(["get-access-token", "--credentials", "creds.json"], {
 *   stdout: (text) => console.log(text.trimEnd()),
 *   stderr: (text) => console.error(text.trimEnd()),
 * });
 * ```
 *
 * @module
 */
export type { CliIo } from "./_common.ts";
export { main } from "./_kognic_auth.ts";
export { kog } from "./kog.ts";

// Without a top-level await, so that bundles in formats that lack it (an iife) can hold this
// module: the command runs after the module has loaded.
if (import.meta.main) {
  Promise.all([import("./_kognic_auth.ts"), import("./_main.ts")]).then(([{ main }, { runMain }]) =>
    runMain(main)
  );
}

/** The version of `@kognic/auth`, kept equal to `deno.json` and `package.json` by a test. */
export const VERSION = "0.1.0";

/** The version of `@kognic/auth`, kept equal to `jsr.json` by a test. */
export const VERSION = "0.1.0";

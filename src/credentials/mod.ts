/**
 * The credentials layer: the {@linkcode Credentials} type and its parsing, the resolution chain
 * (options, environment variables, credentials files, the keyring), `environments.json`, and the
 * paths they live at (`~` and XDG directories). It reads the environment and files through a
 * runtime adapter and knows nothing of tokens or HTTP.
 *
 * @module
 */
export * from "./credentials.ts";
export * from "./resolve.ts";
export * from "./sources.ts";
export * from "./environments.ts";
export type { CredentialsEvent } from "./expiry.ts";

#!/usr/bin/env node
// `kognic-auth` from a checkout installed with `npm install <folder>` or `bun link`: runs the
// TypeScript source in place (Node ≥ 22.18 strips the types of files outside node_modules, and a
// linked folder is outside it), on whichever runtime runs this file.
import { fastStart } from "./_start.mjs";

await fastStart();
const [{ main }, { runMain }] = await Promise.all([
  import("../src/cli/_kognic_auth.ts"),
  import("../src/cli/_main.ts"),
]);
await runMain(main);

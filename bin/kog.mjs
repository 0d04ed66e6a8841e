#!/usr/bin/env node
// `kog` from a checkout installed with `npm install <folder>` or `bun link`: runs the TypeScript
// source in place (Node ≥ 22.18 strips the types of files outside node_modules, and a linked
// folder is outside it), on whichever runtime runs this file.
import { fastStart } from "./_start.mjs";

await fastStart();
const [{ kog }, { runMain }] = await Promise.all([
  import("../src/cli/kog.ts"),
  import("../src/cli/_main.ts"),
]);
await runMain(kog);

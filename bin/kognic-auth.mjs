#!/usr/bin/env node
// `kognic-auth` from a checkout installed with `npm install <folder>` or `bun link`: runs the
// TypeScript source in place (Node ≥ 22.18 strips the types of files outside node_modules, and a
// linked folder is outside it), on whichever runtime runs this file.
import { main } from "../src/cli/mod.ts";
import { runMain } from "../src/cli/_main.ts";

await runMain(main);

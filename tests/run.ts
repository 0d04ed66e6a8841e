// Runs the conformance suite on the runtime that executes this file (Deno, Bun or Node) and
// exits non-zero when a case fails. Usage: <runtime> tests/run.ts [name filter]
import process from "node:process";
import "./conformance/mod.ts";
import { detectRuntime } from "../src/runtime/mod.ts";
import { run } from "./support/harness.ts";

const runtime = await detectRuntime();
const label = `${runtime.name}-${runtime.version}`;
const { failed } = await run(label, {
  capabilities: ["fs", "sockets", "subprocess"],
  filter: process.argv[2],
});
process.exit(failed ? 1 : 0);

// Runs the conformance suite on the runtime that executes this file (Deno, Bun or Node) and
// exits non-zero when a case fails. Usage: <runtime> tests/run.ts [name filter]
// Under CI (CI=true) a case whose Debian package is missing fails instead of being skipped.
import process from "node:process";
import "./conformance/mod.ts";
import { detectRuntime } from "../src/runtime/mod.ts";
import { type Capability, run } from "./support/harness.ts";
import { packageCapabilities } from "./support/capabilities.ts";

const runtime = await detectRuntime();
const label = `${runtime.name}-${runtime.version}`;
const capabilities = [
  "fs",
  "sockets",
  "subprocess",
  ...await packageCapabilities(),
] as Capability[];
const { failed } = await run(label, {
  capabilities,
  filter: process.argv[2],
  strict: process.env.CI === "true",
});
process.exit(failed ? 1 : 0);

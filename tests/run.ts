// Runs the conformance suite on the runtime that executes this file (Deno, Bun or Node) and
// exits non-zero when a case fails. Usage: <runtime> tests/run.ts [name filter]
import process from "node:process";
import "./conformance/mod.ts";
import { detectRuntime } from "../src/runtime/mod.ts";
import { type Capability, run } from "./support/harness.ts";
import { keyringReachable } from "./support/cli.ts";

const runtime = await detectRuntime();
const label = `${runtime.name}-${runtime.version}`;
const capabilities: Capability[] = ["fs", "sockets", "subprocess"];
if (await keyringReachable()) capabilities.push("keyring");
const { failed } = await run(label, { capabilities, filter: process.argv[2] });
process.exit(failed ? 1 : 0);

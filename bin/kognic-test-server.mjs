#!/usr/bin/env node
// `kognic-test-server` from a checkout installed with `npm install <folder>` or `bun link`: the
// Kognic test server of `@kognic/auth/testing` on a loopback port, until interrupted.
import process from "node:process";
import { serveCommand } from "../src/testing/cli.ts";

try {
  const running = await serveCommand(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
  if (!running) process.exitCode = process.argv.some((a) => a === "-h" || a === "--help") ? 0 : 2;
} catch (error) {
  process.stderr.write(`Error: ${error.message}\n`);
  process.exitCode = 1;
}

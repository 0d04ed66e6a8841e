/**
 * Runs this project's `kognic-auth` and `kog` on many command lines in one process, the twin of
 * `cli_driver.py`: reads a JSON array of `{tool, args, env?, unset?}` on stdin and writes a JSON
 * array of `{code, stdout, stderr}`. Started as a subprocess of the runtime under test (with the
 * sandbox's HOME and XDG directories), so the CLI runs on that runtime. Test-only.
 *
 * @module
 */
import process from "node:process";
import { main } from "../../src/cli/mod.ts";
import { kog } from "../../src/cli/kog.ts";

interface Case {
  tool: "kog" | "kognic-auth";
  args: string[];
  env?: Record<string, string>;
  unset?: string[];
}

const chunks: string[] = [];
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) chunks.push(chunk as string);
const cases = JSON.parse(chunks.join("")) as Case[];
const results = [];
for (const entry of cases) {
  const saved = { ...process.env };
  Object.assign(process.env, entry.env ?? {});
  for (const name of entry.unset ?? []) delete process.env[name];
  let stdout = "";
  let stderr = "";
  const io = {
    stdout: (text: string) => void (stdout += text),
    stderr: (text: string) => void (stderr += text),
  };
  try {
    const code = await (entry.tool === "kog" ? kog : main)(entry.args, io);
    results.push({ code, stdout, stderr });
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}
process.stdout.write(JSON.stringify(results));

// Summarises a V8 .cpuprofile (node --cpu-prof, deno --cpu-prof): self time by function and
// file, the top entries. Bench-only code.
// Usage: node bench/profile_summary.ts <file.cpuprofile> [top=30]
import { readFileSync } from "node:fs";
import process from "node:process";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const profile = JSON.parse(readFileSync(process.argv[2], "utf8")) as {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
};
const top = Number(process.argv[3] ?? 30);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<string, number>();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i])!;
  const delta = profile.timeDeltas[i + 1] ?? 0;
  const frame = node.callFrame;
  const file = frame.url.replace(/^.*\/(node_modules|src|bench|tests)\//, "$1/");
  const key = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + delta);
  total += delta;
}
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top);
for (const [key, micros] of rows) {
  // deno-lint-ignore no-console
  console.log(`${(micros / total * 100).toFixed(1).padStart(5)} %  ${key}`);
}

// What the workerd and edge-runtime runners share: printing the lines a streamed test run sends.
import process from "node:process";

/**
 * Writes every line of `body` to standard output as it arrives and returns the last line that
 * is not blank (the run's summary).
 */
export async function printLines(body: AsyncIterable<Uint8Array>): Promise<string> {
  let last = "";
  let pending = "";
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      process.stdout.write(line + "\n");
      if (line.trim()) last = line;
    }
  }
  if (pending) {
    process.stdout.write(pending + "\n");
    last = pending;
  }
  return last;
}

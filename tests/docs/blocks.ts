/**
 * Extracts the fenced code blocks of a Markdown document, with their language, the attributes
 * of the info string (`run=deno,bun`) and an opt-out reason (`not-checked: <reason>`).
 *
 * @module
 */

/** One fenced code block. */
export interface Block {
  /** The document, e.g. `README.md`. */
  doc: string;
  /** The line of the opening fence (1-based). */
  line: number;
  /** The language: the first word of the info string, `""` when there is none. */
  lang: string;
  /** `key=value` words of the info string. */
  attributes: Record<string, string>;
  /** The reason after `not-checked:`, when the block opts out. */
  optOut?: string;
  /** The code, without the fences. */
  code: string;
}

/** The fenced blocks of `text`; fences may be indented (inside list items). */
export function extractBlocks(doc: string, text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].startsWith(indent + fence); j++) {
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
    }
    const optOut = /not-checked:(.*)$/.exec(info);
    const words = info.replace(/not-checked:.*$/, "").trim().split(/\s+/).filter(Boolean);
    blocks.push({
      doc,
      line: i + 1,
      lang: words[0] ?? "",
      attributes: Object.fromEntries(
        words.slice(1).map((word) => word.split("=", 2) as [string, string]),
      ),
      optOut: optOut ? optOut[1].trim() : undefined,
      code: body.join("\n"),
    });
    i = j;
  }
  return blocks;
}

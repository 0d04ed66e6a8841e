// Python behaviour the command-line tools reproduce for byte-identical output: `repr()` of a
// string, `textwrap.wrap` and the terminal width argparse reads.

/** Python's `repr()` of a string. */
export function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0xad) {
      out += `\\x${code.toString(16).padStart(2, "0")}`;
    } else out += ch;
  }
  return out + quote;
}

// textwrap.wrap of Python 3.11 (break_on_hyphens, break_long_words, drop_whitespace).
const LETTER = "[^\\d\\W]";
const WS = "[\\t\\n\\x0b\\x0c\\r ]";
const NWS = "[^\\t\\n\\x0b\\x0c\\r ]";
const WORD_PUNCT = "[\\w!\"'&.,?]";
const WORDSEP = new RegExp(
  `(${WS}+|(?<=${WORD_PUNCT})-{2,}(?=\\w)|${NWS}+?(?:-(?:(?<=${LETTER}{2}-)|(?<=${LETTER}-${LETTER}-))` +
    `(?=${LETTER}-?${LETTER})|(?=${WS}|$)|(?<=${WORD_PUNCT})(?=-{2,}\\w)))`,
);

/** Python's `textwrap.wrap(text, width)` after argparse's whitespace folding. */
export function wrap(text: string, width: number): string[] {
  const chunks = text.replace(/\s+/g, " ").trim().split(WORDSEP).filter(Boolean).reverse();
  const lines: string[] = [];
  const blank = (chunk: string) => chunk.trim() === "";
  while (chunks.length) {
    const line: string[] = [];
    let length = 0;
    if (lines.length && blank(chunks[chunks.length - 1])) chunks.pop();
    while (chunks.length && length + chunks[chunks.length - 1].length <= width) {
      length += chunks[chunks.length - 1].length;
      line.push(chunks.pop()!);
    }
    if (chunks.length && chunks[chunks.length - 1].length > width) {
      const chunk = chunks[chunks.length - 1];
      const space = width < 1 ? 1 : width - length;
      let end = space;
      const hyphen = chunk.lastIndexOf("-", space - 1);
      if (hyphen > 0 && /[^-]/.test(chunk.slice(0, hyphen))) end = hyphen + 1;
      line.push(chunk.slice(0, end));
      chunks[chunks.length - 1] = chunk.slice(end);
    }
    if (line.length && blank(line[line.length - 1])) line.pop();
    if (line.length) lines.push(line.join(""));
  }
  return lines;
}

/** The terminal width argparse uses: `COLUMNS`, else the terminal's, else 80. */
export function terminalColumns(env: string | undefined, terminal: number | undefined): number {
  const columns = Number(env);
  if (env && Number.isInteger(columns) && columns > 0) return columns;
  return terminal ?? 80;
}

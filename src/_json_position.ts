// Where a JSON document stops being valid, for error messages that name a line and column
// without quoting the document (a credentials file holds a secret). Runtimes' JSON.parse
// messages differ (JavaScriptCore names no position), so the position is found here.

/** Line and column (both from 1) of the first JSON syntax error in `text`, if there is one. */
export function jsonErrorPosition(text: string): { line: number; column: number } | undefined {
  let at = 0;
  const space = () => {
    while (" \t\n\r".includes(text[at] ?? "x")) at++;
  };
  const value = (): boolean => {
    space();
    const ch = text[at];
    if (ch === "{" || ch === "[") {
      const close = ch === "{" ? "}" : "]";
      at++;
      space();
      if (text[at] === close) return at++, true;
      for (;;) {
        if (close === "}") {
          space();
          if (text[at] !== '"' || !string()) return false;
          space();
          if (text[at++] !== ":") return at--, false;
        }
        if (!value()) return false;
        space();
        if (text[at] === close) return at++, true;
        if (text[at++] !== ",") return at--, false;
      }
    }
    if (ch === '"') return string();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(
      text.slice(at, at + 400),
    );
    if (!literal) return false;
    at += literal[0].length;
    return true;
  };
  const string = (): boolean => {
    // deno-lint-ignore no-control-regex
    const match = /^"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(text.slice(at));
    if (!match) return false;
    at += match[0].length;
    return true;
  };
  if (value()) {
    space();
    if (at === text.length) return undefined;
  }
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  return { line, column: at - (before.lastIndexOf("\n") + 1) + 1 };
}

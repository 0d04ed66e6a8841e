// The one JSON scanner: JSON read the way Python's `json` module reads it (object keys keep their
// document order, numbers keep their lexeme, errors read like Python's and name a line and
// column). The CLI prints with it; credential files are checked with it, for error messages that
// name a position without quoting the document (a credentials file holds a secret; runtimes'
// JSON.parse messages differ, and JavaScriptCore names no position). Not part of the public API.

/** A JSON number with its lexeme: Python keeps ints exact and prints floats with `repr`. */
export class PyNumber {
  readonly lexeme: string;
  readonly isInt: boolean;
  constructor(lexeme: string) {
    this.lexeme = lexeme;
    this.isInt = /^-?\d+$/.test(lexeme);
  }
}

/** A JSON object as an ordered list of entries (a later duplicate key replaces the value in place). */
export class PyObject {
  readonly entries: [string, PyValue][] = [];
  get(key: string): PyValue | undefined {
    return this.entries.find(([name]) => name === key)?.[1];
  }
  has(key: string): boolean {
    return this.entries.some(([name]) => name === key);
  }
  set(key: string, value: PyValue): void {
    const entry = this.entries.find(([name]) => name === key);
    if (entry) entry[1] = value;
    else this.entries.push([key, value]);
  }
}

/** A value as Python's `json.loads` returns it. */
export type PyValue = null | boolean | string | PyNumber | PyValue[] | PyObject;

/** The error of {@linkcode parsePython}, with Python's message. */
export class PyJsonError extends Error {
  /** The line of the error, from 1. */
  readonly line: number;
  /** The column of the error, from 1. */
  readonly column: number;
  constructor(message: string, text: string, position: number) {
    const before = text.slice(0, position);
    const line = before.split("\n").length;
    const column = position - (before.lastIndexOf("\n") + 1) + 1;
    super(`${message}: line ${line} column ${column} (char ${position})`);
    this.line = line;
    this.column = column;
  }
}

const WHITESPACE = /[ \t\n\r]*/y;
const NUMBER = /(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?/y;
const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/**
 * Parses like Python's `json.loads`, which also takes `NaN`, `Infinity` and `-Infinity` (unless
 * `strict`, as JSON itself). Throws a {@linkcode PyJsonError} with Python's message.
 */
export function parsePython(text: string, strict = false): PyValue {
  let at = 0;
  const skip = () => {
    WHITESPACE.lastIndex = at;
    WHITESPACE.exec(text);
    at = WHITESPACE.lastIndex;
  };
  const fail = (message: string, position = at): never => {
    throw new PyJsonError(message, text, position);
  };

  function string(): string {
    const start = at; // the opening quote
    at++;
    let out = "";
    while (true) {
      if (at >= text.length) fail("Unterminated string starting at", start);
      const ch = text[at];
      if (ch === '"') {
        at++;
        return out;
      }
      if (ch === "\\") {
        const next = text[at + 1];
        if (next === undefined) fail("Unterminated string starting at", start);
        if (next === "u") {
          const hex = text.slice(at + 2, at + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("Invalid \\uXXXX escape", at + 1);
          out += String.fromCharCode(parseInt(hex, 16));
          at += 6;
          continue;
        }
        if (!Object.hasOwn(ESCAPES, next)) fail("Invalid \\escape", at);
        out += ESCAPES[next];
        at += 2;
        continue;
      }
      if (ch < " ") fail("Invalid control character at", at);
      out += ch;
      at++;
    }
  }

  function value(): PyValue {
    const ch = text[at];
    if (ch === '"') return string();
    if (ch === "{") return object();
    if (ch === "[") return array();
    if (text.startsWith("null", at)) return at += 4, null;
    if (text.startsWith("true", at)) return at += 4, true;
    if (text.startsWith("false", at)) return at += 5, false;
    NUMBER.lastIndex = at;
    const match = NUMBER.exec(text);
    if (match) {
      at = NUMBER.lastIndex;
      return new PyNumber(match[0]);
    }
    for (const special of strict ? [] : ["NaN", "Infinity", "-Infinity"]) {
      if (text.startsWith(special, at)) return at += special.length, new PyNumber(special);
    }
    return fail("Expecting value");
  }

  function object(): PyObject {
    const result = new PyObject();
    at++;
    skip();
    if (text[at] === "}") return at++, result;
    while (true) {
      if (text[at] !== '"') fail("Expecting property name enclosed in double quotes");
      const key = string();
      skip();
      if (text[at] !== ":") fail("Expecting ':' delimiter");
      at++;
      skip();
      result.set(key, value());
      skip();
      if (text[at] === "}") return at++, result;
      if (text[at] !== ",") fail("Expecting ',' delimiter");
      at++;
      skip();
    }
  }

  function array(): PyValue[] {
    const result: PyValue[] = [];
    at++;
    skip();
    if (text[at] === "]") return at++, result;
    while (true) {
      result.push(value());
      skip();
      if (text[at] === "]") return at++, result;
      if (text[at] !== ",") fail("Expecting ',' delimiter");
      at++;
      skip();
    }
  }

  skip();
  const result = value();
  skip();
  if (at !== text.length) fail("Extra data");
  return result;
}

/** Line and column (both from 1) of the first JSON syntax error in `text`, if there is one. */
export function jsonErrorPosition(text: string): { line: number; column: number } | undefined {
  try {
    parsePython(text, true);
    return undefined;
  } catch (error) {
    if (!(error instanceof PyJsonError)) throw error;
    return { line: error.line, column: error.column };
  }
}

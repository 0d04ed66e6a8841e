// JSON the way Python's `json` module reads and writes it, so that `kog` prints byte for byte
// what the Python `kog` prints: object keys keep their document order (JavaScript objects move
// integer-like keys first), numbers keep their lexeme (`1.0` stays a float), output escapes
// non-ASCII (`ensure_ascii`) and uses Python's separators. Errors read like Python's.
import { pyRepr } from "./_args.ts";

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
  constructor(message: string, text: string, position: number) {
    const before = text.slice(0, position);
    const line = before.split("\n").length;
    const column = position - (before.lastIndexOf("\n") + 1) + 1;
    super(`${message}: line ${line} column ${column} (char ${position})`);
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

/** Parses like Python's `json.loads`, which also takes `NaN`, `Infinity` and `-Infinity`. */
export function parsePython(text: string): PyValue {
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
    for (const special of ["NaN", "Infinity", "-Infinity"]) {
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

/** Python's `repr(float)`: the shortest round-trip digits, exponent outside 1e-4 … 1e16. */
function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, exponentText] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
    const whole = digits.padEnd(exponent + 1, "0").slice(0, exponent + 1);
    return `${sign}${whole}.${digits.slice(exponent + 1) || "0"}`;
  }
  const fraction = digits.length > 1 ? `.${digits.slice(1)}` : "";
  const exp = `${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  return `${sign}${digits[0]}${fraction}e${exp}`;
}

/** How Python prints a JSON number: ints exactly, floats with `repr`. */
function numberText(number: PyNumber): string {
  if (number.isInt) return number.lexeme.replace(/^-(0+)$/, "$1");
  return floatRepr(Number(number.lexeme));
}

/** A string as `json.dumps` writes it with `ensure_ascii=True`. */
function stringText(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const code = text.charCodeAt(i);
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out + '"';
}

/**
 * `json.dumps(value)` (separators `", "` and `": "`) or, with `indent`, `json.dumps(value,
 * indent=indent)` (separators `","` + newline and `": "`), both with `ensure_ascii`.
 */
export function dumpPython(
  value: PyValue,
  indent?: number,
  level = 0,
  allowNan = true,
): string {
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") return stringText(value);
  if (value instanceof PyNumber) {
    const text = numberText(value);
    // requests sends bodies with allow_nan=False.
    if (!allowNan && /[IN]/.test(text)) {
      throw new Error("Out of range float values are not JSON compliant");
    }
    return text;
  }
  const items = Array.isArray(value)
    ? value.map((item) => dumpPython(item, indent, level + 1, allowNan))
    : value.entries.map(([key, item]) =>
      `${stringText(key)}: ${dumpPython(item, indent, level + 1, allowNan)}`
    );
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (items.length === 0) return open + close;
  if (indent === undefined) return open + items.join(", ") + close;
  const inner = "\n" + " ".repeat(indent * (level + 1));
  const outer = "\n" + " ".repeat(indent * level);
  return open + inner + items.join("," + inner) + outer + close;
}

/** Python's `str()` of a value that `json.loads` returned, nested values as `json.dumps`. */
export function strPython(value: PyValue): string {
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return value;
  if (value instanceof PyNumber) return floatText(value);
  return dumpPython(value);
}

/** A number as Python's `str()`/`repr()` prints it: `nan`, `inf` and `-inf` in lower case. */
function floatText(value: PyNumber): string {
  const text = numberText(value);
  return text === "NaN"
    ? "nan"
    : text === "Infinity"
    ? "inf"
    : text === "-Infinity"
    ? "-inf"
    : text;
}

/**
 * Python's `str()` of a value that `json.loads` returned: strings as they are, containers in
 * Python's `repr` notation (`{'a': [1, None, True]}`).
 */
export function reprPython(value: PyValue, nested = false): string {
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return nested ? pyRepr(value) : value;
  if (value instanceof PyNumber) return floatText(value);
  if (Array.isArray(value)) return `[${value.map((item) => reprPython(item, true)).join(", ")}]`;
  return `{${
    value.entries.map(([key, item]) => `${pyRepr(key)}: ${reprPython(item, true)}`).join(", ")
  }}`;
}

/** Converts a parsed value to plain JavaScript (for sending `-d` data and for tests). */
export function toJavaScript(value: PyValue): unknown {
  if (value instanceof PyNumber) return Number(value.lexeme);
  if (Array.isArray(value)) return value.map(toJavaScript);
  if (value instanceof PyObject) {
    return Object.fromEntries(value.entries.map(([key, item]) => [key, toJavaScript(item)]));
  }
  return value;
}

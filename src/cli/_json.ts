// JSON written the way Python's `json` module writes it, so that `kog` prints byte for byte what
// the Python `kog` prints: object keys in document order (JavaScript objects move integer-like
// keys first), numbers by their lexeme (`1.0` stays a float), non-ASCII escaped
// (`ensure_ascii`), Python's separators. The reading side is src/_json.ts.
import { pyRepr } from "./_python.ts";
import { KognicAuthError } from "../errors.ts";
import { PyNumber, PyObject, type PyValue } from "../_json.ts";

export { parsePython, PyJsonError, PyNumber, PyObject, type PyValue } from "../_json.ts";

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
      throw new KognicAuthError(
        "INVALID_OPTIONS",
        "Out of range float values are not JSON compliant",
      );
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

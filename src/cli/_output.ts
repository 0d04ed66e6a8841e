// The output formats of `kog`, byte for byte as the Python `kog` prints them:
// pretty JSON, JSON lines, CSV/TSV as Python's csv module writes them, and a Markdown table.
import { KognicAuthError } from "../errors.ts";
import { dumpPython, parsePython, PyObject, type PyValue, strPython } from "./_json.ts";

/** The output formats of `kog --format`. */
export const FORMATS = ["json", "jsonl", "csv", "tsv", "table"] as const;
/** One of {@linkcode FORMATS}. */
export type Format = typeof FORMATS[number];

/** A top-level array, or the array an object holds as its only value; otherwise `undefined`. */
function rows(body: PyValue): PyValue[] | undefined {
  if (Array.isArray(body)) return body;
  if (body instanceof PyObject && body.entries.length === 1 && Array.isArray(body.entries[0][1])) {
    return body.entries[0][1];
  }
  return undefined;
}

function columns(items: PyValue[]): string[] {
  const names: string[] = [];
  for (const item of items) {
    if (!(item instanceof PyObject)) continue;
    for (const [key] of item.entries) if (!names.includes(key)) names.push(key);
  }
  return names;
}

/** A field as Python's csv writer writes it with QUOTE_MINIMAL. */
function csvField(text: string, delimiter: string, alone: boolean): string {
  if (
    text.includes(delimiter) || text.includes('"') || text.includes("\n") || text.includes("\r")
  ) {
    return `"${text.replace(/"/g, '""')}"`;
  }
  // A row of a single empty field is written as "" so that it is not an empty line.
  return alone && text === "" ? '""' : text;
}

function delimited(items: PyValue[], delimiter: string): string {
  if (items.length === 0) return "";
  const names = columns(items);
  const line = (fields: string[]) =>
    fields.map((field) => csvField(field, delimiter, fields.length === 1)).join(delimiter) +
    "\r\n";
  let out = line(names);
  for (const item of items) {
    let record = item;
    if (!(record instanceof PyObject)) {
      record = new PyObject();
      record.set("value", item);
    }
    const extra = record.entries.map(([key]) => key).filter((key) => !names.includes(key));
    if (extra.length) {
      throw new KognicAuthError(
        "INVALID_OPTIONS",
        `dict contains fields not in fieldnames: ${extra.map((key) => `'${key}'`).join(", ")}`,
        { source: "--format" },
      );
    }
    const values = new Map(record.entries.map(([key, value]) => [key, strPython(value)]));
    out += line(names.map((name) => values.get(name) ?? ""));
  }
  return out;
}

const length = (text: string) => [...text].length;
const pad = (text: string, width: number) => text + " ".repeat(Math.max(0, width - length(text)));

function table(items: PyValue[]): string {
  if (items.length === 0) return "";
  const names = columns(items);
  const widths = names.map(length);
  const cells = items.map((item) =>
    names.map((name, index) => {
      const cell = item instanceof PyObject
        ? (item.has(name) ? strPython(item.get(name)!) : "")
        : strPython(item);
      widths[index] = Math.max(widths[index], length(cell));
      return cell;
    })
  );
  const row = (values: string[]) =>
    `| ${values.map((value, index) => pad(value, widths[index])).join(" | ")} |\n`;
  const rule = `|-${widths.map((width) => "-".repeat(width)).join("-|-")}-|\n`;
  return row(names) + rule + cells.map(row).join("");
}

/**
 * What `kog` prints for a response body: formatted JSON when the content type says JSON and the
 * body parses, otherwise the text as received; always ending in a newline except for the CSV,
 * TSV and table formats, which end with their last row.
 */
export function formatBody(text: string, contentType: string, format: Format): string {
  if (!contentType.includes("application/json")) return `${text}\n`;
  let body: PyValue;
  try {
    body = parsePython(text);
  } catch {
    return `${text}\n`;
  }
  if (format !== "json") {
    const items = rows(body);
    if (items) {
      if (format === "jsonl") return items.map((item) => `${dumpPython(item)}\n`).join("");
      if (format === "table") return table(items);
      return delimited(items, format === "tsv" ? "\t" : ",");
    }
  }
  return `${dumpPython(body, 2)}\n`;
}

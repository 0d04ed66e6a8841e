// kog's output formats and Python-compatible JSON in-process, against every expected file that
// tests/fixtures/kog/generate.py wrote with Python's json and csv modules (SPEC §10).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { formatBody, FORMATS } from "../../src/cli/_output.ts";
import { dumpPython, parsePython, strPython } from "../../src/cli/_json.ts";
import { test } from "../support/harness.ts";

// Resolved when read: in the workerd bundle import.meta.url is no file URL.
const read = (name: string) =>
  readFile(new URL(`../fixtures/kog/${name}`, import.meta.url), "utf8");

test("kog output: every format of every fixture equals Python's bytes", async () => {
  for (const name of ["items.json", "list.json", "object.json", "text.txt"]) {
    const text = await read(name);
    const type = name.endsWith(".json") ? "application/json" : "text/plain";
    for (const format of FORMATS) {
      assert.equal(formatBody(text, type, format), await read(`expected/${name}.${format}`));
    }
  }
  assert.equal(
    dumpPython(parsePython(await read("request.json"))),
    await read("expected/request.body"),
  );
}, { needs: ["fs"] });

test("kog output: numbers, strings and errors as Python prints them", () => {
  const cases: [string, string][] = [
    ["1.0", "1.0"],
    ["-0", "0"],
    ["-0.0", "-0.0"],
    ["1e16", "1e+16"],
    ["123456789012345678901234567890", "123456789012345678901234567890"],
    ["0.0001", "0.0001"],
    ["0.00001", "1e-05"],
    ["1E+2", "100.0"],
    ["2.5e-7", "2.5e-07"],
    ["1e400", "Infinity"],
    ['"\\u00e9\\ud83d\\ude00\\u007f/"', '"\\u00e9\\ud83d\\ude00\\u007f/"'],
    ['{"b": 1, "2": 2, "a": {}, "c": []}', '{"b": 1, "2": 2, "a": {}, "c": []}'],
    ['{"a": 1, "a": 2, "b": 3}', '{"a": 2, "b": 3}'],
  ];
  for (const [input, output] of cases) assert.equal(dumpPython(parsePython(input)), output, input);
  assert.equal(strPython(parsePython("null")), "None");
  assert.equal(strPython(parsePython("true")), "True");
  assert.equal(strPython(parsePython("1e400")), "inf");
  const errors: [string, string][] = [
    ["", "Expecting value: line 1 column 1 (char 0)"],
    ["[1,]", "Expecting value: line 1 column 4 (char 3)"],
    ['{"a":1,}', "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"],
    ["[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"],
    ['"abc', "Unterminated string starting at: line 1 column 1 (char 0)"],
    ['"a\\x"', "Invalid \\escape: line 1 column 3 (char 2)"],
    ['{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)"],
    ["1 2", "Extra data: line 1 column 3 (char 2)"],
    ['\n"\t"', "Invalid control character at: line 2 column 2 (char 2)"],
  ];
  for (const [input, message] of errors) {
    assert.throws(() => parsePython(input), { message }, JSON.stringify(input));
  }
});

test("kog output: lists of non-objects, empty lists and invalid JSON bodies", () => {
  assert.equal(formatBody("[]", "application/json", "table"), "");
  assert.equal(formatBody("[]", "application/json", "csv"), "");
  assert.equal(formatBody("[]", "application/json", "json"), "[]\n");
  assert.equal(
    formatBody('{"a": 1, "b": []}', "application/json", "jsonl"),
    '{\n  "a": 1,\n  "b": []\n}\n',
  );
  assert.equal(formatBody('[1, "x"]', "application/json", "jsonl"), '1\n"x"\n');
  assert.equal(
    formatBody('[{"a": 1}, 2]', "application/json", "table"),
    "| a |\n|---|\n| 1 |\n| 2 |\n",
  );
  assert.throws(() => formatBody('[{"a": 1}, 2]', "application/json", "csv"), {
    message: "dict contains fields not in fieldnames: 'value'",
  });
  assert.equal(formatBody('[{"value": 1}, 2]', "application/json", "csv"), "value\r\n1\r\n2\r\n");
  assert.equal(formatBody('[{"a": ""}]', "application/json", "csv"), 'a\r\n""\r\n');
  assert.equal(formatBody("{broken", "application/json", "json"), "{broken\n");
  assert.equal(formatBody("", "application/json", "json"), "\n");
});

// The CLI interop suite: `kog` and `kognic-auth` run on the same 200-odd command lines by
// Kognic's Python tools and by this project (on the runtime under test), against the same
// Kognic-compatible server on a loopback socket, with the same files and HOME. Stdout
// bytes, exit codes and stderr must be identical; the few deliberate differences are listed
// below and explained in docs/cli-interop.md. To stay fast, each side runs every invocation in
// one process (tests/support/cli_driver.py and cli_driver.ts call the CLIs' main functions), and
// a handful of invocations also run as real subprocesses through the CLI entry points.
import assert from "node:assert/strict";
import process from "node:process";
import { test } from "../support/harness.ts";
import { createKognicServer, type KognicServer, TOKEN_CANARY } from "../support/kognic_server.ts";
import { serve } from "../support/serve.ts";
import {
  entryCommand,
  type Ran,
  repoPath,
  runProgram,
  type Sandbox,
  sandbox,
} from "../support/cli.ts";
import { oracle } from "../support/capabilities.ts";
import { CANARY_SECRET, credentialsDocument } from "../support/fixtures.ts";

/** One invocation; `{home}` and `{url}` in args and env are filled in per side. */
interface Invocation {
  name: string;
  tool: "kog" | "kognic-auth";
  args: string[];
  env?: Record<string, string>;
  unset?: string[];
}

/** The deliberate differences (docs/cli-interop.md), by case name: the reason in short. */
export const DOCUMENTED: Record<string, string> = {
  "kog get -d (GET with a body)": "fetch() cannot send a body with GET; kog refuses clearly",
  "kog head -d": "fetch() cannot send a body with HEAD; kog refuses clearly",
  "kog post lower-case content-type with -d":
    "Python's case-sensitive dict lets -d replace the user's content-type; here the user's wins",
  "kog text-no-charset as json":
    "requests decodes text/* without charset as ISO-8859-1 (mojibake); kog decodes UTF-8",
  "kog text-no-charset as table":
    "requests decodes text/* without charset as ISO-8859-1 (mojibake); kog decodes UTF-8",
  "error body a JSON list": "Python fails with \"'list' object has no attribute 'get'\"",
  "error body a JSON number": "Python fails with \"'int' object has no attribute 'get'\"",
  "get-access-token unreachable server": "the transport error text is urllib3's",
  "-v get-access-token (debug lines)": "-v logs this project's own debug lines",
  "kog --env-config-file-path invalid JSON":
    "the message names the file; Python's only the JSON error",
  "get-access-token --env with invalid config":
    "the message names the file; Python's only the JSON error",
  "get-access-token --credentials not JSON":
    "the message names the file; Python's only the JSON error",
  "get-access-token --credentials without clientSecret":
    "the message names the file; Python's is a KeyError's repr",
  "get-access-token no credentials":
    "Python asks the token endpoint without credentials (invalid_client); this says what is missing",
  "credentials get without a keyring":
    "Python says no credentials are stored; this says there is no keyring",
  "credentials get --env without a keyring":
    "Python says no credentials are stored; this says there is no keyring",
  "credentials delete without a keyring": "Python says cleared although nothing could be",
  "credentials put without a keyring": "the keyring library's message differs",
  "credentials put invalid file": "the message names the file; Python's only the JSON error",
  "get-access-token --token-cache keyring without a keyring":
    "Python silently caches nothing; an explicit keyring cache that cannot work is an error here",
  "kog --token-cache keyring without a keyring":
    "Python silently caches nothing; an explicit keyring cache that cannot work is an error here",
  "kog --env-config-file-path missing file, no credentials":
    "Python asks the default (production) auth server without credentials; this says what is missing",
};

const SHAPES: Record<string, { body: string; type?: string; status?: number }> = {
  items: { body: '{"data": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]}' },
  list: { body: '[{"a": 1, "b": "x"}, {"b": "y", "c": true}]' },
  nested: { body: '{"data": [{"id": 1, "meta": {"tags": ["a", "b"], "n": null}, "ok": true}]}' },
  unicode: {
    body: '{"data": [{"name": "\u00c5sa \u2713 \u65e5\u672c", "emoji": "\ud83d\ude00"}]}',
  },
  "unicode-escaped": { body: '{"data": [{"name": "\\u00e5\\ud83d\\ude00", "n": 1}]}' },
  "empty-array": { body: '{"data": []}' },
  "empty-top": { body: "[]" },
  "empty-object": { body: "{}" },
  numbers: {
    body: '[{"i": 1, "f": 1.5, "z": 1.0, "e": 1e21, "neg": -0, "big": 12345678901234567890, ' +
      '"small": 1e-7, "exp": 2.5E+3}]',
  },
  floats: { body: '[{"x": 0.1}, {"x": 1e16}, {"x": 1.5e-5}, {"x": 123456789.123456789}]' },
  "booleans-null": { body: '[{"t": true, "f": false, "n": null}]' },
  nan: { body: '{"data": [{"x": NaN, "y": Infinity, "z": -Infinity, "w": 1}]}' },
  "nan-top": { body: "[NaN, -Infinity]" },
  scalars: { body: '{"values": [1, "two", null, true, [1, 2], {"k": "v"}]}' },
  "two-keys": { body: '{"data": [1], "meta": {}}' },
  object: { body: '{"id": 1, "name": "x", "tags": []}' },
  string: { body: '"hello \\"world\\""' },
  number: { body: "42" },
  "csv-special": {
    body: '[{"a": "x,y", "b": "q\\"t", "c": "line\\nbreak", "d": "tab\\there", "e": "", ' +
      '"f": " lead", "g": "cr\\rhere"}]',
  },
  "single-empty": { body: '[{"a": ""}, {"a": "x"}]' },
  mixed: { body: '[1, {"a": 1}]' },
  "dict-after-scalar": { body: '[{"value": 1}, 2]' },
  duplicates: { body: '{"a": 1, "a": 2, "b": 3}' },
  deep: { body: '{"a": {"b": {"c": [1, {"d": []}]}}, "e": {}}' },
  "int-keys": { body: '{"data": [{"2": "b", "1": "a", "10": "c"}]}' },
  control: { body: '{"data": [{"s": "\\u0001\\u007f\\u00a0"}]}' },
  whitespace: { body: '  \n{ "data" :\t[ {"a":1} ] }\n ' },
  "wide-table": {
    body:
      '[{"short": "\u00e5\u00e4\u00f6", "long-header-name": 1}, {"short": "a much longer cell \ud83d\ude00"}]',
  },
  invalid: { body: "{not json" },
  "charset-json": { body: '{"data": [{"a": "\u00e9"}]}', type: "application/json; charset=utf-8" },
  "problem-json": { body: '{"a": 1}', type: "application/problem+json" },
  "text-plain": { body: "plain text", type: "text/plain; charset=utf-8" },
  "text-utf8": { body: "Gr\u00fc\u00dfe \u2713", type: "text/plain; charset=utf-8" },
  "text-no-charset": { body: "Gr\u00fc\u00dfe", type: "text/plain" },
  "text-newlines": { body: "a\nb\n", type: "text/plain; charset=utf-8" },
  html: { body: "<p>hi</p>", type: "text/html; charset=utf-8" },
  empty: { body: "", status: 204 },
};

const ERRORS: Record<string, { status: number; body: string; type?: string }> = {
  "error message": { status: 404, body: '{"message": "Not here"}' },
  "error message unicode": { status: 400, body: '{"message": "Fel: \u00e5\u00e4\u00f6"}' },
  "error without message": { status: 409, body: '{"error": "x", "n": 1, "ok": true, "z": null}' },
  "error message null": { status: 422, body: '{"message": null}' },
  "error message nested": { status: 400, body: '{"message": {"a": [1, 1.5, "b\'c"]}}' },
  "error text body": { status: 403, body: "Forbidden!", type: "text/plain; charset=utf-8" },
  "error empty body": { status: 418, body: "", type: "text/plain" },
  "error 500": { status: 500, body: '{"message": "Boom"}' },
  "error body a JSON list": { status: 400, body: '["a"]' },
  "error body a JSON number": { status: 400, body: "7" },
};

/** The server: the Kognic-compatible one, plus shapes, errors and a filtered echo behind it. */
function handler(kognic: KognicServer) {
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const [, v1, kind, name] = url.pathname.split("/");
    if (v1 !== "v1" || !["shape", "error", "echo"].includes(kind)) return kognic.fetch(request);
    const check = await kognic.fetch(new URL("/v1/whoami", url), {
      headers: { authorization: request.headers.get("authorization") ?? "" },
    });
    if (!check.ok) return check;
    await check.body?.cancel();
    if (kind === "echo") {
      const headers: Record<string, string> = {};
      for (const [key, value] of request.headers) {
        if (key.startsWith("x-") || key === "content-type") headers[key] = value;
      }
      const body = await request.text();
      return Response.json({ method: request.method, headers, body, length: body.length });
    }
    const found = kind === "shape"
      ? SHAPES[decodeURIComponent(name)]
      : ERRORS[decodeURIComponent(name)];
    if (!found) return new Response("no such shape", { status: 500 });
    const status = "status" in found && found.status ? found.status : 200;
    return new Response(status === 204 ? null : found.body, {
      status,
      headers: status === 204 ? {} : { "content-type": found.type ?? "application/json" },
    });
  };
}

function invocations(): Invocation[] {
  const list: Invocation[] = [];
  const kog = (name: string, ...args: string[]) => list.push({ name, tool: "kog", args });
  const auth = (name: string, args: string[], env?: Record<string, string>, unset?: string[]) =>
    list.push({ name, tool: "kognic-auth", args, env, unset });

  // Output formats over many response shapes.
  for (const shape of Object.keys(SHAPES)) {
    for (const format of ["json", "jsonl", "csv", "tsv", "table"]) {
      if (SHAPES[shape].type && format !== "json" && format !== "table") continue;
      kog(
        `kog ${shape} as ${format}`,
        "get",
        `{url}/v1/shape/${shape}`,
        "--format",
        format,
      );
    }
  }
  // Non-2xx answers.
  for (const error of Object.keys(ERRORS)) {
    kog(error, "get", `{url}/v1/error/${encodeURIComponent(error)}`);
  }
  kog(
    "error on delete with table format",
    "delete",
    "{url}/v1/error/error%20message",
    "--format",
    "table",
  );
  kog("not found from the server", "get", "{url}/v1/nowhere");
  // Request building: methods, bodies, headers.
  for (const method of ["post", "put", "patch", "delete", "options"]) {
    kog(
      `kog ${method} -d object`,
      method,
      "{url}/v1/echo",
      "-d",
      '{"b": 1, "a": [true, null, 1.0]}',
    );
  }
  kog("kog get echo", "get", "{url}/v1/echo");
  kog("kog head", "head", "{url}/v1/shape/items");
  kog("kog post without body", "post", "{url}/v1/echo");
  kog(
    "kog post -d unicode",
    "post",
    "{url}/v1/echo",
    "-d",
    '{"name": "\u00e5\u00e4\u00f6 \ud83d\ude00"}',
  );
  kog("kog post -d escapes", "post", "{url}/v1/echo", "-d", '{"s": "a\\"b\\\\c\\n\\u00e9"}');
  kog("kog post -d array", "post", "{url}/v1/echo", "-d", "[1, 2, 3]");
  kog("kog post -d number", "post", "{url}/v1/echo", "-d", "0");
  kog("kog post -d false", "post", "{url}/v1/echo", "-d", "false");
  kog("kog post -d empty object", "post", "{url}/v1/echo", "-d", "{}");
  kog("kog post -d null", "post", "{url}/v1/echo", "-d", "null");
  kog("kog post -d empty string", "post", "{url}/v1/echo", "-d", "");
  kog(
    "kog post -d float lexemes",
    "post",
    "{url}/v1/echo",
    "-d",
    '{"a": 1.0, "b": 1E2, "c": -0.0}',
  );
  kog("kog post -d duplicate keys", "post", "{url}/v1/echo", "-d", '{"a": 1, "b": 2, "a": 3}');
  kog("kog post -d whitespace", "post", "{url}/v1/echo", "-d", ' \n {"a" : 1 } \t');
  kog("kog post -d string", "post", "{url}/v1/echo", "-d", '"str"');
  kog("kog post -d NaN", "post", "{url}/v1/echo", "-d", '{"a": NaN}');
  kog("kog post -d Infinity", "post", "{url}/v1/echo", "-d", "[Infinity]");
  kog("kog post -d invalid", "post", "{url}/v1/echo", "-d", "{bad");
  kog("kog post -d trailing data", "post", "{url}/v1/echo", "-d", "{} x");
  kog("kog post -d single quotes", "post", "{url}/v1/echo", "-d", "{'a': 1}");
  kog("kog post -d unterminated", "post", "{url}/v1/echo", "-d", '{"a": "b');
  kog("kog post -d bad escape", "post", "{url}/v1/echo", "-d", '"\\x"');
  kog("kog post -d control character", "post", "{url}/v1/echo", "-d", '"a\tb"');
  kog("kog post -d=", "post", "{url}/v1/echo", '--data={"x": 1}');
  kog("kog post -dVALUE", "post", "{url}/v1/echo", '-d{"x": 2}');
  kog("kog get -d (GET with a body)", "get", "{url}/v1/echo", "-d", '{"a": 1}');
  kog("kog get -d null", "get", "{url}/v1/echo", "-d", "null");
  kog("kog head -d", "head", "{url}/v1/echo", "-d", "{}");
  kog("kog -H custom", "get", "{url}/v1/echo", "-H", "X-Custom: 1");
  kog("kog -H twice, the last wins", "get", "{url}/v1/echo", "-H", "X-A: 1", "-H", "X-A: 2");
  kog("kog -H twice, case differs", "get", "{url}/v1/echo", "-H", "x-a: 1", "-H", "X-A: 2");
  kog("kog -H two names", "get", "{url}/v1/echo", "-H", "X-A: 1", "--header", "X-B: 2");
  kog("kog -H value with colon", "get", "{url}/v1/echo", "-H", "X-Url: http://a:b");
  kog("kog -H empty value", "post", "{url}/v1/echo", "-H", "X-Empty: ", "-d", "{}");
  kog("kog -H bad header", "get", "{url}/v1/echo", "-H", "BadHeader");
  kog("kog -H no space", "get", "{url}/v1/echo", "-H", "X-A:1");
  kog(
    "kog post Content-Type with -d",
    "post",
    "{url}/v1/echo",
    "-H",
    "Content-Type: text/plain",
    "-d",
    "{}",
  );
  kog(
    "kog post lower-case content-type with -d",
    "post",
    "{url}/v1/echo",
    "-H",
    "content-type: text/plain",
    "-d",
    "{}",
  );
  kog("kog -H content-type without -d", "post", "{url}/v1/echo", "-H", "Content-Type: text/x");
  kog("kog bad header before bad data", "post", "{url}/v1/echo", "-H", "Bad", "-d", "{bad");
  // Environments, scopes, caches.
  kog("kog wrong secret", "get", "{url}/v1/shape/items", "--env", "wrong", "--token-cache", "none");
  kog("kog --env local", "get", "{url}/v1/shape/items", "--env", "local");
  kog("kog --env unknown", "get", "{url}/v1/shape/items", "--env", "nope");
  kog("kog host of an environment whose credentials are missing", "get", "http://localhost:9/v1/x");
  kog("kog --env broken", "get", "{url}/v1/x", "--env", "broken");
  kog(
    "kog --env-config-file-path other",
    "get",
    "{url}/v1/shape/list",
    "--env-config-file-path",
    "{home}/other.json",
  );
  kog(
    "kog --env-config-file-path missing file, no credentials",
    "get",
    "{url}/v1/shape/list",
    "--env-config-file-path",
    "{home}/missing.json",
  );
  kog(
    "kog --env-config-file-path invalid JSON",
    "get",
    "{url}/v1/shape/list",
    "--env-config-file-path",
    "{home}/invalid.json",
  );
  kog("kog --scope", "get", "{url}/v1/shape/items", "--scope", "api:read", "--scope", "api:write");
  for (const cache of ["none", "file", "auto"]) {
    kog(`kog --token-cache ${cache}`, "get", "{url}/v1/shape/items", "--token-cache", cache);
  }
  kog("kog url without scheme", "get", "127.0.0.1/v1/items", "--env", "local");
  kog("kog url with query", "get", "{url}/v1/shape/items?a=1&b=%C3%A5", "--format", "jsonl");
  kog("kog positionals after options", "--format", "csv", "get", "{url}/v1/shape/items");
  kog("kog options between positionals", "get", "--format", "tsv", "{url}/v1/shape/items");
  kog("kog after --", "get", "--", "{url}/v1/shape/items");
  // Bad usage.
  kog("kog GET in capitals", "GET", "{url}/v1/shape/items");
  kog("kog unknown method", "fetch", "{url}/v1/shape/items");
  kog("kog no arguments");
  kog("kog method only", "get");
  kog("kog extra positional", "get", "{url}/v1/shape/items", "extra");
  kog("kog unknown option", "get", "{url}/v1/shape/items", "--bogus");
  kog("kog unknown option with value", "get", "{url}/v1/shape/items", "--bogus", "x");
  kog("kog unknown format", "get", "{url}/v1/shape/items", "--format", "xml");
  kog("kog unknown token cache", "get", "{url}/v1/shape/items", "--token-cache", "redis");
  kog("kog -d without value", "get", "{url}/v1/shape/items", "-d");
  kog("kog -H followed by an option", "get", "{url}/v1/shape/items", "-H", "--verbose");
  kog("kog abbreviated --form", "get", "{url}/v1/shape/items", "--form", "csv");
  kog("kog ambiguous --en", "get", "{url}/v1/shape/items", "--en", "x");
  kog("kog --verbose=1", "get", "{url}/v1/shape/items", "--verbose=1");
  kog("kog -vx", "get", "{url}/v1/shape/items", "-vx");
  kog("kog -d -1 (negative number value)", "post", "{url}/v1/echo", "-d", "-1");
  kog("kog invalid choice before missing URL", "GET");
  kog("kog format error before method error", "--format", "x", "GET", "u");
  // Help.
  kog("kog --help", "--help");
  kog("kog -h after arguments", "get", "{url}/v1/shape/items", "-h");
  kog("kog -vh", "-vh");
  kog("kog --he", "--he");
  kog("kog error before help", "GET", "u", "-h");
  for (const columns of ["50", "100", "200"]) {
    const env = { COLUMNS: columns };
    list.push({ name: `kog --help, COLUMNS=${columns}`, tool: "kog", args: ["--help"], env });
    list.push({ name: `kog usage error, COLUMNS=${columns}`, tool: "kog", args: ["x"], env });
    auth(`get-access-token --help, COLUMNS=${columns}`, ["get-access-token", "-h"], env);
    auth(`credentials put --help, COLUMNS=${columns}`, ["credentials", "put", "-h"], env);
  }
  // kognic-auth get-access-token.
  auth("get-access-token --env local", ["get-access-token", "--env", "local"]);
  auth("get-access-token --env local --decode", ["get-access-token", "--env", "local", "--decode"]);
  auth("get-access-token --server --credentials", [
    "get-access-token",
    "--server",
    "{url}",
    "--credentials",
    "{home}/credentials.json",
  ]);
  auth("get-access-token --token-cache none", [
    "get-access-token",
    "--env",
    "local",
    "--token-cache",
    "none",
  ]);
  auth("get-access-token --token-cache file", [
    "get-access-token",
    "--env",
    "local",
    "--token-cache",
    "file",
  ]);
  auth("get-access-token --scopes", [
    "get-access-token",
    "--env",
    "local",
    "--scopes",
    "api:read",
    "api:write",
  ]);
  auth("get-access-token --scopes then --decode", [
    "get-access-token",
    "--env",
    "local",
    "--scopes",
    "a",
    "--decode",
  ]);
  auth("-v get-access-token (debug lines)", [
    "-v",
    "get-access-token",
    "--env",
    "local",
    "--token-cache",
    "none",
  ]);
  auth("get-access-token --env unknown", ["get-access-token", "--env", "nope"]);
  auth("get-access-token --env with missing config", [
    "get-access-token",
    "--env",
    "local",
    "--env-config-file-path",
    "{home}/missing.json",
  ]);
  auth("get-access-token --env with invalid config", [
    "get-access-token",
    "--env",
    "x",
    "--env-config-file-path",
    "{home}/invalid.json",
  ]);
  auth("get-access-token --env broken (credentials file missing)", [
    "get-access-token",
    "--env",
    "broken",
  ]);
  auth("get-access-token --credentials missing", [
    "get-access-token",
    "--server",
    "{url}",
    "--credentials",
    "{home}/nope.json",
  ]);
  auth("get-access-token --credentials not JSON", [
    "get-access-token",
    "--server",
    "{url}",
    "--credentials",
    "{home}/invalid.json",
  ]);
  auth("get-access-token --credentials without clientSecret", [
    "get-access-token",
    "--server",
    "{url}",
    "--credentials",
    "{home}/partial.json",
  ]);
  auth("get-access-token wrong secret", [
    "get-access-token",
    "--server",
    "{url}",
    "--credentials",
    "{home}/wrong.json",
    "--token-cache",
    "none",
  ]);
  auth("get-access-token no credentials", [
    "get-access-token",
    "--server",
    "{url}",
    "--token-cache",
    "none",
  ]);
  auth("get-access-token KOGNIC_CREDENTIALS", [
    "get-access-token",
    "--server",
    "{url}",
    "--token-cache",
    "none",
  ], { KOGNIC_CREDENTIALS: "{home}/credentials.json" });
  auth("get-access-token KOGNIC_CLIENT_ID and SECRET", [
    "get-access-token",
    "--server",
    "{url}",
    "--token-cache",
    "none",
  ], { KOGNIC_CLIENT_ID: "test-client-id", KOGNIC_CLIENT_SECRET: CANARY_SECRET });
  auth("get-access-token KOGNIC_CREDENTIALS missing file", [
    "get-access-token",
    "--server",
    "{url}",
  ], { KOGNIC_CREDENTIALS: "{home}/gone.json" });
  auth("get-access-token unreachable server", [
    "get-access-token",
    "--server",
    "http://127.0.0.1:9",
    "--credentials",
    "{home}/credentials.json",
    "--token-cache",
    "none",
  ]);
  auth("get-access-token --server overrides --env", [
    "get-access-token",
    "--env",
    "broken",
    "--credentials",
    "{home}/credentials.json",
    "--server",
    "{url}",
  ]);
  auth("get-access-token --scopes without value", ["get-access-token", "--scopes"]);
  auth("get-access-token -v after the command", ["get-access-token", "-v"]);
  auth("get-access-token unknown option", ["get-access-token", "--bogus"]);
  auth("get-access-token extra positional", ["get-access-token", "extra"]);
  auth("get-access-token bad --token-cache", ["get-access-token", "--token-cache", "x"]);
  auth("get-access-token --decode=1", ["get-access-token", "--decode=1"]);
  auth("get-access-token --help", ["get-access-token", "--help"]);
  auth("get-access-token -h with other options", ["get-access-token", "--env", "x", "-h"]);
  // kognic-auth top level and credentials without a keyring.
  auth("kognic-auth no arguments", []);
  auth("kognic-auth --help", ["--help"]);
  auth("kognic-auth -v alone", ["-v"]);
  auth("kognic-auth unknown command", ["nope"]);
  auth("kognic-auth kog", ["kog", "get", "{url}/v1/shape/items"]);
  auth("kognic-auth unknown option", ["--bogus"]);
  auth("kognic-auth unknown option then command", ["--bogus", "credentials"]);
  auth("credentials no action", ["credentials"]);
  auth("credentials --help", ["credentials", "--help"]);
  auth("credentials unknown action", ["credentials", "list"]);
  auth("credentials put --help", ["credentials", "put", "--help"]);
  auth("credentials get --help", ["credentials", "get", "--help"]);
  auth("credentials delete --help", ["credentials", "delete", "-h"]);
  auth("credentials put without file", ["credentials", "put"]);
  auth("credentials put two files", ["credentials", "put", "a", "b"]);
  auth("credentials get extra", ["credentials", "get", "x"]);
  auth("credentials get --env without value", ["credentials", "get", "--env"]);
  auth("credentials get without a keyring", ["credentials", "get"]);
  auth("credentials get --env without a keyring", ["credentials", "get", "--env", "p"]);
  auth("credentials delete without a keyring", ["credentials", "delete"]);
  auth("credentials put without a keyring", ["credentials", "put", "{home}/credentials.json"]);
  auth("credentials put invalid file", ["credentials", "put", "{home}/invalid.json"]);
  auth("get-access-token --token-cache keyring without a keyring", [
    "get-access-token",
    "--env",
    "local",
    "--token-cache",
    "keyring",
  ]);
  kog(
    "kog --token-cache keyring without a keyring",
    "get",
    "{url}/v1/shape/items",
    "--token-cache",
    "keyring",
  );
  auth("credentials put missing file", ["credentials", "put", "{home}/nope.json", "--env", "p"]);
  return list;
}

/** Writes the same files below a sandbox for either side. */
async function furnish(box: Sandbox, url: string): Promise<void> {
  const credentials = await box.write("credentials.json", JSON.stringify(credentialsDocument()));
  await box.write("wrong.json", JSON.stringify(credentialsDocument({ clientSecret: "wrong" })));
  await box.write("partial.json", JSON.stringify({ clientId: "x", email: "a@b" }));
  await box.write("invalid.json", "{not json");
  await box.write(
    "config/kognic/environments.json",
    JSON.stringify({
      environments: {
        local: { host: "127.0.0.1", auth_server: url, credentials },
        broken: { host: "localhost", auth_server: url, credentials: `${box.home}/gone.json` },
        wrong: { host: "wrong.invalid", auth_server: url, credentials: `${box.home}/wrong.json` },
      },
    }),
  );
  await box.write(
    "other.json",
    JSON.stringify({
      environments: { other: { host: "example.invalid", auth_server: url, credentials } },
      default_environment: "other",
    }),
  );
}

function fill(text: string, home: string, url: string): string {
  return text.replaceAll("{home}", home).replaceAll("{url}", url);
}

function prepared(list: Invocation[], home: string, url: string) {
  return list.map((entry) => ({
    tool: entry.tool,
    args: entry.args.map((arg) => fill(arg, home, url)),
    env: Object.fromEntries(
      Object.entries(entry.env ?? {}).map(([key, value]) => [key, fill(value, home, url)]),
    ),
    unset: entry.unset ?? [],
  }));
}

async function driver(
  command: string,
  args: string[],
  env: Record<string, string>,
  input: unknown,
) {
  const ran = await runProgram(command, args, { env, stdin: JSON.stringify(input) });
  if (ran.code !== 0) {
    throw new Error(`The driver ${args.at(-1)} failed (${ran.code}): ${ran.stderr}`);
  }
  return JSON.parse(ran.stdout) as Ran[];
}

/** Hides what must differ: the sandbox, tokens (and secrets, which must never show anyway). */
function normalize(text: string, home: string, kognic: KognicServer): string {
  // Both homes are mkdtemp names of one length: help texts wrap them alike, even mid-name.
  let out = text.replaceAll(home, "$HOME").replaceAll(home.slice(-6), "XXXXXX")
    .replaceAll(CANARY_SECRET, "<SECRET>");
  for (const token of kognic.issuedTokens) out = out.replaceAll(token, "<TOKEN>");
  return out
    .replace(/"(iat|exp)": \d+/g, '"$1": <TIME>')
    .replace(/"jti": \d+/g, '"jti": <N>')
    .replace(new RegExp(`${TOKEN_CANARY}Sig\\d+`, "g"), "<SIGNATURE>");
}

/**
 * Cases where this project prints Python's lines and then one more that says what to check:
 * a refused client secret names the credentials' source, the client id's start and the auth
 * server on the line after Python's.
 */
export const HINTED: Record<string, RegExp> = {
  "kog wrong secret": /^Check the client secret of client id "[^"]{4}…" \(from .+\): .+\n$/,
  "get-access-token wrong secret":
    /^Check the client secret of client id "[^"]{4}…" \(from credentials file ".+wrong\.json"\): .+\n$/,
};

/** The server, both sandboxes furnished alike, and the invocations' placeholders filled. */
async function withWorld(
  fn: (
    world: { kognic: KognicServer; url: string; python: Sandbox; ours: Sandbox },
  ) => Promise<void>,
): Promise<void> {
  const kognic = createKognicServer();
  const served = await serve(handler(kognic));
  // One HOME for both, Python's run first: help texts print the default environments.json path,
  // and textwrap breaks a path at hyphens depending on the letters of mkdtemp's random suffix, so
  // two homes would wrap differently. (This project also reads the token cache Python wrote.)
  const home = await sandbox();
  try {
    await furnish(home, served.url);
    await fn({ kognic, url: served.url, python: home, ours: home });
  } finally {
    await served.close();
    await home.close();
  }
}

/** Compares normalized results; returns the undocumented and documented differences. */
function compare(
  list: Invocation[],
  kognic: KognicServer,
  sides: { box: Sandbox; results: Ran[] }[],
): { mismatches: string[]; documented: string[] } {
  const mismatches: string[] = [];
  const documented: string[] = [];
  list.forEach((entry, index) => {
    const [py, ts] = sides.map(({ box, results }) => {
      const ran = results[index];
      return {
        code: ran.code,
        stdout: normalize(ran.stdout, box.home, kognic),
        stderr: normalize(ran.stderr, box.home, kognic),
      };
    });
    if (Object.hasOwn(HINTED, entry.name) && ts.stderr.startsWith(py.stderr)) {
      // Python's lines unchanged, then the hint: the rest must be exactly that one line.
      const extra = ts.stderr.slice(py.stderr.length);
      if (py.code === ts.code && py.stdout === ts.stdout && HINTED[entry.name].test(extra)) return;
    }
    if (py.code === ts.code && py.stdout === ts.stdout && py.stderr === ts.stderr) return;
    const text = `${entry.name} (${entry.tool} ${entry.args.join(" ")}):\n` +
      `  python: ${JSON.stringify(py)}\n  ours:   ${JSON.stringify(ts)}`;
    (Object.hasOwn(DOCUMENTED, entry.name) ? documented : mismatches).push(text);
  });
  return { mismatches, documented };
}

const NEEDS = { needs: ["subprocess", "sockets", "fs", "python"] as const, timeout: 180_000 };

test(
  "cli interop: kog and kognic-auth print what Kognic's Python tools print, 300-odd invocations",
  async () => {
    await withWorld(async ({ kognic, url, python, ours }) => {
      const list = invocations();
      assert.ok(list.length >= 150, `${list.length} invocations`);
      const { python: interpreter, env: oracleEnv } = oracle();
      const [ourCommand, ourArgs] = entryCommand(repoPath("tests/support/cli_driver.ts"));
      const sides = [
        {
          box: python,
          results: await driver(
            interpreter,
            [repoPath("tests/support/cli_driver.py")],
            { ...python.env, ...oracleEnv },
            prepared(list, python.home, url),
          ),
        },
        {
          box: ours,
          results: await driver(ourCommand, ourArgs, ours.env, prepared(list, ours.home, url)),
        },
      ];
      const { mismatches, documented } = compare(list, kognic, sides);
      if (process.env.KOGNIC_CLI_INTEROP_REPORT === "2") {
        // deno-lint-ignore no-console
        console.log(documented.join("\n"));
      }
      if (process.env.KOGNIC_CLI_INTEROP_REPORT) {
        // deno-lint-ignore no-console
        console.log(
          `cli interop: ${list.length} invocations, ${
            list.length - mismatches.length - documented.length
          } identical, ${documented.length} documented differences, ${mismatches.length} undocumented`,
        );
      }
      assert.equal(mismatches.length, 0, `Undocumented differences:\n${mismatches.join("\n")}`);
    });
  },
  NEEDS,
);

test(
  "cli interop: the real entry points as subprocesses exit, print and flush as Python's do",
  async () => {
    await withWorld(async ({ kognic, url, python, ours }) => {
      const list = invocations().filter((entry) =>
        [
          "kog items as table",
          "kog unicode as csv",
          "kog GET in capitals",
          "error message",
          "kog --help",
          "kognic-auth no arguments",
          "get-access-token --env local --decode",
          "credentials put without file",
        ].includes(entry.name)
      );
      assert.equal(list.length, 8);
      const { python: interpreter, env: oracleEnv } = oracle();
      const pythonResults: Ran[] = [];
      const ourResults: Ran[] = [];
      for (const entry of prepared(list, python.home, url)) {
        const program = entry.tool === "kog"
          ? "from kognic.auth.cli.api_request import main; main()"
          : "import sys; from kognic.auth.cli import main; sys.exit(main())";
        pythonResults.push(
          await runProgram(interpreter, ["-c", program, ...entry.args], {
            env: { ...python.env, ...oracleEnv },
          }),
        );
      }
      for (const entry of prepared(list, ours.home, url)) {
        ourResults.push(await ours.run(entry.tool, entry.args));
      }
      const { mismatches } = compare(list, kognic, [
        { box: python, results: pythonResults },
        { box: ours, results: ourResults },
      ]);
      assert.equal(mismatches.length, 0, `Differences:\n${mismatches.join("\n")}`);
    });
  },
  NEEDS,
);

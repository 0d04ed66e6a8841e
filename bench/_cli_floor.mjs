// The floor of a cached-token command on the runtime that runs this file (bench/cli.ts
// `--floor`): what any program doing the same I/O pays, without this package. Given the
// arguments of `kog get URL …`, it reads the token cache file, sends one request with the
// first token in it and writes the answer's body to standard output; given those of
// `kognic-auth get-access-token …`, it reads the token cache file and writes the token. Each
// runtime's own file and output APIs, as the commands use them; plain JavaScript (no types to
// strip). Bench-only code.
const { Deno, Bun } = globalThis;
const env = (name) => Deno ? Deno.env.get(name) : globalThis.process.env[name];
const args = Deno ? Deno.args : globalThis.process.argv.slice(2);
const path = `${env("XDG_CACHE_HOME")}/kognic-auth/tokens.json`;
const text = Deno
  ? await Deno.readTextFile(path)
  : Bun
  ? await Bun.file(path).text()
  : await (await import("node:fs/promises")).readFile(path, "utf8");
const token = Object.values(JSON.parse(text))[0].access_token;
let out = `${token}\n`;
if (args[0] === "get") {
  const response = await fetch(args[1], { headers: { Authorization: `Bearer ${token}` } });
  out = `${await response.text()}\n`;
}
if (Deno) {
  let bytes = new TextEncoder().encode(out);
  while (bytes.length > 0) bytes = bytes.subarray(await Deno.stdout.write(bytes));
} else if (Bun) await Bun.write(Bun.stdout, out);
else await new Promise((resolve) => globalThis.process.stdout.write(out, resolve));

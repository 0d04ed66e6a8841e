// The command-line parser of `kognic-auth` and `kog`: the subset of Python's argparse that the
// Python tools use, with argparse's behaviour and texts, so that both tools accept the same
// command lines, refuse the same ones with the same message and exit code 2, and print the same
// help byte for byte (argparse's layout and line wrapping, Python 3.11).

/** An argument of a command: an option (`names` start with `-`) or a positional. */
export interface ArgSpec {
  /** Option spellings such as `["-d", "--data"]`, or `[]` for a positional. */
  names: string[];
  /** The key of its value in the result (argparse's `dest`). */
  key: string;
  /** `flag`: no value; `value`: one value; `append`: one value, repeatable; `many`: one or more. */
  kind: "flag" | "value" | "append" | "many";
  /** The name shown in usage and help; default the key in upper case (options) or the key. */
  metavar?: string;
  /** The help text. */
  help?: string;
  /** The allowed values. */
  choices?: readonly string[];
}

/** A command with subcommands: `{a,b} ...` (argparse's `add_subparsers`). */
export interface Commands {
  /** The key of the chosen command (argparse's `dest`, shown in errors). */
  key: string;
  /** The help of the `{a,b}` entry. */
  help?: string;
  /** The subcommands in order, with their help. */
  parsers: { parser: Parser; help: string }[];
}

/** How a parser is described. */
export interface ParserInit {
  /** The program name in usage and errors. */
  prog: string;
  /** The text after the usage. */
  description?: string;
  /** Positionals and options, in the order they were added (help comes first by itself). */
  args: ArgSpec[];
  /** Subcommands, after the positionals. */
  commands?: Commands;
}

/** A refused command line: printed as usage plus `PROG: error: MESSAGE`, exit code 2. */
export class UsageError extends Error {
  readonly parser: Parser;
  constructor(parser: Parser, message: string) {
    super(message);
    this.parser = parser;
  }
}

/** `-h`/`--help` was given: print that parser's help and exit 0. */
export class HelpRequest extends Error {
  readonly parser: Parser;
  constructor(parser: Parser) {
    super("help");
    this.parser = parser;
  }
}

/** The parsed command line. */
export interface Parsed {
  /** Values by key: `true` for flags, a string, or a string array. */
  options: Record<string, string | string[] | boolean | undefined>;
  /** The chosen subcommand and its own result, if the parser has subcommands. */
  command?: { name: string; parsed: Parsed };
}

const HELP: ArgSpec = {
  names: ["-h", "--help"],
  key: "help",
  kind: "flag",
  help: "show this help message and exit",
};

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

const isOption = (spec: ArgSpec) => spec.names.length > 0;

/** An argparse parser for one command. */
export class Parser {
  readonly prog: string;
  readonly description?: string;
  readonly args: ArgSpec[];
  readonly commands?: Commands;

  constructor(init: ParserInit) {
    this.prog = init.prog;
    this.description = init.description;
    this.args = [HELP, ...init.args];
    this.commands = init.commands;
  }

  private metavar(spec: ArgSpec): string {
    if (spec.metavar) return spec.metavar;
    if (spec.choices) return `{${spec.choices.join(",")}}`;
    return isOption(spec) ? spec.key.toUpperCase() : spec.key;
  }

  private valuePart(spec: ArgSpec): string {
    const metavar = this.metavar(spec);
    if (spec.kind === "flag") return "";
    return spec.kind === "many" ? ` ${metavar} [${metavar} ...]` : ` ${metavar}`;
  }

  private commandsMetavar(): string {
    return `{${this.commands!.parsers.map(({ parser }) => this.subName(parser)).join(",")}}`;
  }

  private subName(parser: Parser): string {
    return parser.prog.slice(this.prog.length + 1);
  }

  /** The usage text without `usage: ` (argparse's wrapping at `width`). */
  usage(width: number): string {
    const optionals = this.args.filter(isOption).map((spec) =>
      `[${spec.names[0]}${this.valuePart(spec)}]`
    );
    const positionals = this.args.filter((spec) => !isOption(spec)).map((spec) =>
      this.metavar(spec)
    );
    if (this.commands) positionals.push(this.commandsMetavar(), "...");
    const prefix = "usage: ";
    const full = [this.prog, ...optionals, ...positionals].join(" ");
    if (prefix.length + full.length <= width) return full;
    const lines = (parts: string[], indent: string, first?: string) => {
      const out: string[] = [];
      let line: string[] = [];
      let length = first !== undefined ? first.length - 1 : indent.length - 1;
      for (const part of parts) {
        if (length + 1 + part.length > width && line.length) {
          out.push(indent + line.join(" "));
          line = [];
          length = indent.length - 1;
        }
        line.push(part);
        length += part.length + 1;
      }
      if (line.length) out.push(indent + line.join(" "));
      if (first !== undefined) out[0] = out[0].slice(indent.length);
      return out;
    };
    const indent = " ".repeat(prefix.length + this.prog.length + 1);
    if (prefix.length + this.prog.length <= 0.75 * width) {
      if (optionals.length) {
        return [
          ...lines([this.prog, ...optionals], indent, prefix),
          ...lines(positionals, indent),
        ].join("\n");
      }
      return lines([this.prog, ...positionals], indent, prefix).join("\n");
    }
    const small = " ".repeat(prefix.length);
    return [this.prog, ...lines([...optionals, ...positionals], small)].join("\n");
  }

  /** The `-h` text, byte for byte as argparse formats it for a terminal `columns` wide. */
  help(columns: number): string {
    const width = columns - 2;
    const maxHelp = Math.min(24, Math.max(width - 20, 4));
    interface Item {
      header: string;
      help?: string;
      indent: number;
      subs?: Item[];
    }
    const invocation = (spec: ArgSpec) =>
      isOption(spec)
        ? spec.names.map((name) => name + this.valuePart(spec)).join(", ")
        : this.metavar(spec);
    const positionals: Item[] = this.args.filter((spec) => !isOption(spec)).map((spec) => ({
      header: invocation(spec),
      help: spec.help,
      indent: 2,
    }));
    if (this.commands) {
      positionals.push({
        header: this.commandsMetavar(),
        help: this.commands.help,
        indent: 2,
        subs: this.commands.parsers.map(({ parser, help }) => ({
          header: this.subName(parser),
          help,
          indent: 4,
        })),
      });
    }
    const options: Item[] = this.args.filter(isOption).map((spec) => ({
      header: invocation(spec),
      help: spec.help,
      indent: 2,
    }));
    let longest = 0;
    for (const item of [...positionals, ...options]) {
      for (const header of [item.header, ...(item.subs ?? []).map((sub) => sub.header)]) {
        longest = Math.max(longest, header.length + 2);
      }
    }
    const position = Math.min(longest + 2, maxHelp);
    const helpWidth = Math.max(width - position, 11);
    const format = (item: Item): string => {
      const headerWidth = position - item.indent - 2;
      const pad = " ".repeat(item.indent);
      let out: string;
      let first = 0;
      if (!item.help) out = `${pad}${item.header}\n`;
      else if (item.header.length <= headerWidth) {
        out = `${pad}${item.header.padEnd(headerWidth)}  `;
      } else {
        out = `${pad}${item.header}\n`;
        first = position;
      }
      if (item.help) {
        const [head, ...rest] = wrap(item.help, helpWidth);
        out += `${" ".repeat(first)}${head}\n`;
        for (const line of rest) out += `${" ".repeat(position)}${line}\n`;
      }
      return out + (item.subs ?? []).map(format).join("");
    };
    const sections: string[] = [];
    if (this.description) sections.push(`${wrap(this.description, width).join("\n")}\n`);
    if (positionals.length) {
      sections.push(`positional arguments:\n${positionals.map(format).join("")}`);
    }
    sections.push(`options:\n${options.map(format).join("")}`);
    return `usage: ${this.usage(width)}\n\n${sections.join("\n")}`;
  }

  /** Parses `args` (without the program name); throws {@linkcode UsageError}/{@linkcode HelpRequest}. */
  parse(args: readonly string[]): Parsed {
    const extras: string[] = [];
    const parsed = this.parseKnown(args, extras);
    if (extras.length) throw new UsageError(this, `unrecognized arguments: ${extras.join(" ")}`);
    return parsed;
  }

  /** The option `arg` is (`spec` absent: an unknown one), or `null` for a positional. */
  private optionFor(arg: string): { spec?: ArgSpec; name: string; inline?: string } | null {
    if (!arg.startsWith("-") || arg === "-") return null;
    const options = this.args.filter(isOption);
    const exact = options.find((spec) => spec.names.includes(arg));
    if (exact) return { spec: exact, name: arg };
    const equals = arg.indexOf("=");
    if (equals > 0) {
      const name = arg.slice(0, equals);
      const spec = options.find((candidate) => candidate.names.includes(name));
      if (spec) return { spec, name, inline: arg.slice(equals + 1) };
    }
    const matches: { spec: ArgSpec; name: string; inline?: string }[] = [];
    if (arg.startsWith("--")) {
      const [prefix, inline] = equals > 0 ? [arg.slice(0, equals), arg.slice(equals + 1)] : [arg];
      for (const spec of options) {
        for (const name of spec.names) {
          if (name.startsWith(prefix)) matches.push({ spec, name, inline });
        }
      }
    } else {
      for (const spec of options) {
        for (const name of spec.names) {
          if (name === arg.slice(0, 2)) matches.push({ spec, name, inline: arg.slice(2) });
          else if (name.startsWith(arg)) matches.push({ spec, name });
        }
      }
    }
    if (matches.length > 1) {
      throw new UsageError(
        this,
        `ambiguous option: ${equals > 0 && arg.startsWith("--") ? arg.slice(0, equals) : arg}` +
          ` could match ${matches.map((match) => match.name).join(", ")}`,
      );
    }
    if (matches.length === 1) return matches[0];
    if (/^-\d+$|^-\d*\.\d+$/.test(arg)) return null;
    if (arg.includes(" ")) return null;
    return { name: arg };
  }

  private parseKnown(args: readonly string[], extras: string[]): Parsed {
    const options: Parsed["options"] = {};
    const positionalSpecs = this.args.filter((spec) => !isOption(spec));
    let next = 0;
    let command: Parsed["command"];
    const label = (spec: ArgSpec) => isOption(spec) ? spec.names.join("/") : this.metavar(spec);
    const check = (spec: ArgSpec, value: string) => {
      if (spec.choices && !spec.choices.includes(value)) {
        throw new UsageError(
          this,
          `argument ${label(spec)}: invalid choice: ${pyRepr(value)} (choose from ${
            spec.choices.map(pyRepr).join(", ")
          })`,
        );
      }
      return value;
    };
    let dashes = false;
    const kinds = args.map((arg) => {
      if (dashes) return "A";
      if (arg === "--") {
        dashes = true;
        return "-";
      }
      return this.optionFor(arg) ? "O" : "A";
    });
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (kinds[i] === "-") continue;
      if (kinds[i] === "A") {
        if (next < positionalSpecs.length) {
          const spec = positionalSpecs[next++];
          options[spec.key] = check(spec, arg);
          continue;
        }
        if (this.commands) {
          const key = this.commands.key;
          const chosen = this.commands.parsers.find(({ parser }) => this.subName(parser) === arg);
          if (!chosen) {
            throw new UsageError(
              this,
              `argument ${key}: invalid choice: ${pyRepr(arg)} (choose from ${
                this.commands.parsers.map(({ parser }) => pyRepr(this.subName(parser))).join(", ")
              })`,
            );
          }
          const rest = args.slice(i + 1).filter((_, index) => kinds[i + 1 + index] !== "-");
          command = { name: arg, parsed: chosen.parser.parseKnown(rest, extras) };
          break;
        }
        extras.push(arg);
        continue;
      }
      let { spec, name, inline } = this.optionFor(arg)!;
      if (!spec) {
        extras.push(arg);
        continue;
      }
      while (spec.kind === "flag" && inline !== undefined && inline !== "") {
        if (spec === HELP) throw new HelpRequest(this);
        options[spec.key] = true;
        const short = name[0] + inline[0];
        const more = this.args.find((candidate) => candidate.names.includes(short));
        if (!more || name.startsWith("--")) {
          throw new UsageError(
            this,
            `argument ${label(spec)}: ignored explicit argument ${pyRepr(inline)}`,
          );
        }
        spec = more;
        name = short;
        inline = inline.slice(1) || undefined;
      }
      if (spec.kind === "flag") {
        if (inline !== undefined) {
          throw new UsageError(
            this,
            `argument ${label(spec)}: ignored explicit argument ${pyRepr(inline)}`,
          );
        }
        if (spec === HELP) throw new HelpRequest(this);
        options[spec.key] = true;
        continue;
      }
      const values: string[] = inline !== undefined ? [inline] : [];
      if (inline === undefined) {
        while (i + 1 < args.length && kinds[i + 1] === "A") {
          values.push(args[++i]);
          if (spec.kind !== "many") break;
        }
      }
      if (values.length === 0) {
        throw new UsageError(
          this,
          `argument ${label(spec)}: expected ${
            spec.kind === "many" ? "at least one argument" : "one argument"
          }`,
        );
      }
      values.forEach((value) => check(spec, value));
      if (spec.kind === "many") options[spec.key] = values;
      else if (spec.kind === "append") {
        options[spec.key] = [...(options[spec.key] as string[] | undefined ?? []), values[0]];
      } else options[spec.key] = values[0];
    }
    if (next < positionalSpecs.length) {
      throw new UsageError(
        this,
        `the following arguments are required: ${
          positionalSpecs.slice(next).map((spec) => this.metavar(spec)).join(", ")
        }`,
      );
    }
    return { options, command };
  }
}

/** The terminal width argparse uses: `COLUMNS`, else the terminal's, else 80. */
export function terminalColumns(env: string | undefined, terminal: number | undefined): number {
  const columns = Number(env);
  if (env && Number.isInteger(columns) && columns > 0) return columns;
  return terminal ?? 80;
}

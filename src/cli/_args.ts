// The command-line parser of `kognic-auth` and `kog`: the subset of Python's argparse that the
// Python tools use, with argparse's behaviour and texts, so that both tools accept the same
// command lines, refuse the same ones with the same message and exit code 2, and print the same
// help byte for byte (argparse's layout and line wrapping, Python 3.11).

import { pyRepr } from "./_python.ts";
import { KognicAuthError } from "../errors.ts";

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

/** Whether an argument is an option (`--name`) rather than a positional. */
export const isOption = (spec: ArgSpec): boolean => spec.names.length > 0;

/** The placeholder of an argument's value in usage and help. */
export function metavar(spec: ArgSpec): string {
  if (spec.metavar) return spec.metavar;
  if (spec.choices) return `{${spec.choices.join(",")}}`;
  return isOption(spec) ? spec.key.toUpperCase() : spec.key;
}

/** The name of a subcommand's parser: its `prog` less the parent's. */
export function subName(self: Parser, parser: Parser): string {
  return parser.prog.slice(self.prog.length + 1);
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

/**
 * A refused command line (code `CLI_USAGE`): printed as usage plus `PROG: error: MESSAGE`, exit
 * code 2.
 */
export class UsageError extends KognicAuthError {
  readonly parser: Parser;
  constructor(parser: Parser, message: string) {
    super("CLI_USAGE", message, { source: parser.prog });
    this.parser = parser;
  }
}

/** `-h`/`--help` was given: print that parser's help and exit 0. Not a failure. */
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
    const label = (spec: ArgSpec) => isOption(spec) ? spec.names.join("/") : metavar(spec);
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
          const chosen = this.commands.parsers.find(({ parser }) => subName(this, parser) === arg);
          if (!chosen) {
            throw new UsageError(
              this,
              `argument ${key}: invalid choice: ${pyRepr(arg)} (choose from ${
                this.commands.parsers.map(({ parser }) => pyRepr(subName(this, parser))).join(", ")
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
          positionalSpecs.slice(next).map((spec) => metavar(spec)).join(", ")
        }`,
      );
    }
    return { options, command };
  }
}

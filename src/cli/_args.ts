// A small argparse-like command-line parser: `--name value`, `--name=value`, `-xvalue`,
// repeatable options, options taking one or more values, `--` and choices.

/** An option of a command. */
export interface OptionSpec {
  /** Its spellings, such as `["-d", "--data"]`. */
  names: string[];
  /** The key of its value in the result. */
  key: string;
  /** `flag`: no value; `value`: one value; `append`: one value, repeatable; `many`: one or more. */
  kind: "flag" | "value" | "append" | "many";
  /** The allowed values. */
  choices?: readonly string[];
}

/** A mistake on the command line; the CLI prints it and exits with 1. */
export class UsageError extends Error {}

/** The parsed command line. */
export interface Parsed {
  /** Option values by key: `true` for flags, a string, or a string array. */
  options: Record<string, string | string[] | boolean | undefined>;
  /** The positional arguments. */
  positionals: string[];
}

const quoteChoice = (value: string) => `'${value}'`;

/** Parses `args` against `specs`; positionals are collected in order. */
export function parseArgs(args: readonly string[], specs: readonly OptionSpec[]): Parsed {
  const options: Parsed["options"] = {};
  const positionals: string[] = [];
  const find = (name: string) => specs.find((spec) => spec.names.includes(name));
  const isOption = (arg: string) => arg.startsWith("-") && arg !== "-" && !/^-\d/.test(arg);
  const check = (spec: OptionSpec, value: string) => {
    if (spec.choices && !spec.choices.includes(value)) {
      throw new UsageError(
        `argument ${spec.names.join("/")}: invalid choice: ${quoteChoice(value)} (choose from ${
          spec.choices.map(quoteChoice).join(", ")
        })`,
      );
    }
    return value;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!isOption(arg)) {
      positionals.push(arg);
      continue;
    }
    let name = arg;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const equals = arg.indexOf("=");
      if (equals > 0) [name, inline] = [arg.slice(0, equals), arg.slice(equals + 1)];
    } else if (arg.length > 2) {
      [name, inline] = [arg.slice(0, 2), arg.slice(2)];
    }
    const spec = find(name);
    if (!spec) throw new UsageError(`unrecognized arguments: ${arg}`);
    const label = spec.names.join("/");
    if (spec.kind === "flag") {
      if (inline !== undefined) {
        throw new UsageError(`argument ${label}: ignored explicit argument '${inline}'`);
      }
      options[spec.key] = true;
      continue;
    }
    if (spec.kind === "many") {
      const values = inline !== undefined ? [inline] : [];
      while (i + 1 < args.length && !isOption(args[i + 1])) values.push(args[++i]);
      if (values.length === 0) {
        throw new UsageError(`argument ${label}: expected at least one argument`);
      }
      options[spec.key] = values.map((value) => check(spec, value));
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= args.length || isOption(args[i + 1])) {
        throw new UsageError(`argument ${label}: expected one argument`);
      }
      value = args[++i];
    }
    check(spec, value);
    if (spec.kind === "append") {
      options[spec.key] = [...(options[spec.key] as string[] | undefined ?? []), value];
    } else {
      options[spec.key] = value;
    }
  }
  return { options, positionals };
}

// The help layout of the command-line parser: argparse's usage line and `-h` text, byte for
// byte as Python 3.11 formats them (its wrapping and column rules). Apart from the parser, which
// only reads command lines: loaded only to print help or a refused command line's usage.
import { type ArgSpec, isOption, metavar, type Parser, subName } from "./_args.ts";
import { wrap } from "./_python.ts";

function valuePart(spec: ArgSpec): string {
  const value = metavar(spec);
  if (spec.kind === "flag") return "";
  return spec.kind === "many" ? ` ${value} [${value} ...]` : ` ${value}`;
}

function commandsMetavar(self: Parser): string {
  return `{${self.commands!.parsers.map(({ parser }) => subName(self, parser)).join(",")}}`;
}

/** The usage text without `usage: ` (argparse's wrapping at `width`). */
export function usage(self: Parser, width: number): string {
  const optionals = self.args.filter(isOption).map((spec) =>
    `[${spec.names[0]}${valuePart(spec)}]`
  );
  const positionals = self.args.filter((spec) => !isOption(spec)).map((spec) => metavar(spec));
  if (self.commands) positionals.push(commandsMetavar(self), "...");
  const prefix = "usage: ";
  const full = [self.prog, ...optionals, ...positionals].join(" ");
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
  const indent = " ".repeat(prefix.length + self.prog.length + 1);
  if (prefix.length + self.prog.length <= 0.75 * width) {
    if (optionals.length) {
      return [
        ...lines([self.prog, ...optionals], indent, prefix),
        ...lines(positionals, indent),
      ].join("\n");
    }
    return lines([self.prog, ...positionals], indent, prefix).join("\n");
  }
  const small = " ".repeat(prefix.length);
  return [self.prog, ...lines([...optionals, ...positionals], small)].join("\n");
}

/** The `-h` text, byte for byte as argparse formats it for a terminal `columns` wide. */
export function help(self: Parser, columns: number): string {
  const width = columns - 2;
  const maxHelp = Math.min(24, Math.max(width - 20, 4));
  interface Item {
    header: string;
    help?: string;
    indent: number;
    subs?: Item[];
  }
  const invocation = (spec: ArgSpec) =>
    isOption(spec) ? spec.names.map((name) => name + valuePart(spec)).join(", ") : metavar(spec);
  const positionals: Item[] = self.args.filter((spec) => !isOption(spec)).map((spec) => ({
    header: invocation(spec),
    help: spec.help,
    indent: 2,
  }));
  if (self.commands) {
    positionals.push({
      header: commandsMetavar(self),
      help: self.commands.help,
      indent: 2,
      subs: self.commands.parsers.map(({ parser, help }) => ({
        header: subName(self, parser),
        help,
        indent: 4,
      })),
    });
  }
  const options: Item[] = self.args.filter(isOption).map((spec) => ({
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
  if (self.description) sections.push(`${wrap(self.description, width).join("\n")}\n`);
  if (positionals.length) {
    sections.push(`positional arguments:\n${positionals.map(format).join("")}`);
  }
  sections.push(`options:\n${options.map(format).join("")}`);
  return `usage: ${usage(self, width)}\n\n${sections.join("\n")}`;
}

// A bare start (bench/cli.ts `--floor`): a module that does nothing. Bench-only code.

// What every CLI shares: where its input comes from, how errors become exit
// codes, and the runtime quirks (Deno's `deno task` runs in the deno.json folder).
import { createReadStream } from 'node:fs';
import process from 'node:process';
import { PipekitError, UsageError } from './errors.ts';
import { findShort, helpText, parseFlags, type FlagSpecs, type ParseOptions, type Parsed } from './flags.ts';
import { onStdoutStream, writeStdout } from './stdout.ts';
import { stdinDirect } from './stdin.ts';

/** The workspace's version (every package.json says the same), for --version. */
export const VERSION = '0.1.0';

export const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';

/** `deno task x` runs in the folder of deno.json; the user's folder is in INIT_CWD. */
export function enterCallerDir(): void {
  const init = process.env.INIT_CWD;
  if (isDeno && init && init !== process.cwd()) process.chdir(init);
}

/** Open FILE, or stdin for undefined/'-'; refuse to wait on a terminal. */
export function openInput(file: string | undefined, what: string): AsyncIterable<Uint8Array> {
  if (file && file !== '-') return createReadStream(file);
  const direct = stdinDirect();
  if (direct) return direct;
  if (process.stdin.isTTY) {
    throw new UsageError(`refusing to read ${what} from a terminal: pipe it in, or name a file`);
  }
  return process.stdin as AsyncIterable<Uint8Array>;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const pretty = (err as { pretty?: () => string }).pretty;
    return typeof pretty === 'function' ? pretty.call(err) : err.message;
  }
  return String(err);
}

/** Run a CLI main: print `name: message` on failure and exit with the error's code. */
export async function runCli(name: string, main: () => Promise<number | void>): Promise<void> {
  onStdoutStream((s) =>
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
    }),
  );
  try {
    enterCallerDir();
    const code = await main();
    process.exitCode = code ?? 0;
  } catch (err) {
    const code = err instanceof PipekitError ? err.exitCode : 1;
    process.stderr.write(`${name}: ${errorMessage(err)}\n`);
    if (process.env.PIPEKIT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = code;
  }
}

/**
 * Flags of a one-command tool; prints the help or the version (and returns
 * undefined) when that is what was asked.
 */
export async function cliArgs(args: string[], usage: string, specs: FlagSpecs, opts: ParseOptions = {}): Promise<Parsed | undefined> {
  const r = parseFlags(args, specs, opts);
  if (r.kind === 'help') await writeStdout(helpText(usage, specs));
  else if (r.kind === 'version') await writeStdout(`${VERSION}\n`);
  else return r;
  return undefined;
}

export type CommandSpec = {
  describe: string;
  /** positionals: `<ref>` one required, `[file]` one optional, '' none */
  args?: string;
  flags?: FlagSpecs;
};

/** The command a tool with subcommands was given: its name, flags (global ones too) and positionals. */
export async function commandArgs(
  args: string[], usage: string, global: FlagSpecs, commands: Record<string, CommandSpec>,
): Promise<({ command: string } & Parsed) | undefined> {
  // the command is the first word that is not a flag's value
  const at = args.findIndex((a, i) => commands[a] !== undefined && !takesValue(global, args[i - 1]));
  const summary = Object.fromEntries(Object.entries(commands).map(([c, s]) => [`${c}${s.args ? ` ${s.args}` : ''}`, s.describe]));
  if (at < 0) {
    const r = parseFlags(args, global);
    if (r.kind === 'help') return void (await writeStdout(helpText(usage, global, summary)));
    if (r.kind === 'version') return void (await writeStdout(`${VERSION}\n`));
    const names = Object.keys(commands).join(', ');
    throw new UsageError(r.positionals.length ? `unknown command ${JSON.stringify(r.positionals[0])}: name one of ${names}` : `name a command: ${names}`);
  }
  const command = args[at];
  const spec = commands[command];
  const specs = { ...global, ...spec.flags };
  const name = usage.split(/\s/)[0];
  const parsed = await cliArgs([...args.slice(0, at), ...args.slice(at + 1)], `${name} ${command}${spec.args ? ` ${spec.args}` : ''}\n\n${spec.describe}`, specs);
  if (!parsed) return undefined;
  const want = spec.args ?? '';
  const max = want === '' ? 0 : 1;
  if (parsed.positionals.length > max) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(parsed.positionals[max])}`);
  if (want.startsWith('<') && parsed.positionals.length === 0) throw new UsageError(`${command}: missing ${want}`);
  return { command, ...parsed };
}

function takesValue(specs: FlagSpecs, token: string | undefined): boolean {
  if (!token?.startsWith('-') || token.includes('=')) return false;
  const name = token.startsWith('--') ? token.slice(2) : findShort(specs, token.slice(1));
  return name !== undefined && specs[name] !== undefined && specs[name].type !== 'boolean';
}

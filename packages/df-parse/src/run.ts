// df-parse as a library call: read the Dockerfile, convert it, return the
// NDJSON lines. Nothing is written until the whole graph converted, so a bad
// Dockerfile never leaves half a graph on stdout.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { Store } from '@pipekit/cas-store';
import { hostPlatform, NotFoundError, parsePlatform, toNdjsonLine, UsageError } from '@pipekit/wire';
import { convertDockerfile } from './convert/convert.ts';

export type ParseCommand = {
  /** Dockerfile path, or '-' for stdin */
  file: string;
  readStdin: () => Promise<string>;
  contextDir?: string;
  target?: string;
  buildArgs?: string[];
  platform?: string;
  store?: string;
  insecureRegistries?: string[];
  warn?: (msg: string) => void;
};

export function parseBuildArgs(list: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of list) {
    const eq = a.indexOf('=');
    if (eq === 0) throw new UsageError(`invalid --build-arg ${JSON.stringify(a)}: expected KEY=VALUE or KEY`);
    if (eq < 0) {
      // bare KEY takes its value from the environment, as docker build does
      const v = process.env[a];
      if (v !== undefined) out.set(a, v);
    } else out.set(a.slice(0, eq), a.slice(eq + 1));
  }
  return out;
}

async function readDockerignore(contextDir: string, file: string): Promise<string[]> {
  const candidates = file === '-' ? [] : [`${file}.dockerignore`];
  candidates.push(path.join(contextDir, '.dockerignore'));
  for (const c of candidates) {
    const text = await fs.readFile(c, 'utf8').catch(() => undefined);
    if (text !== undefined) return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  }
  return [];
}

function createdTime(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString().replace('.000Z', 'Z');
  return new Date().toISOString();
}

export async function runParse(cmd: ParseCommand): Promise<string> {
  let text: string;
  if (cmd.file === '-') text = await cmd.readStdin();
  else {
    text = await fs.readFile(cmd.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message;
      throw new NotFoundError(`cannot read Dockerfile ${cmd.file}: ${why}`, { cause: err });
    });
  }
  const contextDir = path.resolve(cmd.contextDir ?? '.');
  const st = await fs.stat(contextDir).catch(() => undefined);
  if (!st?.isDirectory()) throw new NotFoundError(`build context ${contextDir} is not a directory`);
  const store = await Store.open(cmd.store);
  const { records, warnings } = await convertDockerfile({
    file: cmd.file === '-' ? 'Dockerfile' : path.basename(cmd.file),
    text,
    contextDir,
    target: cmd.target,
    buildArgs: parseBuildArgs(cmd.buildArgs ?? []),
    platform: cmd.platform ? parsePlatform(cmd.platform) : hostPlatform(),
    buildPlatform: hostPlatform(),
    store,
    insecureRegistries: cmd.insecureRegistries,
    created: createdTime(),
    excludePatterns: await readDockerignore(contextDir, cmd.file),
  });
  for (const w of warnings) cmd.warn?.(w);
  return records.map(toNdjsonLine).join('');
}

// df-parse as a library call: read the Dockerfile (and its .dockerignore),
// convert it, return the output text. Nothing is written until the whole graph
// converted, so a bad Dockerfile never leaves half a graph on stdout.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { resolveImage, Store } from '@pipekit/cas-store';
import { hostPlatform, NotFoundError, parsePlatform, toNdjsonLine, UsageError, type Platform } from '@pipekit/wire';
import type { ImageResolver } from './convert/context.ts';
import { convertDockerfile } from './convert/convert.ts';
import { parseDockerignore } from './convert/dockerignore-file.ts';
import { toDot } from './convert/dot.ts';
import { parseNamedContexts } from './convert/named-context.ts';

export type ParseCommand = {
  /** Dockerfile path, or '-' for stdin */
  file: string;
  readStdin: () => Promise<string>;
  contextDir?: string;
  target?: string;
  buildArgs?: string[];
  /** `os/arch[/variant]`, comma-separated for several */
  platform?: string;
  buildContexts?: string[];
  format?: string;
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

// Small files read synchronously: the async fs API would load its module and
// start the thread pool, ~2 ms at the head of every pipe.
function readMaybe(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** `<Dockerfile>.dockerignore` beside the Dockerfile wins over the context's `.dockerignore`. */
async function readDockerignore(contextDir: string, file: string): Promise<string[]> {
  const candidates = file === '-' ? [] : [`${file}.dockerignore`];
  candidates.push(path.join(contextDir, '.dockerignore'));
  for (const c of candidates) {
    const text = readMaybe(c);
    if (text !== undefined) return parseDockerignore(text);
  }
  return [];
}

function epochSeconds(): number | undefined {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  return epoch && /^\d+$/.test(epoch) ? Number(epoch) : undefined;
}

function isoTime(epoch: number | undefined): string {
  if (epoch !== undefined) return new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
  return new Date().toISOString();
}

/** Base images from registries or OCI layouts, through the store (opened on first use). */
function storeResolver(storeDir: string | undefined, insecureRegistries: string[] | undefined): ImageResolver {
  let store: Promise<Store> | undefined;
  return async (ref: string, platform: Platform) => {
    store ??= Store.open(storeDir);
    const img = await resolveImage(await store, ref, platform, { insecureRegistries });
    const identifier = img.pinned.startsWith('oci-layout://') ? img.pinned : `docker-image://${img.pinned}`;
    return { pinned: img.pinned, identifier, config: img.config };
  };
}

export async function runParse(cmd: ParseCommand): Promise<string> {
  const format = cmd.format ?? 'ndjson';
  if (format !== 'ndjson' && format !== 'dot') throw new UsageError(`unknown --format ${JSON.stringify(format)}: expected ndjson or dot`);
  let text: string;
  if (cmd.file === '-') text = await cmd.readStdin();
  else {
    try {
      text = readFileSync(cmd.file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
      throw new NotFoundError(`cannot read Dockerfile ${cmd.file}: ${why}`, { cause: err });
    }
  }
  const contextDir = path.resolve(cmd.contextDir ?? '.');
  const st = statSync(contextDir, { throwIfNoEntry: false });
  if (!st?.isDirectory()) throw new NotFoundError(`build context ${contextDir} is not a directory`);
  const platforms = cmd.platform ? cmd.platform.split(',').filter((p) => p.trim() !== '').map(parsePlatform) : [hostPlatform()];
  if (platforms.length === 0) throw new UsageError('--platform needs at least one os/arch');
  const epoch = epochSeconds();
  const { records, warnings } = await convertDockerfile({
    file: cmd.file === '-' ? 'Dockerfile' : path.basename(cmd.file),
    text,
    contextDir,
    target: cmd.target,
    buildArgs: parseBuildArgs(cmd.buildArgs ?? []),
    platforms,
    platformExplicit: cmd.platform !== undefined,
    buildPlatform: hostPlatform(),
    created: isoTime(epoch),
    epoch,
    excludePatterns: await readDockerignore(contextDir, cmd.file),
    namedContexts: parseNamedContexts(cmd.buildContexts ?? [], process.cwd()),
    resolveImage: storeResolver(cmd.store, cmd.insecureRegistries),
  });
  for (const w of warnings) cmd.warn?.(w);
  return format === 'dot' ? toDot(records) : records.map(toNdjsonLine).join('');
}

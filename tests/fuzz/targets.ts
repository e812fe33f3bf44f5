// What the fuzzers feed: the Dockerfile parser + shell lexer (df-parse's front
// half) and the graph reader (llb-solve's input). A target may only throw its
// located error types; anything else, or a slow input, is a finding.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDockerfile, DockerfileSyntaxError } from '../../packages/df-parse/src/parser/index.ts';
import { ShellLex, ShellExpansionError } from '../../packages/df-parse/src/shell/index.ts';
import { readGraph, WireFormatError, opDigest, normalizeOp, toNdjsonLine } from '../../packages/wire/src/index.ts';
import { mutate, randomBytes, Rng } from './mutate.ts';

export type Finding = { target: string; seed: number; input: string; problem: string };

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
export const CONFORMANCE = process.env.CONFORMANCE_DIR ?? path.resolve(ROOT, '..', 'shared', 'conformance');

function walk(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (n === 'Dockerfile' || n.endsWith('.Dockerfile')) out.push(p);
  }
  return out;
}

export function dockerfileCorpus(): Uint8Array[] {
  return walk(CONFORMANCE).map((f) => readFileSync(f));
}

/** One parser run: ok, or a located DockerfileSyntaxError / ShellExpansionError. */
export function parseTarget(input: Uint8Array): string | undefined {
  try {
    const res = parseDockerfile(input, { file: 'Dockerfile' });
    const lex = new ShellLex(res.directives.escape);
    const env = (k: string) => (k === 'HOME' ? '/root' : undefined);
    for (const n of res.root.children) {
      for (const a of n.next) {
        try {
          lex.processWord(a.value, env);
        } catch (err) {
          if (!(err instanceof ShellExpansionError)) return `lexer threw ${(err as Error)?.name}: ${(err as Error)?.message}`;
        }
      }
    }
    return undefined;
  } catch (err) {
    if (err instanceof DockerfileSyntaxError) {
      if (!/^Dockerfile:\d+(:\d+)?: /.test(err.message)) return `syntax error without a location: ${err.message}`;
      return undefined;
    }
    return `parser threw ${(err as Error)?.name}: ${(err as Error)?.message}`;
  }
}

/** A small valid graph to mutate. */
export function seedGraph(): string {
  const src = normalizeOp({ inputs: [], platform: null, source: { identifier: 'local://context', attrs: { 'local.dir': '/tmp' } } });
  const s = { v: 1, type: 'op', digest: opDigest(src), op: src, meta: { name: 'ctx' } };
  const copy = normalizeOp({ inputs: [{ digest: s.digest, index: 0 }], platform: null, file: { actions: [{ input: -1, secondaryInput: 0, output: 0, copy: { src: '/a', dest: '/b' } }] } });
  const c = { v: 1, type: 'op', digest: opDigest(copy), op: copy, meta: { name: 'copy' } };
  const exec = normalizeOp({ inputs: [{ digest: c.digest, index: 0 }], platform: { os: 'linux', architecture: 'amd64', variant: '' }, exec: { meta: { args: ['/bin/sh', '-c', 'true'] }, mounts: [{ input: 0, dest: '/', output: 0, type: 'bind' }] } });
  const e = { v: 1, type: 'op', digest: opDigest(exec), op: exec, meta: { name: 'run' } };
  const result = { v: 1, type: 'result', target: '', platform: { os: 'linux', architecture: 'amd64', variant: '' }, input: { digest: e.digest, index: 0 }, config: { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] } };
  return [s, c, e, result].map(toNdjsonLine).join('');
}

export async function graphTarget(input: Uint8Array): Promise<string | undefined> {
  try {
    await readGraph((async function* () {
      yield input;
    })());
    return undefined;
  } catch (err) {
    if (err instanceof WireFormatError) return err.line > 0 || /no result record/.test(err.message) ? undefined : `wire error without a line: ${err.message}`;
    return `graph reader threw ${(err as Error)?.name}: ${(err as Error)?.message}`;
  }
}

export type FuzzStats = { iterations: number; findings: Finding[]; slowest: number };

/** Run both targets for `seconds` (or `iterations`), starting at `seed`. */
export async function fuzz(opts: { seconds: number; iterations?: number; seed: number; slowMs?: number }): Promise<FuzzStats> {
  const corpus = dockerfileCorpus();
  const graph = Buffer.from(seedGraph());
  const stats: FuzzStats = { iterations: 0, findings: [], slowest: 0 };
  const end = Date.now() + opts.seconds * 1000;
  for (let i = 0; (opts.iterations === undefined || i < opts.iterations) && Date.now() < end; i++) {
    const seed = opts.seed + i;
    const rng = new Rng(seed);
    const df = rng.next() < 0.1 ? randomBytes(rng) : mutate(rng, rng.pick(corpus), corpus);
    const gr = rng.next() < 0.1 ? randomBytes(rng) : mutate(rng, graph, [graph]);
    for (const [target, input, run] of [['parser', df, parseTarget], ['graph', gr, graphTarget]] as const) {
      const t0 = performance.now();
      const problem = await run(input);
      const ms = performance.now() - t0;
      stats.slowest = Math.max(stats.slowest, ms);
      const slow = ms > (opts.slowMs ?? 2000) ? `took ${ms.toFixed(0)} ms` : undefined;
      if (problem || slow) stats.findings.push({ target, seed, input: Buffer.from(input).toString('base64'), problem: problem ?? slow ?? '' });
    }
    stats.iterations++;
  }
  return stats;
}

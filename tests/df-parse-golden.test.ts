// Golden fixtures for the converter: tests/fixtures/df-parse/<case>/Dockerfile
// (+ optional options.json) is converted with stub base images, and the graph
// (one line per op, digests replaced by op numbers) plus each result's image
// config must equal <case>/expected. UPDATE_GOLDEN=1 rewrites the files; review
// the diff before committing.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertDockerfile } from '../packages/df-parse/src/convert/convert.ts';
import type { NamedContext } from '../packages/df-parse/src/convert/context.ts';
import { parseBuildArgs } from '../packages/df-parse/src/run.ts';
import { parsePlatform, type AnyRecord } from '../packages/wire/src/index.ts';
import { stubResolver } from './helpers/stub-images.ts';

const here = dirname(fileURLToPath(import.meta.url));
const DIR = join(here, 'fixtures', 'df-parse');

type Options = {
  target?: string;
  buildArgs?: string[];
  env?: Record<string, string>;
  platforms?: string[];
  images?: Record<string, Record<string, unknown>>;
  contexts?: Record<string, NamedContext>;
  dockerignore?: string[];
};

/** The graph as text: `#n name | kind {op json}` with input digests as #n. */
export function renderGraph(records: AnyRecord[]): string {
  const ids = new Map<string, string>();
  const out: string[] = [];
  const sub = (s: string) => s.replace(/sha256:[0-9a-f]{64}/g, (d) => ids.get(d) ?? d);
  for (const r of records) {
    if (r.type === 'op') {
      ids.set(r.digest, `#${ids.size}`);
      const kind = ['source', 'exec', 'file', 'merge', 'diff'].find((k) => k in r.op) as string;
      out.push(`${ids.get(r.digest)} ${JSON.stringify(r.meta.name)} stage=${JSON.stringify(r.meta.stage)}`);
      out.push(`   ${kind} ${sub(JSON.stringify({ inputs: r.op.inputs, platform: r.op.platform, ...{ [kind]: (r.op as Record<string, unknown>)[kind] } }))}`);
    } else if (r.type === 'result') {
      out.push(`result target=${JSON.stringify(r.target)} platform=${JSON.stringify(r.platform)} input=${r.input ? sub(r.input.digest) : 'null'}`);
      out.push(JSON.stringify(r.config, null, 2));
    }
  }
  return `${out.join('\n')}\n`;
}

for (const name of readdirSync(DIR).filter((n) => existsSync(join(DIR, n, 'Dockerfile'))).sort()) {
  test(name, async () => {
    const dir = join(DIR, name);
    const opts: Options = existsSync(join(dir, 'options.json')) ? JSON.parse(readFileSync(join(dir, 'options.json'), 'utf8')) : {};
    const saved = { ...process.env };
    Object.assign(process.env, opts.env ?? {});
    let buildArgs: Map<string, string>;
    try {
      buildArgs = parseBuildArgs(opts.buildArgs ?? []);
    } finally {
      for (const k of Object.keys(opts.env ?? {})) if (saved[k] === undefined) delete process.env[k];
    }
    const seen: string[] = [];
    const res = await convertDockerfile({
      file: 'Dockerfile', text: readFileSync(join(dir, 'Dockerfile'), 'utf8'), contextDir: '/ctx', target: opts.target, buildArgs,
      platforms: (opts.platforms ?? ['linux/amd64']).map(parsePlatform), platformExplicit: opts.platforms !== undefined,
      buildPlatform: parsePlatform('linux/amd64'), created: '2024-01-01T00:00:00Z', epoch: undefined,
      excludePatterns: opts.dockerignore ?? [], namedContexts: new Map(Object.entries(opts.contexts ?? {})),
      resolveImage: stubResolver(opts.images as never, seen),
    });
    const text = `${renderGraph(res.records)}warnings: ${JSON.stringify(res.warnings, null, 2)}\nimages resolved: ${JSON.stringify([...new Set(seen)].sort())}\n`;
    const file = join(dir, 'expected');
    if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, text);
    assert.fixture(text, readFileSync(file, 'utf8'));
  });
}

test.run();

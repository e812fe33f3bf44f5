// Black-box: a store kept inside the build context (`--store ./st`, or deeper)
// is never part of that context. Before, `COPY . /ctx` read the snapshot it
// was writing and copied it into itself until the heap ran out.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listFiles, sh, tempDir } from './helpers/cli.ts';

type Rawjson = { vertexes?: { name: string; cached?: boolean; completed?: string }[] };

/** Steps of a rawjson stream that ran rather than hit the cache. */
function ranSteps(stderr: string): string[] {
  const ran = new Set<string>();
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    for (const v of (JSON.parse(line) as Rawjson).vertexes ?? []) if (v.completed && !v.cached && !v.name.startsWith('[internal]')) ran.add(v.name);
  }
  return [...ran];
}

async function context(): Promise<string> {
  const ctx = await tempDir('store-ctx');
  await fs.writeFile(path.join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY . /ctx/\n');
  await fs.mkdir(path.join(ctx, 'src'));
  await fs.writeFile(path.join(ctx, 'src', 'a.txt'), 'a\n');
  return ctx;
}

for (const [rel, ignore] of [['st', ''], ['.cache/pipekit[1]/store', ''], ['.cache/st', '.*\n!.cache\n']]) {
  test(`a store at ${rel} inside the context is left out of COPY . and of its cache key${ignore ? ' (a .dockerignore re-includes its dir)' : ''}`, async () => {
    const ctx = await context();
    if (ignore) await fs.writeFile(path.join(ctx, '.dockerignore'), ignore);
    const out = await tempDir('store-out');
    try {
      // `timeout`: without the fix this build never ends
      const build = (dest: string) => sh(`timeout 60 df-parse Dockerfile --store '${rel}' | timeout 60 llb-solve --store '${rel}' --progress rawjson | export-oci -o type=local,dest=${dest}`, { cwd: ctx });
      const first = await build(path.join(out, 'one'));
      assert.is(first.code, 0, first.stderr);
      assert.equal(await listFiles(path.join(out, 'one')), ['ctx/Dockerfile', 'ctx/src/a.txt']);
      assert.equal(ranSteps(first.stderr), ['[1/1] COPY . /ctx/']);
      // the first build filled the store: the context's content is the same, so the COPY is cached
      const second = await build(path.join(out, 'two'));
      assert.is(second.code, 0, second.stderr);
      assert.equal(ranSteps(second.stderr), []);
      assert.equal(await listFiles(path.join(out, 'two')), ['ctx/Dockerfile', 'ctx/src/a.txt']);
    } finally {
      await fs.rm(ctx, { recursive: true, force: true });
      await fs.rm(out, { recursive: true, force: true });
    }
  });
}

test('a context that is the store itself is refused with a message that says so', async () => {
  const ctx = await context();
  try {
    const r = await sh(`df-parse Dockerfile --store . | timeout 60 llb-solve --store . --progress plain > /dev/null`, { cwd: ctx });
    assert.is.not(r.code, 0);
    assert.match(r.stderr, /build context \S+ is the store itself/);
    assert.equal(await fs.readdir(path.join(ctx, 'snapshots', 'tmp')).catch(() => []), [], 'no snapshot left half-written');
  } finally {
    await fs.rm(ctx, { recursive: true, force: true });
  }
});

test.run();

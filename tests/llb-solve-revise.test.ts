// A COPY that runs again because a few files of its source changed revises its
// previous layer instead of copying everything again (ops/patch-previous.ts).
// One behaviour, many changes: after each, the layer and the tree a RUN sees are
// exactly those of a cold build of the same context in an empty store, and the
// cases the revision does not cover still build right by copying.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sh, tempDir } from './helpers/cli.ts';
import { busyboxContext, executedSteps, stepLogs } from './helpers/busybox-context.ts';

const DOCKERFILE = [
  'FROM bb',
  'COPY --chown=7:8 src/ /app/',
  // the tree as the next step sees it: name, mode, owner, size, mtime, type
  'RUN cd /app && find . | sort | while read -r p; do stat -c "%n %a %u %g %s %Y %F" "$p"; done',
].join('\n');

type Built = { copyLayer: string; tree: string; ran: string[] };

async function build(ctx: string, store: string): Promise<Built> {
  const r = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress rawjson`, { cwd: ctx });
  assert.is(r.code, 0, r.stderr.toString());
  const img = JSON.parse(r.stdout.toString().trim().split('\n').pop() as string) as { layers: { diffID: string }[] };
  return { copyLayer: img.layers[2].diffID, tree: stepLogs(r.stderr.toString()), ran: executedSteps(r.stderr.toString()) };
}

/** Layers of `store` that gave their snapshot to a revision. */
async function revisedLayers(store: string): Promise<number> {
  const dir = path.join(store, 'layers', 'by-diffid');
  let n = 0;
  for (const f of await fs.readdir(dir)) if ((JSON.parse(await fs.readFile(path.join(dir, f), 'utf8')) as { snapshot: string | null }).snapshot === null) n++;
  return n;
}

const later = (s: number) => new Date(Date.now() + s * 1000);
// a context changed in the second before a build is read again by the next
// (Deno's lstat gives ctimes in whole seconds: then in the two seconds before)
const SETTLE_MS = 2100;

const changes: { name: string; revised: boolean; change: (src: string) => Promise<void> }[] = [
  { name: 'a file written in place, another size', revised: true, change: (src) => fs.writeFile(path.join(src, 'a.txt'), 'a, longer now\n') },
  { name: 'a mode', revised: true, change: (src) => fs.chmod(path.join(src, 'sub', 'c.txt'), 0o600) },
  {
    name: 'one file touched, one changed', revised: true,
    change: async (src) => {
      await fs.utimes(path.join(src, 'fill', 'f1.txt'), later(7), later(7));
      await fs.writeFile(path.join(src, 'b.txt'), 'B\n');
    },
  },
  {
    name: 'a symlink pointed elsewhere', revised: true,
    change: async (src) => {
      await fs.rm(path.join(src, 'sub', 'link'));
      await fs.symlink('../b.txt', path.join(src, 'sub', 'link'));
    },
  },
  {
    // the files of a moved dir keep their ctimes: all below a changed dir is copied again
    name: 'two dirs swapped', revised: true,
    change: async (src) => {
      await fs.rename(path.join(src, 'sub', 'x'), path.join(src, 'sub', 'tmp'));
      await fs.rename(path.join(src, 'sub', 'y'), path.join(src, 'sub', 'x'));
      await fs.rename(path.join(src, 'sub', 'tmp'), path.join(src, 'sub', 'y'));
    },
  },
  {
    name: "an editor's save (new file renamed over)", revised: true,
    change: async (src) => {
      await fs.writeFile(path.join(src, 'sub', '.c.swp'), 'c saved\n');
      await fs.rename(path.join(src, 'sub', '.c.swp'), path.join(src, 'sub', 'c.txt'));
    },
  },
  { name: 'a dir mode and time', revised: true, change: async (src) => {
    await fs.chmod(path.join(src, 'sub'), 0o700);
    await fs.utimes(path.join(src, 'sub'), later(9), later(9));
  } },
  { name: 'a file added', revised: true, change: (src) => fs.writeFile(path.join(src, 'sub', 'new.txt'), 'new\n') },
  { name: 'a file added that sorts first, one that sorts last', revised: true, change: async (src) => {
    await fs.writeFile(path.join(src, 'sub', '.first'), '1\n');
    await fs.writeFile(path.join(src, 'sub', '~last'), '2\n');
  } },
  { name: 'a dir of files and a symlink added', revised: true, change: async (src) => {
    await fs.mkdir(path.join(src, 'sub', 'x', 'deep', 'er'), { recursive: true });
    await fs.writeFile(path.join(src, 'sub', 'x', 'deep', 'er', 'z.txt'), 'z\n');
    await fs.writeFile(path.join(src, 'sub', 'x', 'deep', 'a.txt'), 'a\n');
    await fs.symlink('../f.txt', path.join(src, 'sub', 'x', 'deep', 'up'));
  } },
  { name: 'a file renamed in its dir', revised: true, change: (src) => fs.rename(path.join(src, 'sub', 'new.txt'), path.join(src, 'sub', 'renamed.txt')) },
  { name: 'a dir with its files removed', revised: true, change: (src) => fs.rm(path.join(src, 'sub', 'x', 'deep'), { recursive: true }) },
  { name: 'a file removed, one added, in two dirs', revised: true, change: async (src) => {
    await fs.rm(path.join(src, 'sub', 'c.txt'));
    await fs.writeFile(path.join(src, 'sub', 'y', 'g.txt'), 'g\n');
  } },
  { name: 'a file removed from a dir of most of the layer', revised: true, change: (src) => fs.rm(path.join(src, 'fill', 'f3.txt')) },
  { name: 'a file removed from the source dir itself', revised: true, change: (src) => fs.rm(path.join(src, 'b.txt')) },
  { name: 'a file added to the source dir itself', revised: true, change: (src) => fs.writeFile(path.join(src, 'top.txt'), 'top\n') },
  {
    // same content and mode (the same content record), another mtime: still copied again (the
    // cache key does not see times: a change elsewhere makes the step run)
    name: 'two dirs swapped whose files differ only in their times', revised: true,
    change: async (src) => {
      await fs.writeFile(path.join(src, 'sub', 'y', 'g.txt'), 'g again\n');
      await fs.rename(path.join(src, 'same', 'p'), path.join(src, 'same', 'tmp'));
      await fs.rename(path.join(src, 'same', 'q'), path.join(src, 'same', 'p'));
      await fs.rename(path.join(src, 'same', 'tmp'), path.join(src, 'same', 'q'));
    },
  },
  {
    name: 'a file made a dir', revised: false,
    change: async (src) => {
      await fs.rm(path.join(src, 'a.txt'));
      await fs.mkdir(path.join(src, 'a.txt'));
    },
  },
  // (last: a change of the source dir counts for the build after too, as every change does)
  { name: 'an entry of the source dir itself replaced', revised: true, change: async (src) => {
    await fs.writeFile(path.join(src, '.r.swp'), 'r saved\n');
    await fs.rename(path.join(src, '.r.swp'), path.join(src, 'r.txt'));
  } },
];

test('a COPY rebuilt after changes to its source gives what a cold build gives, revised in place when only entries changed', async () => {
  const files: Record<string, string> = { 'src/a.txt': 'a\n', 'src/b.txt': 'b\n', 'src/r.txt': 'r\n', 'src/sub/c.txt': 'c\n', 'src/sub/x/f.txt': 'x\n', 'src/sub/y/f.txt': 'y\n' };
  // enough unchanged entries that a few changes are a small share
  for (let i = 0; i < 100; i++) files[`src/fill/f${i}.txt`] = `${i}\n`;
  files['src/same/p/s.txt'] = 'same\n';
  files['src/same/q/s.txt'] = 'same\n';
  const ctx = await busyboxContext(DOCKERFILE, files);
  await fs.utimes(path.join(ctx, 'src', 'same', 'q', 's.txt'), later(-3600), later(-3600));
  await fs.symlink('c.txt', path.join(ctx, 'src', 'sub', 'link'));
  await fs.chmod(path.join(ctx, 'src', 'sub'), 0o750);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const store = await tempDir('store');
  let prev = await build(ctx, store);
  for (const c of changes) {
    const before = await revisedLayers(store);
    await c.change(path.join(ctx, 'src'));
    const now = await build(ctx, store);
    assert.equal(now.ran, ['[stage-1 1/2] COPY --chown=7:8 src/ /app/', '[stage-1 2/2] RUN cd /app && find . | sort | while read -r p; do stat -c "%n %a %u %g %s %Y %F" "$p"; done'], c.name);
    assert.is.not(now.copyLayer, prev.copyLayer, c.name);
    assert.is(await revisedLayers(store) > before, c.revised, `${c.name}: revised`);
    const cold = await build(ctx, await tempDir('store'));
    assert.is(now.copyLayer, cold.copyLayer, `${c.name}: layer`);
    assert.is(now.tree, cold.tree, `${c.name}: tree`);
    prev = now;
    // the next change must not count this one's entries as changed again
    await new Promise((r) => setTimeout(r, 1100));
  }
});

test('a layer that gave its snapshot away is made again when a build needs it', async () => {
  const ctx = await busyboxContext(DOCKERFILE, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`src/f${i}.txt`, `${i}\n`])));
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const store = await tempDir('store');
  const file = path.join(ctx, 'src', 'f3.txt');
  const { mtime } = await fs.stat(file);
  const first = await build(ctx, store);
  await fs.writeFile(file, 'changed\n');
  const second = await build(ctx, store);
  assert.is(await revisedLayers(store), 1);
  // back to the first content and time: the first layer again, with its snapshot
  await fs.writeFile(file, '3\n');
  await fs.utimes(file, mtime, mtime);
  const third = await build(ctx, store);
  assert.is.not(second.copyLayer, first.copyLayer);
  assert.is(third.copyLayer, first.copyLayer);
  // the RUN's record names that layer: a hit again once it has its snapshot back
  assert.equal(third.ran, ['[stage-1 1/2] COPY --chown=7:8 src/ /app/']);
  assert.equal((await build(ctx, store)).ran, []);
});

test("a big context: the checksum from the last walk's records and the revised layer agree with a cold build", async () => {
  // past 1,000 entries a walk's records are kept, and the next build reads only what changed
  const ctx = await busyboxContext(DOCKERFILE, Object.fromEntries(Array.from({ length: 1100 }, (_, i) => [`src/d${i % 10}/f${i}.txt`, `${i}\n`])));
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const store = await tempDir('store');
  const first = await build(ctx, store);
  // a cached build in between moves the memo's time past the step's last run: the revision asks find itself
  assert.equal((await build(ctx, store)).ran, []);
  await fs.writeFile(path.join(ctx, 'src', 'd3', 'f13.txt'), 'changed\n');
  await fs.chmod(path.join(ctx, 'src', 'd4', 'f14.txt'), 0o600);
  const second = await build(ctx, store);
  assert.is(await revisedLayers(store), 1);
  assert.is.not(second.copyLayer, first.copyLayer);
  const cold = await build(ctx, await tempDir('store'));
  assert.is(second.copyLayer, cold.copyLayer);
  assert.is(second.tree, cold.tree);
  const records = (await fs.readdir(path.join(store, 'contexts'))).filter((f) => f.includes('.rec-'));
  assert.is(records.length, 1, 'the walk kept its records');
});

test('with a .dockerignore: what it leaves out changes nothing, and the rest is revised as without one', async () => {
  const files: Record<string, string> = { '.dockerignore': '**/*.log\nsrc/cache\n', 'src/a.txt': 'a\n', 'src/sub/c.txt': 'c\n', 'src/x.log': 'x\n', 'src/cache/y': 'y\n' };
  for (let i = 0; i < 30; i++) files[`src/fill/f${i}.txt`] = `${i}\n`;
  const ctx = await busyboxContext(DOCKERFILE, files);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const store = await tempDir('store');
  let prev = await build(ctx, store);
  const steps: [string, (src: string) => Promise<void>][] = [
    ['a file and an ignored one changed', async (src) => {
      await fs.writeFile(path.join(src, 'a.txt'), 'A\n');
      await fs.writeFile(path.join(src, 'x.log'), 'X\n');
      await fs.writeFile(path.join(src, 'cache', 'y'), 'Y\n');
    }],
    ['an ignored file added beside a changed one', async (src) => {
      await fs.writeFile(path.join(src, 'sub', 'new.log'), 'new\n');
      await fs.writeFile(path.join(src, 'sub', 'c.txt'), 'C\n');
    }],
  ];
  for (const [what, change] of steps) {
    const before = await revisedLayers(store);
    await change(path.join(ctx, 'src'));
    const now = await build(ctx, store);
    assert.is(await revisedLayers(store), before + 1, `${what}: revised`);
    const cold = await build(ctx, await tempDir('store'));
    assert.is(now.tree, cold.tree, `${what}: tree`);
    assert.is(now.copyLayer, cold.copyLayer, `${what}: layer`);
    assert.is.not(now.copyLayer, prev.copyLayer, what);
    prev = now;
    await new Promise((r) => setTimeout(r, 1100));
  }
});

test.run();

// The direct copy must leave the upper dir exactly as the overlay path does:
// each case runs both ways over the same two-layer base and compares the trees.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { promises as fs, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { commitSnapshot, isOpaqueDirSync, packLayer, Store, type LayerEntry } from '@pipekit/cas-store';
import type { CopyAction, FileAction } from '@pipekit/wire';
import type { SolveContext, Vertex } from '../context.ts';
import type { LayersRef } from '../refs.ts';
import { mountWritable, singleFileRoot, withView } from '../view.ts';
import { copyAction, type Owner } from '../fs/copy.ts';
import { lookupUid, type RootFs } from '../fs/user.ts';
import { copyWithoutOverlay } from './direct-copy.ts';
import { contentHash } from '../fs/contenthash.ts';
import { recordHash } from '../fs/record-hash.ts';
import type { PreviousResult } from '../explain.ts';

const made: string[] = [];
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});
const temp = async (p: string) => {
  const d = await fs.mkdtemp(path.join(tmpdir(), `direct-copy-${p}-`));
  made.push(d);
  return d;
};

const OLD = new Date('2020-02-02T02:02:02Z');

type Spec = { dir?: [number, number, number]; file?: [string, number, number, number]; link?: string };

async function layer(store: Store, entries: Record<string, Spec>): Promise<LayerEntry> {
  const { id, dir } = await store.snapshots.prepare();
  for (const [rel, e] of Object.entries(entries)) {
    const abs = path.join(dir, rel);
    if (e.dir) {
      await fs.mkdir(abs, { recursive: true });
      await fs.chown(abs, e.dir[1], e.dir[2]);
      await fs.chmod(abs, e.dir[0]);
    } else if (e.file) {
      await fs.writeFile(abs, e.file[0]);
      await fs.chown(abs, e.file[2], e.file[3]);
      await fs.chmod(abs, e.file[1]);
    } else if (e.link) await fs.symlink(e.link, abs);
  }
  for (const rel of Object.keys(entries).reverse()) await fs.lutimes(path.join(dir, rel), OLD, OLD);
  return commitSnapshot(store, id);
}

/** Every entry of a tree with what a layer records; times only when they are old (not "now"). */
function describe(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, r);
      const st = lstatSync(abs);
      const time = st.mtimeMs < Date.now() - 60_000 ? String(st.mtimeMs) : 'now';
      const common = `${r} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${time}`;
      if (st.isDirectory()) {
        out.push(`dir ${common} opaque=${isOpaqueDirSync(abs)}`);
        walk(r);
      } else if (st.isSymbolicLink()) out.push(`link ${common} -> ${readlinkSync(abs)}`);
      else if (st.isFile()) out.push(`file ${common} ${createHash('sha256').update(readFileSync(abs)).digest('hex').slice(0, 12)}`);
      else out.push(`other ${common} ${st.rdev}`);
    }
  };
  walk('');
  return out;
}

const copy = (over: Partial<CopyAction>): CopyAction => ({
  src: '.', dest: '/', owner: null, mode: -1, modeStr: '', followSymlink: true, dirCopyContents: true, attemptUnpack: false,
  createDestPath: true, allowWildcard: true, allowEmptyWildcard: false, timestamp: -1, includePatterns: [], excludePatterns: [],
  requiredPaths: [], alwaysReplaceExistingDestPaths: false, ...over,
}) as CopyAction;

let fixture: { store: Store; base: LayersRef; src: string } | undefined;
async function setup() {
  if (fixture) return fixture;
  const store = await Store.open(await temp('store'));
  const l1 = await layer(store, {
    etc: { dir: [0o755, 0, 0] },
    'etc/passwd': { file: ['root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n', 0o644, 0, 0] },
    app: { dir: [0o750, 1000, 1000] },
    'app/old.txt': { file: ['old', 0o600, 1000, 1000] },
    srv: { dir: [0o700, 0, 0] },
    data: { file: ['data', 0o644, 0, 0] },
    link: { link: 'srv' },
    usr: { dir: [0o755, 0, 0] },
    'usr/src': { dir: [0o2775, 0, 50] },
  });
  const l2 = await layer(store, { app: { dir: [0o750, 1000, 1000] }, 'app/extra.txt': { file: ['extra', 0o644, 1000, 1000] } });
  const src = await temp('ctx');
  await fs.mkdir(path.join(src, 'dir', 'sub'), { recursive: true });
  await fs.writeFile(path.join(src, 'a.txt'), 'a');
  await fs.writeFile(path.join(src, 'dir', 'b.txt'), 'b');
  await fs.writeFile(path.join(src, 'dir', 'sub', 'c.txt'), 'c');
  await fs.writeFile(path.join(src, 'f.sh'), '#!/bin/sh\n');
  await fs.chmod(path.join(src, 'f.sh'), 0o755);
  for (const p of ['dir/sub/c.txt', 'dir/sub', 'dir/b.txt', 'dir', 'a.txt', 'f.sh']) await fs.utimes(path.join(src, p), OLD, OLD);
  fixture = { store, base: { kind: 'layers', layers: [l1, l2] }, src };
  return fixture;
}

async function ownerOf(root: RootFs, name: string | null): Promise<Owner> {
  if (!name) return null;
  const uid = await lookupUid(root, name);
  return { uid, gid: uid };
}

const CASES: [string, Partial<CopyAction>, string | null][] = [
  ['context into a new dir', { src: '.', dest: '/newdir' }, null],
  ['context into an existing dir of the lower layer', { src: '.', dest: '/app' }, null],
  ['a file below an existing set-gid dir, through a missing one', { src: 'a.txt', dest: '/usr/src/x/', dirCopyContents: false }, null],
  ['a dir into a 0700 dir', { src: 'dir', dest: '/srv/', dirCopyContents: false }, null],
  ['a file over a file', { src: 'a.txt', dest: '/data', dirCopyContents: false }, null],
  ['chown by name, from the base passwd', { src: '.', dest: '/app/', owner: { user: { name: 'app', id: 0 }, group: null } as never }, 'app'],
  ['chmod', { src: 'dir', dest: '/opt/dir', mode: 0o700, dirCopyContents: true }, null],
  ['wildcard', { src: '*.txt', dest: '/w/' }, null],
];

for (const [name, over, user] of CASES) {
  test(`same upper dir both ways: ${name}`, async () => {
    const { store, base, src } = await setup();
    const c = copy(over);
    const a: FileAction = { input: 0, secondaryInput: 1, output: 0, copy: c } as FileAction;
    const ctx = { store } as SolveContext;
    const v = { inputs: [base, { kind: 'dir', dir: src, exclude: [] }], inputKeys: [] } as unknown as Vertex;
    const rw = await mountWritable(store, base);
    try {
      await copyAction(rw.root, src, c, { owner: await ownerOf(rw.root, user), fromLocal: true });
    } catch (err) {
      await rw.abort();
      throw err;
    }
    const { tmpId } = await rw.finish();
    const direct = await copyWithoutOverlay(ctx, v, a, base, (root) => ownerOf(root, user));
    assert.ok(direct, 'took the direct path');
    assert.equal(describe(store.snapshots.dir(direct!.tmpId)), describe(store.snapshots.dir(tmpId)));
  });
}

// sources in a layer chain (COPY --from): one plain file is read from the layer
// holding it, anything else through a mounted view; both must match the overlay path
const FROM_LAYERS: [string, Partial<CopyAction>][] = [
  ['one file', { src: '/etc/passwd', dest: '/copied/', dirCopyContents: false }],
  ['one file from the upper layer', { src: '/app/extra.txt', dest: '/x.txt', dirCopyContents: false }],
  ['a file in a dir both layers hold', { src: '/app/old.txt', dest: '/srv/old.txt', dirCopyContents: false }],
  ['through a symlink', { src: '/link/../data', dest: '/d', dirCopyContents: false }],
  ['a directory', { src: '/app', dest: '/app2' }],
  ['a wildcard', { src: '/app/*.txt', dest: '/w/' }],
];

for (const [name, over] of FROM_LAYERS) {
  test(`same upper dir both ways, from layers: ${name}`, async () => {
    const { store, base } = await setup();
    const c = copy(over);
    const a: FileAction = { input: 0, secondaryInput: 1, output: 0, copy: c } as FileAction;
    const v = { inputs: [base, base], inputKeys: [] } as unknown as Vertex;
    const rw = await mountWritable(store, base);
    try {
      await withView(store, base, (srcRoot) => copyAction(rw.root, srcRoot, c, { owner: null, fromLocal: false }));
    } catch (err) {
      await rw.abort();
      throw err;
    }
    const { tmpId } = await rw.finish();
    const direct = await copyWithoutOverlay({ store } as SolveContext, v, a, base, async () => null);
    assert.ok(direct, 'took the direct path');
    assert.equal(describe(store.snapshots.dir(direct!.tmpId)), describe(store.snapshots.dir(tmpId)));
  });
}

test('one plain file in a layer chain is read where it lies; anything else needs the mount', async () => {
  const { store, base } = await setup();
  const top = store.snapshots.dir(base.layers[1].snapshot as string);
  const bottom = store.snapshots.dir(base.layers[0].snapshot as string);
  assert.is(singleFileRoot(store, base, '/app/extra.txt', true), top);
  assert.is(singleFileRoot(store, base, 'etc/passwd', true), bottom);
  for (const src of ['/app', '/link/x', '/missing', '/app/*.txt', '/', '/etc/../data']) assert.is(singleFileRoot(store, base, src, true), undefined, src);
  assert.is(singleFileRoot(store, { kind: 'dir', dir: '/tmp', exclude: [] } as never, '/x', false), undefined);
});

test('through a symlink or a file, the overlay path is kept', async () => {
  const { store, base, src } = await setup();
  for (const dest of ['/link/', '/link/x', '/data/x']) {
    const a = { input: 0, secondaryInput: 1, output: 0, copy: copy({ src: 'a.txt', dest, dirCopyContents: false }) } as FileAction;
    const v = { inputs: [base, { kind: 'dir', dir: src, exclude: [] }], inputKeys: [] } as unknown as Vertex;
    assert.is(await copyWithoutOverlay({ store } as SolveContext, v, a, base, async () => null), undefined, dest);
  }
});

async function collect(s: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

test('a rebuild links the files whose content record is unchanged from the previous result', async () => {
  const { store, base, src } = await setup();
  const ctx = { store } as SolveContext;
  const c = copy({ src: '.', dest: '/re' });
  const a: FileAction = { input: 0, secondaryInput: 1, output: 0, copy: c } as FileAction;
  const records = async () => {
    const m = new Map<string, string>();
    await contentHash(src, '.', { context: true, ignoreOwner: true, collect: m });
    return m;
  };
  const before = await records();
  const v1 = { inputs: [base, { kind: 'dir', dir: src, exclude: [] }], inputKeys: [] } as unknown as Vertex;
  const first = await copyWithoutOverlay(ctx, v1, a, base, async () => null);
  const layer = await commitSnapshot(store, first!.tmpId);
  const prevRoot = store.snapshots.dir(layer.snapshot as string);
  await fs.writeFile(path.join(src, 'dir', 'b.txt'), 'B');
  await fs.utimes(path.join(src, 'dir', 'b.txt'), OLD, OLD);
  try {
    const now = await records();
    const hashes = (m: Map<string, string>) => new Map([...m].map(([k, r]) => [k, recordHash(r)]));
    const previous = async (): Promise<PreviousResult> => ({
      snapshotDir: prevRoot, blob: { digest: layer.blob.digest, size: layer.blob.size }, files: hashes(before), current: hashes(now), layer,
    });
    const v2 = { ...v1, previous } as Vertex;
    const second = await copyWithoutOverlay(ctx, v2, a, base, async () => null);
    const plain = await copyWithoutOverlay(ctx, v1, a, base, async () => null);
    const dir2 = store.snapshots.dir(second!.tmpId);
    assert.equal(describe(dir2), describe(store.snapshots.dir(plain!.tmpId)), 'same tree as a copy without reuse');
    const ino = (root: string, rel: string) => lstatSync(path.join(root, 're', rel)).ino;
    for (const rel of ['a.txt', 'f.sh', 'dir/sub/c.txt']) assert.is(ino(dir2, rel), ino(prevRoot, rel), `${rel} linked`);
    assert.is.not(ino(dir2, 'dir/b.txt'), ino(prevRoot, 'dir/b.txt'), 'the changed file is written anew');
    assert.is(readFileSync(path.join(dir2, 're', 'dir', 'b.txt'), 'utf8'), 'B');
    assert.is(readFileSync(path.join(prevRoot, 're', 'dir', 'b.txt'), 'utf8'), 'b', 'the previous result is untouched');
    // linked files are packed from the previous blob's bytes: the same tar as reading them
    const known = second!.written.files;
    assert.ok(known.get('re/a.txt')?.data.equals(Buffer.from(readFileSync(path.join(src, 'a.txt')))), 'a.txt taken from the previous blob');
    assert.ok((await collect(packLayer(dir2, { known }))).equals(await collect(packLayer(dir2))), 'same layer tar');
    // another owner than the previous copy gave: nothing can be shared
    const chowned = await copyWithoutOverlay(ctx, v2, { ...a, copy: { ...c, owner: { user: { name: '', id: 7 }, group: null } } } as FileAction, base, async () => ({ uid: 7, gid: 7 }));
    assert.is.not(ino(store.snapshots.dir(chowned!.tmpId), 'a.txt'), ino(prevRoot, 'a.txt'));
  } finally {
    await fs.writeFile(path.join(src, 'dir', 'b.txt'), 'b');
    await fs.utimes(path.join(src, 'dir', 'b.txt'), OLD, OLD);
  }
});

test.run();

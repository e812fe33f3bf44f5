import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import tarStream from 'tar-stream';
import { UsageError, WireFormatError } from '@pipekit/wire';
import { exportImages, prepareImageOutput } from './export.ts';
import { BlobStore } from '@pipekit/cas-store';
import { CompressPool } from './compress-pool.ts';
import { defaultOutput, type OutputSpec } from './output-spec.ts';
import { layerMappingPath } from './layers.ts';
import { cleanup, fixture, imageRecord, tempDir } from './testing.ts';

const rejectsWith = async (p: Promise<unknown>, cls: new (...a: never[]) => Error, re?: RegExp) => {
  try {
    await p;
  } catch (err) {
    assert.instance(err, cls);
    if (re) assert.match((err as Error).message, re);
    return;
  }
  assert.unreachable('expected a rejection');
};

/** name -> {mode, mtime, body} of every entry */
async function readTar(tar: Buffer): Promise<Map<string, { mode: number; mtime: number; body: Buffer }>> {
  const ex = tarStream.extract();
  const out = new Map<string, { mode: number; mtime: number; body: Buffer }>();
  const done = (async () => {
    for await (const e of ex) {
      const parts: Buffer[] = [];
      for await (const c of e as AsyncIterable<Uint8Array>) parts.push(Buffer.from(c));
      out.set(e.header.name, { mode: e.header.mode, mtime: e.header.mtime.getTime() / 1000, body: Buffer.concat(parts) });
    }
  })();
  ex.end(tar);
  await done;
  return out;
}
const indexOf = async (tar: Buffer) => JSON.parse((await readTar(tar)).get('index.json')!.body.toString());

test("dest '-': the tarball goes to the given stream, same bytes as a file export", async () => {
  const { storeDir, image } = await fixture();
  const out = new PassThrough();
  const got: Buffer[] = [];
  out.on('data', (c) => got.push(c));
  const viaStream = await exportImages([image], { type: 'oci', dest: '-', stdout: out, storeDir });
  const file = path.join(await tempDir(), 'x.tar');
  const viaFile = await exportImages([image], { type: 'oci', dest: file, storeDir });
  assert.equal(viaStream, viaFile);
  assert.ok(Buffer.concat(got).equals(await fs.readFile(file)));
});

test('a terminal stdout is refused before any layer is compressed', async () => {
  const { storeDir, image, layer } = await fixture();
  const tty = Object.assign(new PassThrough(), { isTTY: true });
  await rejectsWith(exportImages([image], { type: 'oci', dest: '-', stdout: tty, storeDir }), UsageError, /terminal/);
  await rejectsWith(fs.access(layerMappingPath(storeDir, layer.diffID, 'gzip-6')), Error);
});

test('progress lines in BuildKit wording, result fields', async () => {
  const { storeDir, image } = await fixture();
  const lines: string[] = [];
  const res = await exportImages([image], { type: 'oci', dest: path.join(await tempDir(), 'x.tar'), storeDir, progress: (l) => lines.push(l) });
  assert.is(lines.length, 4);
  assert.match(lines[0], /^exporting layers( \d+\.\ds)? done$/);
  assert.is(lines[1], `exporting manifest ${res.digest} done`);
  assert.is(lines[2], `exporting config ${res.configDigest} done`);
  assert.match(lines[3], /^sending tarball( \d+\.\ds)? done$/);
  assert.is(res.mediaType, 'application/vnd.oci.image.manifest.v1+json');
});

test("the exported layers are in use for the store's GC while the export runs, and only then", async () => {
  const { storeDir, image } = await fixture();
  // read synchronously in the progress callback: what the store's GC would see at that moment
  const inUse = () => {
    const run = path.join(storeDir, 'run');
    const files = existsSync(run) ? readdirSync(run).filter((f) => f.endsWith('.inuse')) : [];
    return files.map((f) => readFileSync(path.join(run, f), 'utf8')).join('');
  };
  const seen: string[] = [];
  await exportImages([image], { type: 'oci', dest: path.join(await tempDir(), 'x.tar'), storeDir, progress: () => seen.push(inUse()) });
  for (const l of image.layers) assert.ok(seen[0].includes(l.diffID), 'marked during the export');
  assert.is(inUse(), '', 'released after it');
});

test('layout entries: modes, oci-layout, one ref annotation when unnamed', async () => {
  const { storeDir, image } = await fixture();
  const file = path.join(await tempDir(), 'x.tar');
  const res = await exportImages([image], { type: 'oci', dest: file, storeDir });
  const tar = await readTar(await fs.readFile(file));
  assert.is(tar.get('oci-layout')!.body.toString(), '{"imageLayoutVersion":"1.0.0"}');
  assert.is(tar.get('oci-layout')!.mode, 0o444);
  assert.is(tar.get('index.json')!.mode, 0o644);
  assert.is(tar.get(`blobs/sha256/${res.digest.slice(7)}`)!.mode, 0o444);
  assert.not.ok(tar.has('manifest.json'));
  const index = JSON.parse(tar.get('index.json')!.body.toString());
  assert.equal(index.manifests[0].annotations, {
    'org.opencontainers.image.created': '2024-01-02T03:04:05Z',
    'org.opencontainers.image.ref.name': 'latest',
  });
  assert.equal(index.manifests[0].platform, { architecture: 'amd64', os: 'linux' });
});

test('several names: one index.json entry per name, same manifest', async () => {
  const { storeDir, image } = await fixture();
  const file = path.join(await tempDir(), 'x.tar');
  const res = await exportImages([image], { type: 'docker', dest: file, storeDir, name: 'example:a,127.0.0.1:5000/x:t' });
  const tar = await fs.readFile(file);
  const index = await indexOf(tar);
  assert.equal(index.manifests.map((m: { digest: string }) => m.digest), [res.digest, res.digest]);
  assert.equal(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations['io.containerd.image.name']), [
    'docker.io/library/example:a',
    '127.0.0.1:5000/x:t',
  ]);
  const manifest = JSON.parse((await readTar(tar)).get('manifest.json')!.body.toString());
  assert.equal(manifest[0].RepoTags, ['example:a', '127.0.0.1:5000/x:t']);
});

test('SOURCE_DATE_EPOCH: tar mtimes, and the created annotation when the config has none', async () => {
  const { storeDir, image } = await fixture();
  delete image.config.created;
  const file = path.join(await tempDir(), 'x.tar');
  await exportImages([image], { type: 'oci', dest: file, storeDir, sourceDateEpoch: 1700000000 });
  const tar = await readTar(await fs.readFile(file));
  for (const [name, e] of tar) assert.is(e.mtime, 1700000000, name);
  const index = JSON.parse(tar.get('index.json')!.body.toString());
  assert.is(index.manifests[0].annotations['org.opencontainers.image.created'], '2023-11-14T22:13:20Z');
  const plain = path.join(path.dirname(file), 'y.tar');
  await exportImages([image], { type: 'oci', dest: plain, storeDir });
  const noEpoch = await indexOf(await fs.readFile(plain));
  assert.is(noEpoch.manifests[0].annotations['org.opencontainers.image.created'], undefined, 'no wall-clock time');
});

test('a zero-layer image exports with an empty layers list', async () => {
  const { storeDir } = await fixture();
  const file = path.join(await tempDir(), 'x.tar');
  const res = await exportImages([imageRecord(storeDir, [])], { type: 'oci', dest: file, storeDir });
  const manifest = JSON.parse((await readTar(await fs.readFile(file))).get(`blobs/sha256/${res.digest.slice(7)}`)!.body.toString());
  assert.equal(manifest.layers, []);
});

test('a layer shared by two platforms is written once', async () => {
  const { storeDir, image } = await fixture();
  const arm = imageRecord(storeDir, image.layers, { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
  const file = path.join(await tempDir(), 'x.tar');
  await exportImages([image, arm], { type: 'oci', dest: file, storeDir });
  const tar = await readTar(await fs.readFile(file));
  // 1 layer + 2 configs + 2 manifests + 1 index
  assert.is([...tar.keys()].filter((n) => /^blobs\/sha256\/[0-9a-f]{64}$/.test(n)).length, 6);
});

test('layersDone is called once, when every layer is compressed into the store and before the layout is written', async () => {
  const { storeDir, image } = await fixture();
  const dest = path.join(await tempDir('out-'), 'img.tar');
  const pool = new CompressPool({ threads: 0 });
  const ctx = { storeDir, blobs: new BlobStore(storeDir), pool, progress: () => {}, layers: new Map() };
  const seen: boolean[] = [];
  const spec = { ...defaultOutput('oci'), type: 'oci', dest } as OutputSpec;
  const { pending } = await prepareImageOutput([image], spec, ctx, {
    layersDone: () => seen.push(existsSync(layerMappingPath(storeDir, image.layers[0].diffID, 'gzip-6')) && !existsSync(dest)),
  });
  assert.equal(seen, [true]);
  await pending.commit();
  assert.ok(existsSync(dest));
});

test('refused inputs', async () => {
  const { storeDir, image } = await fixture();
  const dest = path.join(await tempDir(), 'x.tar');
  await rejectsWith(exportImages([], { type: 'oci', dest, storeDir }), WireFormatError, /no image/);
  await rejectsWith(exportImages([image], { type: 'zip' as 'oci', dest, storeDir }), UsageError, /unknown export type/);
  await rejectsWith(exportImages([image], { type: 'oci', dest, storeDir, name: 'Bad' }), UsageError, /lowercase/);
  await rejectsWith(exportImages([image, image], { type: 'oci', dest, storeDir }), WireFormatError, /platform linux\/amd64/);
  const other = await tempDir();
  await rejectsWith(exportImages([image], { type: 'oci', dest, storeDir: other }), UsageError, /--store/);
  await rejectsWith(exportImages([image], { type: 'oci', dest, storeDir, sourceDateEpoch: -1 }), UsageError, /SOURCE_DATE_EPOCH/);
  assert.equal(await fs.readdir(path.dirname(dest)), []);
});

test.after(cleanup);

test.run();

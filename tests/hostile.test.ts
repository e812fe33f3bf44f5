// Black-box: hostile inputs cannot escape or crash. Crafted layers pushed to a
// registry on 127.0.0.1 and crafted archives ADDed from the context (tar-slip,
// absolute and relative symlink escapes, hard links out, a sparse bomb declared
// in headers, a gzip bomb) each fail with a clear error while a sentinel file
// outside the root stays untouched; COPY through escaping symlinks is refused;
// a hostile registry and hand-edited graphs are refused before anything runs.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sh, tempDir } from './helpers/cli.ts';
import { startRegistry, type TestRegistry } from './helpers/registry.ts';
import { startFakeRegistry, sendJson } from './helpers/fake-registry.ts';
import { MediaTypes, RegistryClient, parseReference } from '../packages/cas-store/src/registry/index.ts';
import { normalizeOp, opDigest, toNdjsonLine } from '../packages/wire/src/index.ts';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; linkname?: string; data?: string; size?: number };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(Buffer.from(c as Uint8Array));
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: 0o644 }, e.data ?? '', (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Rewrite the first header's size field (and checksum): a huge size declared, little data present. */
function declareSize(tar: Buffer, size: number): Buffer {
  const out = Buffer.from(tar);
  out.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  out.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += out[i];
  out.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return out;
}

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function pushLayerImage(host: string, repoTag: string, tar: Buffer): Promise<void> {
  const ref = parseReference(`${host}/${repoTag}`);
  const client = new RegistryClient();
  const layer = gzipSync(tar);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha(tar)] }, history: [{ created_by: 'crafted' }] }));
  await client.pushBlob(ref, sha(layer), layer.length, layer);
  await client.pushBlob(ref, sha(config), config.length, config);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: { mediaType: MediaTypes.ociConfig, digest: sha(config), size: config.length }, layers: [{ mediaType: MediaTypes.ociLayerGzip, digest: sha(layer), size: layer.length }] }));
  await client.putManifest(ref, ref.tag, new Uint8Array(manifest), MediaTypes.ociManifest);
}

/** A file outside every root that no build may touch. */
async function sentinel(): Promise<{ dir: string; check: () => Promise<void> }> {
  const dir = await tempDir('sentinel');
  await fs.writeFile(path.join(dir, 'keep'), 'untouched\n');
  return {
    dir,
    check: async () => {
      assert.equal(await fs.readdir(dir), ['keep'], `nothing appeared in ${dir}`);
      assert.is(await fs.readFile(path.join(dir, 'keep'), 'utf8'), 'untouched\n');
    },
  };
}

const LIMIT = { PIPEKIT_LAYER_MAX_BYTES: String(64 * 1024 * 1024) };

function crafted(s: string): Record<string, () => Promise<Buffer>> {
  const up = '../'.repeat(12);
  return {
    'tar-slip': () => tarOf([{ name: `${up}${s.slice(1)}/pwned`, data: 'x' }]),
    'absolute symlink then write through it': () => tarOf([{ name: 'a', type: 'symlink', linkname: s }, { name: 'a/pwned', data: 'x' }]),
    'relative symlink escape then write through it': () => tarOf([{ name: 'a', type: 'symlink', linkname: `${up}${s.slice(1)}` }, { name: 'a/pwned', data: 'x' }]),
    'hard link out of the root': () => tarOf([{ name: 'h', type: 'link', linkname: `${up}${s.slice(1)}/keep` }]),
    'hard link through a symlinked dir': () => tarOf([{ name: 's', type: 'symlink', linkname: s }, { name: 'h', type: 'link', linkname: 's/keep' }]),
    '10 GB sparse bomb declared in headers': async () => declareSize(await tarOf([{ name: 'bomb', data: 'x'.repeat(1024) }]), 10 * 1024 ** 3),
    'gzip bomb (128 MiB of zeros)': async () => {
      const zeros = Buffer.alloc(128 * 1024 * 1024);
      const pack = tarStream.pack();
      const chunks: Buffer[] = [];
      const done = (async () => {
        for await (const c of pack) chunks.push(Buffer.from(c as Uint8Array));
      })();
      pack.entry({ name: 'zeros', size: zeros.length }, zeros);
      pack.finalize();
      await done;
      return Buffer.concat(chunks);
    },
  };
}

let reg: TestRegistry;
test.before(async () => {
  reg = await startRegistry();
});
test.after(async () => {
  await reg?.stop();
});

test('crafted layers from a registry: every build fails clearly, nothing outside is touched', async () => {
  const s = await sentinel();
  let n = 0;
  for (const [name, make] of Object.entries(crafted(s.dir))) {
    const repo = `evil/layer${n++}:1`;
    await pushLayerImage(reg.host, repo, await make());
    const ctx = await tempDir('hostile');
    const store = path.join(ctx, 'store');
    await fs.writeFile(path.join(ctx, 'Dockerfile'), `FROM ${reg.host}/${repo}\nLABEL case="${name}"\n`);
    const r = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress plain`, { cwd: ctx, env: LIMIT });
    assert.ok(r.code !== 0, `${name}: the build fails`);
    assert.match(r.stderr, /layer sha256:[0-9a-f]{12}\.\.: (entry "[^"]*" |not a valid tar)/, `${name}: the error names the layer and entry:\n${r.stderr}`);
    await s.check();
  }
});

test('crafted archives ADDed from the context: refused, nothing outside is touched', async () => {
  const s = await sentinel();
  for (const [name, make] of Object.entries(crafted(s.dir))) {
    const ctx = await tempDir('hostile-add');
    const store = path.join(ctx, 'store');
    await fs.writeFile(path.join(ctx, 'evil.tar.gz'), gzipSync(await make()));
    await fs.writeFile(path.join(ctx, 'Dockerfile'), 'FROM scratch\nADD evil.tar.gz /x/\n');
    const r = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress plain`, { cwd: ctx, env: LIMIT });
    if (r.code !== 0) assert.match(r.stderr, /evil\.tar\.gz|outside|refusing|cannot extract/, `${name}:\n${r.stderr}`);
    else {
      // not a readable tar (the declared size runs past the data): ADD copies it as a file, as docker does
      const img = JSON.parse(r.stdout.toString().trim()) as { store: string; layers: { blob: { digest: string } }[] };
      const list = await sh(`tar -tf ${img.store}/blobs/sha256/${img.layers[img.layers.length - 1].blob.digest.slice(7)}`);
      assert.equal(list.stdout.toString().trim().split('\n'), ['x/', 'x/evil.tar.gz'], `${name}: copied verbatim, not extracted`);
    }
    await s.check();
  }
});

test('COPY through a symlink that leaves the context is refused', async () => {
  const s = await sentinel();
  for (const [link, target] of [['abs', s.dir], ['rel', `../../../../../../../../..${s.dir}`]]) {
    const ctx = await tempDir('copy-escape');
    await fs.symlink(target, path.join(ctx, link));
    await fs.writeFile(path.join(ctx, 'Dockerfile'), `FROM scratch\nCOPY ${link}/keep /stolen\n`);
    const store = path.join(ctx, 'store');
    const r = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress plain`, { cwd: ctx });
    assert.ok(r.code !== 0);
    assert.match(r.stderr, /is a symlink to .*, outside the build context/);
  }
  await s.check();
});

test('COPY --from a stage through an absolute symlink reads the stage, never the host', async () => {
  const ctx = await tempDir('stage-link');
  await fs.copyFile('/bin/busybox', path.join(ctx, 'busybox'));
  await fs.writeFile(path.join(ctx, 'Dockerfile'), [
    'FROM scratch AS s',
    'COPY busybox /bin/busybox',
    'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /etc && echo stage-passwd > /etc/passwd && /bin/busybox ln -s /etc /link && /bin/busybox ln -s ../../.. /up"]',
    'FROM scratch',
    'COPY --from=s /link/passwd /from-link',
    'COPY --from=s /up/etc/passwd /from-up',
  ].join('\n'));
  const store = path.join(ctx, 'store');
  const r = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress plain`, { cwd: ctx });
  assert.is(r.code, 0, r.stderr);
  const img = JSON.parse(r.stdout.toString().trim()) as { store: string; layers: { blob: { digest: string } }[] };
  const top = (i: number, f: string) => sh(`tar -xOf ${img.store}/blobs/sha256/${img.layers[img.layers.length - i].blob.digest.slice(7)} ${f}`);
  assert.is((await top(2, 'from-link')).stdout.toString(), 'stage-passwd\n');
  assert.is((await top(1, 'from-up')).stdout.toString(), 'stage-passwd\n');
});

test('a registry serving a huge manifest, a wrong digest or a truncated blob is refused', async () => {
  const good = '{"schemaVersion":2}';
  const fake = await startFakeRegistry((req, res) => {
    const url = req.url ?? '';
    if (url === '/v2/') return sendJson(res, 200, '{}');
    if (url.includes('/huge/manifests/')) return sendJson(res, 200, ' '.repeat(5 * 1024 * 1024), { 'content-type': MediaTypes.ociManifest });
    if (url.includes('/wrong/manifests/')) return sendJson(res, 200, good, { 'content-type': MediaTypes.ociManifest, 'docker-content-digest': `sha256:${'0'.repeat(64)}` });
    return sendJson(res, 404, '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
  });
  try {
    for (const [name, want] of [['huge', /larger than|too large|4 MiB/i], [`wrong@sha256:${'0'.repeat(64)}`, /digest/i]] as const) {
      const ctx = await tempDir('bad-reg');
      await fs.writeFile(path.join(ctx, 'Dockerfile'), `FROM ${fake.host}/${name}\n`);
      const r = await sh(`df-parse Dockerfile --store ${ctx}/store`, { cwd: ctx });
      assert.ok(r.code !== 0, name);
      assert.match(r.stderr, want, r.stderr);
      assert.equal(await fs.readdir(path.join(ctx, 'store', 'blobs', 'sha256')).catch(() => []), [], 'nothing stored');
    }
  } finally {
    await fake.stop();
  }
});

test('hand-edited graphs: forged digests, undefined inputs and un-allowed privileges are refused before anything runs', async () => {
  const dir = await tempDir('graph');
  const store = path.join(dir, 'store');
  const src = normalizeOp({ inputs: [], platform: null, source: { identifier: 'local://context', attrs: { 'local.dir': dir } } });
  const srcRec = { v: 1, type: 'op', digest: opDigest(src), op: src, meta: { name: 'ctx' } };
  const run = (security: string, network: string) => normalizeOp({ inputs: [], platform: { os: 'linux', architecture: 'amd64', variant: '' }, exec: { meta: { args: ['/bin/true'] }, mounts: [{ input: -1, dest: '/', output: 0, type: 'bind' }], security, network } });
  const result = (digest: string) => ({ v: 1, type: 'result', target: '', platform: { os: 'linux', architecture: 'amd64', variant: '' }, input: { digest, index: 0 }, config: { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] } });
  const cases: [string, unknown[], RegExp][] = [
    ['forged digest', [{ ...srcRec, digest: `sha256:${'1'.repeat(64)}` }, result(srcRec.digest)], /does not match its content/],
    ['input defined later (the only way to spell a cycle)', [(() => { const o = normalizeOp({ inputs: [{ digest: `sha256:${'2'.repeat(64)}`, index: 0 }], platform: null, merge: { inputs: [{ input: 0 }] } }); return { v: 1, type: 'op', digest: opDigest(o), op: o, meta: {} }; })()], /not defined on an earlier line/],
    ['insecure without --allow', [srcRec, { v: 1, type: 'op', digest: opDigest(run('insecure', 'sandbox')), op: run('insecure', 'sandbox'), meta: { name: 'priv' } }, result(opDigest(run('insecure', 'sandbox')))], /needs --allow security\.insecure/],
    ['host network without --allow', [srcRec, { v: 1, type: 'op', digest: opDigest(run('sandbox', 'host')), op: run('sandbox', 'host'), meta: { name: 'net' } }, result(opDigest(run('sandbox', 'host')))], /needs --allow network\.host/],
  ];
  for (const [name, records, want] of cases) {
    const r = await sh(`llb-solve --store ${store} --progress rawjson`, { input: records.map(toNdjsonLine).join('') });
    assert.ok(r.code !== 0, name);
    assert.match(r.stderr, want, `${name}:\n${r.stderr}`);
    assert.not.match(r.stderr, /"started"/, `${name}: nothing ran`);
  }
});

test.run();

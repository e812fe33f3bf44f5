// Reproducible and configurable image outputs: SOURCE_DATE_EPOCH gives the same
// digest for two builds of the same inputs (and the same bytes from Node and
// Deno), compression options, Docker media types, annotations, the zero-layer
// image, stdout rules (terminal refused, EPIPE is not an error) and bad options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ROOT, sh, tempDir } from './helpers/cli.ts';

let work = '';
const EPOCH = '1700000000';
const run = (script: string, env?: Record<string, string>) => sh(script, { cwd: work, env });
const ok = async (script: string, env?: Record<string, string>) => {
  const r = await run(script, env);
  assert.is(r.code, 0, `${script}\n${r.stderr}`);
  return r;
};
const json = async (script: string) => JSON.parse((await ok(script)).stdout.toString());
const build = (ctx: string, store: string, env: Record<string, string> = { SOURCE_DATE_EPOCH: EPOCH }) =>
  ok(`cd ${ctx} && df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress quiet > ${store}.ndjson`, env);

test.before(async () => {
  work = await tempDir('export-repro');
  for (const ctx of ['ctx1', 'ctx2']) {
    await fs.mkdir(path.join(work, ctx));
    await fs.copyFile('/bin/busybox', path.join(work, ctx, 'busybox'));
    await fs.writeFile(path.join(work, ctx, 'msg.txt'), 'same input\n');
    await fs.writeFile(path.join(work, ctx, 'Dockerfile'), [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'COPY msg.txt /srv/msg.txt',
      'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /out && /bin/busybox cp /srv/msg.txt /out/copy.txt"]',
      'CMD ["/bin/busybox", "cat", "/out/copy.txt"]',
      '',
    ].join('\n'));
  }
  await new Promise((r) => setTimeout(r, 1100)); // the second context's files get other mtimes
  await fs.utimes(path.join(work, 'ctx2', 'msg.txt'), new Date(), new Date());
  await build(path.join(work, 'ctx1'), path.join(work, 's1'));
  await build(path.join(work, 'ctx2'), path.join(work, 's2'));
});

test.after(async () => {
  if (work) await fs.rm(work, { recursive: true, force: true });
});

test('SOURCE_DATE_EPOCH: two builds give the same digest and the same tarball bytes', async () => {
  const env = { SOURCE_DATE_EPOCH: EPOCH };
  const a = await ok('export-oci s1.ndjson -q --dest a.tar', env);
  const b = await ok('export-oci s2.ndjson -q --dest b.tar', env);
  assert.is(a.stdout.toString(), b.stdout.toString());
  assert.ok((await fs.readFile(path.join(work, 'a.tar'))).equals(await fs.readFile(path.join(work, 'b.tar'))), 'byte-identical tarballs');
  const cfg = await json('skopeo inspect --config oci-archive:a.tar');
  assert.is(cfg.created, '2023-11-14T22:13:20Z');
  for (const h of cfg.history) assert.ok(Date.parse(h.created) <= Number(EPOCH) * 1000, JSON.stringify(h));
  const listing = (await ok('export-oci s1.ndjson -q -o type=tar,dest=- | tar -tv --full-time', env)).stdout.toString();
  for (const line of listing.trim().split('\n')) assert.match(line, /2023-11-14 22:13:20|19[67]\d-/, line);
});

test('the same gzip and zstd bytes from Node and from Deno', async () => {
  const node = path.join(ROOT, 'node_modules', '.bin', 'export-oci');
  const deno = `${path.join(ROOT, 'node_modules', '.bin', 'deno')} task -q --config ${ROOT}/deno.json export-oci`;
  const digests: string[] = [];
  for (const compression of ['gzip', 'zstd']) {
    for (const cli of [node, deno]) {
      await fs.rm(path.join(work, 's1', 'export-oci'), { recursive: true, force: true }); // no reuse: compress again
      digests.push((await ok(`${cli} s1.ndjson -q --compression ${compression} --dest x.tar`)).stdout.toString().trim());
    }
  }
  assert.is(digests[0], digests[1], 'gzip');
  assert.is(digests[2], digests[3], 'zstd');
});

test('compression options: zstd, uncompressed, levels, force-compression', async () => {
  const types = async (spec: string) => {
    await ok(`export-oci s1.ndjson -q -o ${spec},dest=c.tar`);
    const raw = await json('skopeo inspect --raw oci-archive:c.tar');
    return raw.layers.map((l: { mediaType: string; size: number }) => l.mediaType.replace('application/vnd.oci.image.layer.v1.', ''));
  };
  assert.equal(await types('type=oci,compression=zstd'), ['tar+zstd', 'tar+zstd', 'tar+zstd']);
  await ok('mkdir -p zl && tar -xf c.tar -C zl && for b in $(jq -r ".layers[].digest" zl/blobs/sha256/$(jq -r ".manifests[0].digest" zl/index.json | cut -d: -f2) | cut -d: -f2); do zstd -dc zl/blobs/sha256/$b | tar -t >/dev/null || exit 1; done');
  assert.equal(await types('type=oci,compression=uncompressed'), ['tar', 'tar', 'tar']);
  const size = async (level: number) => {
    await ok(`export-oci s1.ndjson -q -o type=oci,dest=l.tar,compression-level=${level}`);
    return (await json('skopeo inspect --raw oci-archive:l.tar')).layers[0].size;
  };
  assert.ok((await size(1)) > (await size(9)), 'level 1 is larger than level 9');
  await ok('export-oci s1.ndjson -q -o type=oci,dest=z.tar,compression=zstd -o type=oci,dest=g.tar,compression=gzip,force-compression=true');
  await ok('skopeo copy -q oci-archive:z.tar oci-archive:z2.tar');
});

test('oci-mediatypes=false: Docker schema 2 manifest, config and layers', async () => {
  await ok('export-oci s1.ndjson -q -o type=docker,dest=dk.tar,oci-mediatypes=false,name=legacy:1');
  const raw = await json('skopeo inspect --raw docker-archive:dk.tar');
  assert.is(raw.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  const layout = await json('skopeo inspect --raw oci-archive:dk.tar');
  assert.is(layout.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.is(layout.config.mediaType, 'application/vnd.docker.container.image.v1+json');
  assert.is(layout.layers[0].mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
});

test('annotations: manifest, descriptor, from -o and --annotation', async () => {
  await ok(`export-oci s1.ndjson -q -o '"type=oci","dest=an.tar","annotation.org.opencontainers.image.title=a, b","annotation-manifest-descriptor.x=1"' --annotation manifest:org.opencontainers.image.vendor=pipekit`);
  const raw = await json('skopeo inspect --raw oci-archive:an.tar');
  assert.equal(raw.annotations, { 'org.opencontainers.image.title': 'a, b', 'org.opencontainers.image.vendor': 'pipekit' });
  await ok('mkdir -p an && tar -xf an.tar -C an');
  const index = JSON.parse(await fs.readFile(path.join(work, 'an/index.json'), 'utf8'));
  assert.is(index.manifests[0].annotations.x, '1');
  const bad = await run('export-oci s1.ndjson -q -o type=oci,dest=bad.tar,annotation-index.k=v');
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /annotation-index needs an image index/);
});

test('a zero-layer image (FROM scratch with only metadata): empty layers list, readable by skopeo', async () => {
  const ctx = path.join(work, 'ctx0');
  await fs.mkdir(ctx);
  await fs.writeFile(path.join(ctx, 'Dockerfile'), 'FROM scratch\nLABEL purpose=metadata-only\nCMD ["none"]\n');
  await build(ctx, path.join(work, 's0'));
  await ok('export-oci s0.ndjson -q -o type=oci,dest=zero.tar -o type=local,dest=zero-dir -o type=tar,dest=zero-fs.tar');
  const raw = await json('skopeo inspect --raw oci-archive:zero.tar');
  assert.equal(raw.layers, []);
  const cfg = await json('skopeo inspect --config oci-archive:zero.tar');
  assert.equal(cfg.rootfs.diff_ids, []);
  assert.is(cfg.config.Labels.purpose, 'metadata-only');
  await ok('skopeo copy -q oci-archive:zero.tar oci-archive:zero-copy.tar');
  assert.equal(await fs.readdir(path.join(work, 'zero-dir')), []);
  assert.is((await ok('tar -tf zero-fs.tar')).stdout.toString(), '');
});

test('stdout: a terminal is refused, a reader that goes away is not an error', async () => {
  const tty = await run('script -qec "export-oci s1.ndjson -q --dest -" /dev/null');
  assert.is(tty.code, 2, tty.stdout.toString());
  assert.match(tty.stdout.toString(), /refusing to write a tarball to a terminal/);
  await ok('export-oci s1.ndjson -q -o type=tar,dest=- | head -c 100 > /dev/null');
});

test('bad options exit 2 with what and why; nothing is written', async () => {
  for (const [args, why] of [
    ['-o type=oci,dest=nope.tar,colour=red', /unknown option "colour" for type=oci/],
    ['-o type=oci,dest=nope.tar,compression=lz4', /invalid compression "lz4"/],
    ['-o type=oci,dest=nope.tar,compression-level=12', /gzip takes 0-9/],
    ['-o type=docker', /type=docker needs dest=FILE/],
    ['-o type=tar,dest=- -o type=oci,dest=-', /only one output can go to stdout/],
    ['-o type=registry,dest=x', /unknown option "dest"/],
  ] as const) {
    const r = await run(`export-oci s1.ndjson -q ${args}`);
    assert.is(r.code, 2, `${args}: ${r.stderr}`);
    assert.match(r.stderr, why);
  }
  assert.not.ok(await fs.access(path.join(work, 'nope.tar')).then(() => true, () => false));
  const missing = await run('export-oci s1.ndjson -q --dest no/such/dir/x.tar');
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /directory .*no\/such\/dir does not exist/);
});

test.run();

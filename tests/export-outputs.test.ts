// export-oci's outputs on a real multi-stage build (df-parse | llb-solve, base
// image from a registry on 127.0.0.1), each judged by the client people use on
// it: skopeo (inspect, copy to a registry and back), umoci, oci-image-tool,
// podman load, docker load (skipped with a reason when there is no engine).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { sh, tempDir } from './helpers/cli.ts';
import { startRegistry, type TestRegistry } from './helpers/registry.ts';
import { pushBusybox } from './helpers/busybox-image.ts';

let reg: TestRegistry;
let work = '';
let records = ''; // llb-solve output of the build, one image record
let store = '';

const ok = async (script: string, env?: Record<string, string>) => {
  const r = await sh(script, { cwd: work, env });
  assert.is(r.code, 0, `${script}\n${r.stderr}`);
  return r;
};
const json = async (script: string) => JSON.parse((await ok(script)).stdout.toString());
const has = async (tool: string) => (await sh(`command -v ${tool}`)).code === 0;

test.before(async () => {
  reg = await startRegistry();
  await pushBusybox(reg.host, 'base/busybox:1');
  work = await tempDir('export-outputs');
  store = path.join(work, 'store');
  await fs.writeFile(path.join(work, 'msg.txt'), 'from the context\n');
  await fs.writeFile(path.join(work, 'Dockerfile'), [
    `FROM ${reg.host}/base/busybox:1 AS build`,
    'WORKDIR /work',
    'COPY msg.txt .',
    'RUN cat msg.txt > out.txt && echo built >> out.txt && mkdir sub && chmod 0750 sub && ln -s out.txt link',
    '',
    `FROM ${reg.host}/base/busybox:1`,
    'COPY --from=build /work/ /app/',
    'RUN rm /etc/group && chown 1000:1000 /app/out.txt',
    'ENV APP_MODE=production',
    'CMD ["cat", "/app/out.txt"]',
    '',
  ].join('\n'));
  await ok(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress quiet > image.ndjson`);
  records = path.join(work, 'image.ndjson');
});

test.after(async () => {
  await reg?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

test('oci tarball: skopeo inspect and copy through a registry, umoci unpack, oci-image-tool validate', async () => {
  const res = await ok(`export-oci ${records} -q -o type=oci,dest=app.tar,name=app:1`);
  const digest = res.stdout.toString().trim();
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  const info = await json('skopeo inspect oci-archive:app.tar:1');
  assert.is(info.Digest, digest);
  assert.is(info.Layers.length, 3);
  const cfg = await json('skopeo inspect --config oci-archive:app.tar:1');
  assert.equal(cfg.config.Cmd, ['cat', '/app/out.txt']);
  assert.ok(cfg.config.Env.includes('APP_MODE=production'));
  await ok(`skopeo copy -q --dest-tls-verify=false oci-archive:app.tar:1 docker://${reg.host}/copied/app:1`);
  const remote = await json(`skopeo inspect --tls-verify=false docker://${reg.host}/copied/app:1`);
  assert.is(remote.Digest, digest, 'the registry keeps the manifest byte for byte');
  await ok(`skopeo copy -q --src-tls-verify=false docker://${reg.host}/copied/app:1 oci-archive:back.tar:1`);
  assert.is((await json('skopeo inspect oci-archive:back.tar:1')).Digest, digest);
  await ok('mkdir layout && tar -xf app.tar -C layout && umoci unpack --image layout:1 bundle');
  assert.is(await fs.readFile(path.join(work, 'bundle/rootfs/app/out.txt'), 'utf8'), 'from the context\nbuilt\n');
  const v = await sh('oci-image-tool validate --type image --ref name=1 layout', { cwd: work });
  assert.is(v.code, 0, v.stdout.toString() + v.stderr);
});

test('whiteouts: a base file deleted in a later step is gone after umoci unpack; owners kept', async () => {
  const rootfs = path.join(work, 'bundle/rootfs');
  await assert.not.ok(await fs.access(path.join(rootfs, 'etc/group')).then(() => true, () => false), '/etc/group removed');
  assert.ok((await fs.stat(path.join(rootfs, 'etc/passwd'))).isFile(), 'its neighbour stays');
  const st = await fs.stat(path.join(rootfs, 'app/out.txt'));
  assert.equal([st.uid, st.gid], [1000, 1000]);
});

test('type=local matches the unpacked image, file by file', async () => {
  await ok(`export-oci ${records} -q -o type=local,dest=local`);
  assert.equal(await tree(path.join(work, 'local')), await tree(path.join(work, 'bundle/rootfs')));
  assert.is(await fs.readlink(path.join(work, 'local/app/link')), 'out.txt');
  assert.is((await fs.stat(path.join(work, 'local/app/sub'))).mode & 0o7777, 0o750);
});

test('docker tarball: skopeo docker-archive, podman load, docker load', async () => {
  await ok(`export-oci ${records} -q --type docker --name app:2 --dest docker.tar`);
  const info = await json('skopeo inspect docker-archive:docker.tar');
  assert.is(info.Layers.length, 3);
  if (await has('podman')) {
    // podman refuses a runroot longer than 50 characters: not under a test's TMPDIR
    const runroot = await fs.mkdtemp('/tmp/pkp-');
    try {
      const p = `podman --root ${work}/podman --runroot ${runroot} --storage-driver vfs`;
      await ok(`${p} load -q -i docker.tar`);
      const img = await json(`${p} image inspect app:2`);
      assert.equal(img[0].Config.Cmd, ['cat', '/app/out.txt']);
    } finally {
      await fs.rm(runroot, { recursive: true, force: true });
    }
  } else console.log('  skipped podman load: podman is not installed (apt-get install podman)');
  if ((await sh('docker info')).code === 0) {
    await ok('docker load -i docker.tar && docker image inspect app:2 >/dev/null && docker rmi app:2');
  } else console.log('  skipped docker load: no docker engine answers here (docker info fails)');
});

test('tar=false directory; type=tar to stdout; several -o at once with one metadata file', async () => {
  const r = await ok(
    `export-oci ${records} -q -o type=oci,tar=false,dest=dir -o type=tar,dest=- -o type=docker,dest=d2.tar,name=app:3 --metadata-file meta.json --iidfile iid | tar -t > fs.list`,
  );
  assert.is(r.stdout.toString(), '', 'stdout carries only the tar');
  const list = (await fs.readFile(path.join(work, 'fs.list'), 'utf8')).split('\n');
  assert.ok(list.includes('app/out.txt') && list.includes('bin/busybox') && !list.includes('etc/group'));
  const meta = JSON.parse(await fs.readFile(path.join(work, 'meta.json'), 'utf8'));
  assert.equal(Object.keys(meta), ['containerimage.config.digest', 'containerimage.descriptor', 'containerimage.digest', 'image.name']);
  assert.is(meta['image.name'], 'docker.io/library/app:3');
  assert.is(meta['containerimage.descriptor'].digest, meta['containerimage.digest']);
  assert.is(await fs.readFile(path.join(work, 'iid'), 'utf8'), meta['containerimage.config.digest']);
  const viaDir = await json('skopeo inspect oci:dir:latest');
  assert.is(viaDir.Digest, meta['containerimage.digest']);
  const rawCfg = (await ok('skopeo inspect --raw --config oci:dir:latest')).stdout;
  assert.is(`sha256:${createHash('sha256').update(rawCfg).digest('hex')}`, meta['containerimage.config.digest']);
  assert.equal((await fs.readdir(work)).filter((n) => n.includes('.tmp-')), [], 'no temp files left');
});

test('two platforms: an image index, per-platform local dirs; docker refuses and nothing is written', async () => {
  await ok(`jq -c '., (.platform.architecture = "arm64" | .platform.variant = "v8" | .config.architecture = "arm64")' ${records} > multi.ndjson`);
  const digest = (await ok('export-oci multi.ndjson -q -o type=oci,dest=multi.tar -o type=local,dest=multi-local')).stdout.toString().trim();
  const raw = await json('skopeo inspect --raw oci-archive:multi.tar');
  assert.is(raw.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.equal(raw.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture), ['amd64', 'arm64']);
  assert.match(digest, /^sha256:/);
  assert.equal((await fs.readdir(path.join(work, 'multi-local'))).sort(), ['linux_amd64', 'linux_arm64']);
  const bad = await sh('export-oci multi.ndjson -q -o type=oci,dest=never1.tar -o type=docker,dest=never2.tar', { cwd: work });
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /docker exporter does not currently support exporting manifest lists/);
  assert.equal((await fs.readdir(work)).filter((n) => n.startsWith('never') || n.includes('.tmp-')), []);
});

test.run();

type Node = { type: string; mode: number; uid: number; gid: number; link?: string; sha?: string };

/** Every path under dir with what a container would see of it. */
async function tree(dir: string): Promise<Record<string, Node>> {
  const out: Record<string, Node> = {};
  const walk = async (rel: string) => {
    for (const name of (await fs.readdir(path.join(dir, rel))).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(dir, r);
      const st = await fs.lstat(abs);
      const n: Node = { type: st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : st.isFile() ? 'file' : 'other', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
      if (st.isSymbolicLink()) n.link = await fs.readlink(abs);
      if (st.isFile()) n.sha = createHash('sha256').update(await fs.readFile(abs)).digest('hex');
      if (st.isSymbolicLink()) n.mode = 0; // symlink modes are not portable
      out[r] = n;
      if (st.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return out;
}

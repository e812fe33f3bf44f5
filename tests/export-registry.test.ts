// export-oci pushing to a real registry (docker-registry on 127.0.0.1): type=registry
// and type=image,push=true, blobs already there skipped, blobs known in another
// repository mounted instead of uploaded, push-by-digest, an index for two
// platforms, and the buildx flag form (--push -t). Checked with skopeo.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { sh, tempDir } from './helpers/cli.ts';
import { startRegistry, type TestRegistry } from './helpers/registry.ts';
import { pushBusybox } from './helpers/busybox-image.ts';

let reg: TestRegistry;
let work = '';

const run = (script: string) => sh(script, { cwd: work });
const ok = async (script: string) => {
  const r = await run(script);
  assert.is(r.code, 0, `${script}\n${r.stderr}`);
  return r;
};
const json = async (script: string) => JSON.parse((await ok(script)).stdout.toString());
const pushed = (stderr: string) => {
  const m = /pushed: (\d+) uploaded, (\d+) mounted, (\d+) already there/.exec(stderr);
  assert.ok(m, stderr);
  return { uploaded: Number(m![1]), mounted: Number(m![2]), skipped: Number(m![3]) };
};

test.before(async () => {
  reg = await startRegistry();
  await pushBusybox(reg.host, 'base/busybox:1');
  work = await tempDir('export-registry');
  await fs.writeFile(path.join(work, 'Dockerfile'), [`FROM ${reg.host}/base/busybox:1`, 'RUN echo pushed > /hello.txt', 'CMD ["cat", "/hello.txt"]', ''].join('\n'));
  await ok('df-parse Dockerfile --store store | llb-solve --store store --progress quiet > image.ndjson');
});

test.after(async () => {
  await reg?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

test('type=registry pushes an image skopeo can read; the digest matches the metadata', async () => {
  const r = await ok(`export-oci image.ndjson -o type=registry,name=${reg.host}/app/one:1 --metadata-file meta.json`);
  const meta = JSON.parse(await fs.readFile(path.join(work, 'meta.json'), 'utf8'));
  assert.is(r.stdout.toString().trim(), meta['containerimage.digest']);
  assert.is(meta['image.name'], `${reg.host}/app/one:1`);
  const info = await json(`skopeo inspect --tls-verify=false docker://${reg.host}/app/one:1`);
  assert.is(info.Digest, meta['containerimage.digest']);
  assert.is(info.Layers.length, 2);
  const cfg = await json(`skopeo inspect --tls-verify=false --config docker://${reg.host}/app/one:1`);
  assert.equal(cfg.config.Cmd, ['cat', '/hello.txt']);
  const first = pushed(r.stderr);
  assert.is(first.uploaded + first.mounted + first.skipped, 3, 'two layers and a config');
});

test('pushing again skips every blob; another repository mounts them', async () => {
  const again = await ok(`export-oci image.ndjson -o type=image,push=true,name=${reg.host}/app/one:1`);
  assert.equal(pushed(again.stderr), { uploaded: 0, mounted: 0, skipped: 3 });
  const other = await ok(`export-oci image.ndjson -o type=image,push=true,name=${reg.host}/app/two:1`);
  assert.equal(pushed(other.stderr), { uploaded: 0, mounted: 3, skipped: 0 });
  const a = await json(`skopeo inspect --tls-verify=false docker://${reg.host}/app/one:1`);
  const b = await json(`skopeo inspect --tls-verify=false docker://${reg.host}/app/two:1`);
  assert.is(b.Digest, a.Digest);
});

test('push-by-digest leaves no tag; --push -t is the flag form', async () => {
  const digest = (await ok(`export-oci image.ndjson -q -o type=image,push=true,push-by-digest=true,name=${reg.host}/app/three`)).stdout.toString().trim();
  // (plain `skopeo inspect` also lists tags, which fails on a repository without any)
  const raw = (await ok(`skopeo inspect --raw --tls-verify=false docker://${reg.host}/app/three@${digest}`)).stdout;
  assert.is(JSON.parse(raw.toString()).mediaType, 'application/vnd.oci.image.manifest.v1+json');
  const tags = await run(`skopeo list-tags --tls-verify=false docker://${reg.host}/app/three`);
  assert.ok(tags.code !== 0 || JSON.parse(tags.stdout.toString()).Tags.length === 0, 'no tag');
  await ok(`export-oci image.ndjson -q --push -t ${reg.host}/app/four:2`);
  assert.is((await json(`skopeo inspect --tls-verify=false docker://${reg.host}/app/four:2`)).Digest, digest);
});

test('two platforms push an image index', async () => {
  await ok(`jq -c '., (.platform.architecture = "arm64" | .platform.variant = "v8" | .config.architecture = "arm64")' image.ndjson > multi.ndjson`);
  const digest = (await ok(`export-oci multi.ndjson -q -o type=registry,name=${reg.host}/app/multi:1`)).stdout.toString().trim();
  const raw = await json(`skopeo inspect --raw --tls-verify=false docker://${reg.host}/app/multi:1`);
  assert.is(raw.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.is(raw.manifests.length, 2);
  const arm = await json(`skopeo --override-arch arm64 --override-variant v8 inspect --tls-verify=false docker://${reg.host}/app/multi@${digest}`);
  assert.is(arm.Architecture, 'arm64');
});

test('a registry that does not answer: exit 1 naming it', async () => {
  const r = await run('export-oci image.ndjson -q -o type=registry,name=127.0.0.1:9/app/x:1');
  assert.is(r.code, 1);
  assert.match(r.stderr, /^export-oci: .*127\.0\.0\.1:9/m);
});

test.run();

// Black-box: multi-platform builds. A two-platform base (Debian's amd64 and
// arm64 busybox-static) in a registry on 127.0.0.1; arm64 steps run under
// QEMU user emulation; FROM --platform=$BUILDPLATFORM runs natively.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sh, tempDir } from './helpers/cli.ts';
import { startRegistry, type TestRegistry } from './helpers/registry.ts';
import { arm64Busybox, pushMultiArch } from './helpers/multiarch-image.ts';

type Img = { platform: { architecture: string }; store: string; layers: { blob: { digest: string; mediaType: string } }[] };

let reg: TestRegistry;
const bb64 = arm64Busybox();

/** A file from the top layer of an image record (layers built here are plain tars in the store). */
async function topFile(img: Img, file: string): Promise<string> {
  const blob = img.layers[img.layers.length - 1].blob;
  const r = await sh(`tar -xOf ${img.store}/blobs/sha256/${blob.digest.slice(7)} ${file}`);
  return r.stdout.toString();
}

async function build(dockerfile: string, platforms: string): Promise<{ images: Img[]; dir: string; err: string }> {
  const dir = await tempDir('mp');
  const store = path.join(dir, 'store');
  await fs.writeFile(path.join(dir, 'Dockerfile'), dockerfile);
  const r = await sh(`df-parse Dockerfile --platform ${platforms} --store ${store} | llb-solve --store ${store} --progress plain > images.ndjson`, { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  const text = await fs.readFile(path.join(dir, 'images.ndjson'), 'utf8');
  return { images: text.trim().split('\n').map((l) => JSON.parse(l) as Img), dir, err: r.stderr };
}

test.before(async () => {
  reg = await startRegistry();
  if (bb64) await pushMultiArch(reg.host, 'base/busybox:multi', [{ architecture: 'amd64', busybox: '/bin/busybox' }, { architecture: 'arm64', busybox: bb64 }]);
});
test.after(async () => {
  await reg?.stop();
});

test('a two-platform build gives an index with both, each RUN on its own architecture', async () => {
  assert.ok(bb64, 'arm64 busybox-static is present (scripts/setup.sh fetches it into .cache/)');
  const { images, dir } = await build(`FROM ${reg.host}/base/busybox:multi\nARG TARGETARCH\nRUN uname -m > /arch && echo $TARGETARCH >> /arch\n`, 'linux/amd64,linux/arm64');
  const byArch = new Map(images.map((i) => [i.platform.architecture, i]));
  assert.is(await topFile(byArch.get('amd64') as Img, 'arch'), 'x86_64\namd64\n');
  assert.is(await topFile(byArch.get('arm64') as Img, 'arch'), 'aarch64\narm64\n');
  const ex = await sh(`export-oci --dest out.tar < images.ndjson && skopeo inspect --raw oci-archive:out.tar`, { cwd: dir });
  assert.is(ex.code, 0, ex.stderr);
  const index = JSON.parse(ex.stdout.toString().split('\n').slice(1).join('\n')) as { manifests: { platform: { architecture: string } }[] };
  assert.equal(index.manifests.map((m) => m.platform.architecture).sort(), ['amd64', 'arm64']);
});

test('FROM --platform=$BUILDPLATFORM runs natively while the final stage is arm64', async () => {
  assert.ok(bb64);
  const { images } = await build([
    `FROM --platform=$BUILDPLATFORM ${reg.host}/base/busybox:multi AS build`,
    'ARG TARGETPLATFORM',
    'RUN echo "$(uname -m) for $TARGETPLATFORM" > /built-on',
    `FROM ${reg.host}/base/busybox:multi`,
    'COPY --from=build /built-on /built-on',
    'RUN uname -m > /runs-on',
  ].join('\n'), 'linux/arm64');
  assert.is(images.length, 1);
  assert.is(images[0].platform.architecture, 'arm64');
  assert.is(await topFile(images[0], 'runs-on'), 'aarch64\n');
  const copied = images[0].layers[images[0].layers.length - 2];
  const r = await sh(`tar -xOf ${images[0].store}/blobs/sha256/${copied.blob.digest.slice(7)} built-on`);
  assert.is(r.stdout.toString(), 'x86_64 for linux/arm64\n');
});

test.run();

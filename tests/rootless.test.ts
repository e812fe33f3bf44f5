// Black-box: an unprivileged user made by the test (with subordinate id ranges)
// builds through the same pipe; the image's files and owners equal a root build's.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, sh, tempDir } from './helpers/cli.ts';

const USER = 'pipekit-rl';
const NOSUB = 'pipekit-nosub';

/** Every entry of every layer: name, type+mode, owner, size (not times). */
async function tree(images: string): Promise<string[]> {
  const img = JSON.parse(images.trim().split('\n').pop() as string) as { store: string; layers: { blob: { digest: string } }[] };
  const out: string[] = [];
  for (const [i, l] of img.layers.entries()) {
    const r = await sh(`tar -tvnf ${img.store}/blobs/sha256/${l.blob.digest.slice(7)} | awk '{print $1, $2, $3, $6, $7, $8}'`);
    out.push(...r.stdout.toString().trim().split('\n').map((x) => `${i} ${x}`));
  }
  return out;
}

async function asUser(user: string, script: string, cwd: string): Promise<{ code: number; out: string; err: string }> {
  const bin = (await sh('dirname "$(command -v df-parse)"')).stdout.toString().trim();
  // the tools' folder (a temp dir of wrappers under Deno) must be reachable by the user
  await fs.chmod(bin, 0o755).catch(() => undefined);
  const r = await sh(`su ${user} -s /bin/bash -c ${JSON.stringify(`export PATH=${bin}:$PATH; cd ${cwd} && ${script}`)}`);
  return { code: r.code, out: r.stdout.toString(), err: r.stderr };
}

test.before(async () => {
  await sh(`id ${USER} >/dev/null 2>&1 || useradd -m ${USER}; grep -q "^${USER}:" /etc/subuid || usermod --add-subuids 300000-365535 --add-subgids 300000-365535 ${USER}`);
  await sh(`id ${NOSUB} >/dev/null 2>&1 || useradd -m ${NOSUB}; sed -i '/^${NOSUB}:/d' /etc/subuid /etc/subgid`);
});

const DOCKERFILE = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  `RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p /etc && printf 'root:x:0:0::/root:/bin/sh\\\\napp:x:1000:1000::/home/app:/bin/sh\\\\n' > /etc/passwd && printf 'root:x:0:\\\\napp:x:1000:\\\\n' > /etc/group"]`,
  'COPY --chown=app:app data.txt /home/app/data.txt',
  'RUN --mount=type=cache,target=/cache mkdir -p /srv && touch /srv/owned /cache/x && chown 1234:5678 /srv/owned && chmod 640 /srv/owned',
].join('\n');

test('a rootless build equals the root build, owners included', async () => {
  const ctx = await tempDir('rl-ctx');
  await fs.copyFile('/bin/busybox', path.join(ctx, 'busybox'));
  await fs.writeFile(path.join(ctx, 'Dockerfile'), `${DOCKERFILE}\n`);
  await fs.writeFile(path.join(ctx, 'data.txt'), 'data\n');
  await sh(`chmod -R a+rX ${ctx}`);
  const rootStore = await tempDir('rl-root-store');
  const asRoot = await sh(`df-parse Dockerfile --store ${rootStore} | llb-solve --store ${rootStore} --progress plain`, { cwd: ctx });
  assert.is(asRoot.code, 0, asRoot.stderr);
  // the user's store outlives this test: --no-cache, so what an older build left there cannot answer
  const rootless = await asUser(USER, 'df-parse Dockerfile | llb-solve --no-cache --progress plain', ctx);
  assert.is(rootless.code, 0, rootless.err);
  assert.match(rootless.out, /cas-store/, 'the store is under the user\'s data dir');
  const a = await tree(asRoot.stdout.toString());
  const b = await tree(rootless.out);
  assert.equal(b, a);
  assert.ok(a.some((l) => /1000\/1000 .*home\/app\/data.txt/.test(l)));
  assert.ok(a.some((l) => /-rw-r----- 1234\/5678 .*srv\/owned/.test(l)));
  assert.not.ok(a.some((l) => l.includes('cache/x')), 'cache mount contents stay out of layers');
});

test('the example builds rootless', async () => {
  await fs.copyFile('/bin/busybox', path.join(ROOT, 'examples', 'busybox'));
  const out = await tempDir('rl-out');
  await sh(`chmod 777 ${out}`);
  const r = await asUser(USER, `df-parse examples/Dockerfile --context examples | llb-solve --progress plain | export-oci --dest ${out}/example.tar`, ROOT);
  assert.is(r.code, 0, r.err);
  const sk = await sh(`skopeo inspect --config oci-archive:${out}/example.tar`);
  assert.is(sk.code, 0, sk.stderr);
  assert.equal(JSON.parse(sk.stdout.toString()).config.Cmd, ['cat', '/srv/greeting.txt']);
});

test('a user without subordinate ids gets an error that says how to add them', async () => {
  const r = await asUser(NOSUB, 'llb-solve < /dev/null', '/tmp');
  assert.ok(r.code !== 0);
  assert.match(r.err, /rootless builds need subordinate ids for user pipekit-nosub/);
  assert.match(r.err, /usermod --add-subuids/);
});

test.run();

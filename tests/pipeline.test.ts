// Black-box: the real pipe `df-parse | llb-solve | export-oci` on the example and
// on a two-stage build FROM an image in a registry on 127.0.0.1, judged by skopeo
// and umoci; a second identical run executes no step.
import { execFileSync } from 'node:child_process';
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, sh, tempDir } from './helpers/cli.ts';
import { inspectOciTar, readRootfsFile } from './helpers/image.ts';
import { startRegistry } from './helpers/registry.ts';
import { pushBusybox } from './helpers/busybox-image.ts';
import { busyboxContext } from './helpers/busybox-context.ts';
import { fileCapability, setFileCapability } from '../packages/cas-store/src/index.ts';

type Rawjson = { vertexes?: { name: string; cached?: boolean; started?: string; completed?: string }[] };

/** Names of vertices that ran (completed, not cached) in a rawjson stream; internal local loads excluded. */
function executed(stderr: string): string[] {
  const ran = new Set<string>();
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const ev = JSON.parse(line) as Rawjson;
    for (const v of ev.vertexes ?? []) if (v.completed && !v.cached && !v.name.startsWith('[internal]')) ran.add(v.name);
  }
  return [...ran];
}

test('the example builds, passes skopeo and umoci, and rebuilds from cache', async () => {
  const store = await tempDir('store');
  const out = await tempDir('out');
  await fs.copyFile('/bin/busybox', path.join(ROOT, 'examples', 'busybox'));
  const pipe = `df-parse examples/Dockerfile --context examples --store ${store} | llb-solve --store ${store} --progress rawjson | export-oci --dest ${out}/example.tar`;
  // a fixed SOURCE_DATE_EPOCH makes timestamps, and so the digest, repeatable
  const env = { SOURCE_DATE_EPOCH: '1700000000' };
  const first = await sh(pipe, { env });
  assert.is(first.code, 0, first.stderr);
  assert.match(first.stdout.toString(), /^sha256:[0-9a-f]{64}\n$/);
  assert.ok(executed(first.stderr).length >= 5, 'steps ran on the first build');
  const img = await inspectOciTar(`${out}/example.tar`);
  assert.equal(img.config.config.Cmd, ['cat', '/srv/greeting.txt']);
  assert.ok(img.config.config.Env?.includes('GREETING_FILE=/srv/greeting.txt'));
  assert.ok('8080/tcp' in (img.config.config.ExposedPorts ?? {}));
  assert.match(await readRootfsFile(img.rootfs, 'srv/greeting.txt'), /hello from Linux/);
  const second = await sh(pipe, { env });
  assert.is(second.code, 0, second.stderr);
  assert.equal(executed(second.stderr), [], 'nothing executes the second time');
  assert.is(second.stdout.toString(), first.stdout.toString(), 'same manifest digest');
});

test('layers compressed during the build are the ones the export would make', async () => {
  const ctx = await tempDir('ctx');
  await fs.copyFile('/bin/busybox', path.join(ctx, 'busybox'));
  // the RUN waits, so the COPY layer before it is compressed meanwhile (at
  // nice 19: with the whole suite running, 1 s was sometimes not enough)
  await fs.writeFile(path.join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "/bin/busybox sleep 3 && echo done > /done"]\n');
  const digests: string[] = [];
  for (const flag of ['', '--precompress none']) {
    const store = await tempDir('store');
    const solved = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress quiet ${flag} > records.ndjson`, { cwd: ctx, env: { SOURCE_DATE_EPOCH: '1700000000' } });
    assert.is(solved.code, 0, solved.stderr);
    const mappings = await fs.readdir(path.join(store, 'export-oci', 'layers', 'gzip-6-epoch1700000000')).catch(() => [] as string[]);
    // the COPY's layer while the RUN waits, the RUN's small one as the build ends
    const layers = (JSON.parse(await fs.readFile(path.join(ctx, 'records.ndjson'), 'utf8')) as { layers: unknown[] }).layers.length;
    assert.is(layers, 2);
    assert.is(mappings.length, flag ? 0 : layers, `compressed ahead: ${flag || 'default'}`);
    const out = await sh(`export-oci --dest ${ctx}/out.tar < records.ndjson`, { cwd: ctx, env: { SOURCE_DATE_EPOCH: '1700000000' } });
    assert.is(out.code, 0, out.stderr);
    digests.push(out.stdout.toString());
  }
  assert.is(digests[0], digests[1], 'same manifest digest either way');
});

test('two-stage build FROM a registry image', async () => {
  const reg = await startRegistry();
  try {
    await pushBusybox(reg.host, 'base/busybox:1');
    const ctx = await tempDir('ctx');
    const store = await tempDir('store');
    await fs.writeFile(path.join(ctx, 'msg.txt'), 'from the context\n');
    await fs.writeFile(path.join(ctx, 'Dockerfile'), [
      `FROM ${reg.host}/base/busybox:1 AS build`,
      'WORKDIR /work',
      'COPY msg.txt .',
      'RUN cat msg.txt > out.txt && echo built >> out.txt',
      '',
      `FROM ${reg.host}/base/busybox:1`,
      'ENV APP_MODE=production',
      'COPY --from=build /work/out.txt /app/out.txt',
      'CMD ["cat", "/app/out.txt"]',
      '',
    ].join('\n'));
    const pipe = `df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress rawjson | export-oci --dest ${ctx}/out.tar`;
    const first = await sh(pipe, { cwd: ctx });
    assert.is(first.code, 0, first.stderr);
    const img = await inspectOciTar(`${ctx}/out.tar`);
    assert.equal(img.config.config.Cmd, ['cat', '/app/out.txt']);
    assert.ok(img.config.config.Env?.includes('APP_MODE=production'));
    assert.is(await readRootfsFile(img.rootfs, 'app/out.txt'), 'from the context\nbuilt\n');
    assert.ok((await fs.lstat(path.join(img.rootfs, 'bin', 'sh'))).isSymbolicLink(), 'base image files are there');
    const second = await sh(pipe, { cwd: ctx });
    assert.is(second.code, 0, second.stderr);
    assert.equal(executed(second.stderr), []);
  } finally {
    await reg.stop();
  }
});

test("file capabilities survive COPY (from the context and from a stage), a RUN, the export and umoci unpack", async () => {
  // revision 2, effective; permitted cap_setuid (7) and cap_net_bind_service (10): 0x480
  const cap = Buffer.from([0x01, 0, 0, 0x02, 0x80, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const ctx = await busyboxContext([
    // a busybox named busybox-* runs its first argument as the applet
    'COPY busybox-cap /bin/busybox-cap',
    'USER 1000',
    'RUN /bin/busybox-cap grep CapEff /proc/self/status',
    'FROM scratch',
    'COPY --from=bb /bin/busybox-cap /busybox-cap',
  ].join('\n'));
  await fs.copyFile('/bin/busybox', path.join(ctx, 'busybox-cap'));
  assert.ok(setFileCapability(path.join(ctx, 'busybox-cap'), cap));
  const store = await tempDir('store');
  const res = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress plain | export-oci --dest ${ctx}/out.tar`, { cwd: ctx });
  assert.is(res.code, 0, res.stderr);
  // the step ran as uid 1000 and still got the file's capabilities
  assert.match(res.stderr, /CapEff:\s+0000000000000480/);
  const img = await inspectOciTar(`${ctx}/out.tar`);
  assert.ok(fileCapability(path.join(img.rootfs, 'busybox-cap'))?.equals(cap));
});

test('device nodes and named pipes, made by a RUN or in the context, reach the image and a local export through COPY', async () => {
  const ctx = await busyboxContext([
    'RUN mkdir -p /rootfs/dev && mknod -m 666 /rootfs/dev/null c 1 3 && mknod -m 660 /rootfs/dev/loop9 b 7 9 && mkfifo -m 600 /rootfs/dev/initctl',
    'FROM scratch',
    'COPY --from=bb /rootfs /',
    'COPY ctx-pipe /run/ctx-pipe',
  ].join('\n'));
  execFileSync('mknod', ['-m', '0640', path.join(ctx, 'ctx-pipe'), 'p']);
  const store = await tempDir('store');
  const res = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress plain | export-oci -o type=oci,dest=${ctx}/out.tar -o type=local,dest=${ctx}/rootfs`, { cwd: ctx });
  assert.is(res.code, 0, res.stderr);
  const img = await inspectOciTar(`${ctx}/out.tar`);
  for (const root of [img.rootfs, `${ctx}/rootfs`]) {
    const st = (p: string) => fs.lstat(path.join(root, p));
    const kind = (s: Stats) => (s.isCharacterDevice() ? 'c' : s.isBlockDevice() ? 'b' : s.isFIFO() ? 'p' : '?');
    const nul = await st('dev/null');
    assert.equal([kind(nul), nul.rdev >> 8, nul.rdev & 0xff, nul.mode & 0o777], ['c', 1, 3, 0o666], root);
    const loop = await st('dev/loop9');
    assert.equal([kind(loop), loop.rdev >> 8, loop.rdev & 0xff, loop.mode & 0o777], ['b', 7, 9, 0o660], root);
    const fifo = await st('dev/initctl');
    assert.equal([kind(fifo), fifo.mode & 0o777], ['p', 0o600], root);
    const fromCtx = await st('run/ctx-pipe');
    assert.equal([kind(fromCtx), fromCtx.mode & 0o777], ['p', 0o640], root);
  }
});

test.run();

// Black-box: `secret-agent serve` shared by builds through --session, its
// private socket and token, and concurrent builds that each see only their own
// secrets (two separate agents and one in-process session at the same time).
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sh, tempDir } from './helpers/cli.ts';
import { inspectOciTar, readRootfsFile } from './helpers/image.ts';

const DOCKERFILE = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin"]',
  'ENV PATH=/bin',
  // what this build saw, as hashes: never the values themselves
  'RUN --mount=type=secret,id=tok --mount=type=secret,id=only-a sh -c \'sha256sum /run/secrets/tok | cut -d" " -f1 > /tok.sha; if [ -e /run/secrets/only-a ]; then echo yes; else echo no; fi > /has-only-a\'',
];

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function context(): Promise<string> {
  const dir = await tempDir('session-ctx');
  await fs.copyFile('/bin/busybox', path.join(dir, 'busybox'));
  await fs.writeFile(path.join(dir, 'Dockerfile'), `${DOCKERFILE.join('\n')}\n`);
  return dir;
}

type Session = { socket: string; token: string; pid: number };

async function serve(flags: string, env: Record<string, string> = {}): Promise<Session> {
  const r = await sh(`secret-agent serve --detach ${flags}`, { env });
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.toString()) as Session;
}

test('serve --format sh: a private socket, a token, ls lists ids only, and a build uses it', async () => {
  const ctx = await context();
  const out = await tempDir('session-out');
  await fs.writeFile(path.join(out, 'tok'), 'pk-shared-value-31ac');
  const script = [
    `eval "$(secret-agent serve --detach --format sh --secret id=tok,src=${out}/tok)"`,
    'stat -c "%a %F" "$PIPEKIT_SESSION" "$(dirname "$PIPEKIT_SESSION")"',
    'secret-agent ls',
    `df-parse Dockerfile --store ${out}/store | llb-solve --store ${out}/store --session "$PIPEKIT_SESSION" | export-oci --dest ${out}/image.tar > /dev/null`,
    `df-parse Dockerfile --store ${out}/store | llb-solve --store ${out}/store --session "$PIPEKIT_SESSION" --progress rawjson > /dev/null`,
    'kill "$SECRET_AGENT_PID"',
  ].join('\n');
  const r = await sh(script, { cwd: ctx });
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.toString().trim().split('\n');
  assert.equal(lines.slice(0, 2), ['600 socket', '700 directory']);
  assert.equal(JSON.parse(lines[2]), { secrets: [{ id: 'tok', cacheContent: false }], ssh: [] });
  assert.not.match(r.stdout.toString() + r.stderr, /pk-shared-value/);
  const img = await inspectOciTar(`${out}/image.tar`);
  assert.is((await readRootfsFile(img.rootfs, 'tok.sha')).trim(), sha256('pk-shared-value-31ac'));
  assert.is(await readRootfsFile(img.rootfs, 'has-only-a'), 'no\n');
  assert.match(r.stderr, /"cached":true/, 'the second build of the shared session hits the cache');
});

test('concurrent builds each see only their own secrets', async () => {
  const ctx = await context();
  const out = await tempDir('session-concurrent');
  const a = await serve('--secret id=tok,env=PK_A --secret id=only-a,env=PK_ONLY', { PK_A: 'pk-value-of-a-1f2e', PK_ONLY: 'pk-only-a-77' });
  const b = await serve('--secret id=tok,env=PK_B', { PK_B: 'pk-value-of-b-9d8c' });
  try {
    // each build its own store, so no build can reuse another's cached step
    const build = (name: string, flags: string, env: Record<string, string>) =>
      sh(`df-parse Dockerfile --store ${out}/${name} | llb-solve --store ${out}/${name} --progress plain ${flags} | export-oci --dest ${out}/${name}.tar`, { cwd: ctx, env });
    const [ra, rb, rc] = await Promise.all([
      build('a', `--session ${a.socket}`, { PIPEKIT_SESSION_TOKEN: a.token }),
      build('b', `--session ${b.socket}`, { PIPEKIT_SESSION_TOKEN: b.token }),
      build('c', '--secret id=tok,env=PK_C', { PK_C: 'pk-value-of-c-4b4b' }),
    ]);
    for (const r of [ra, rb, rc]) assert.is(r.code, 0, r.stderr);
    const seen = async (name: string) => {
      const img = await inspectOciTar(`${out}/${name}.tar`);
      return [(await readRootfsFile(img.rootfs, 'tok.sha')).trim(), (await readRootfsFile(img.rootfs, 'has-only-a')).trim()];
    };
    assert.equal(await seen('a'), [sha256('pk-value-of-a-1f2e'), 'yes']);
    assert.equal(await seen('b'), [sha256('pk-value-of-b-9d8c'), 'no']);
    assert.equal(await seen('c'), [sha256('pk-value-of-c-4b4b'), 'no']);
    // and a build holding b's socket but a's token gets nothing
    const cross = await sh(`df-parse Dockerfile --store ${out}/x | llb-solve --store ${out}/x --session ${b.socket}`, { cwd: ctx, env: { PIPEKIT_SESSION_TOKEN: a.token } });
    assert.is(cross.code, 1);
    assert.match(cross.stderr, /refused the token/);
  } finally {
    process.kill(a.pid);
    process.kill(b.pid);
  }
});

test.run();

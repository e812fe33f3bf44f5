import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { BuildError, type ExecOp, type Mount } from '@pipekit/wire';
import { Store } from '@pipekit/cas-store';
import { LocalSession, type SessionProvider } from '@pipekit/secret-agent';
import type { SolveContext } from '../context.ts';
import { secretCacheKeys, secretMount, withSecretEnv } from './secret-mounts.ts';

const tmp = (p: string) => fs.mkdtemp(path.join(os.tmpdir(), `pipekit-${p}-`));
const base: Mount = { input: -1, selector: '', dest: '/', output: 0, readonly: true, type: 'bind', cache: null, tmpfs: null, secret: null, ssh: null };
const secret = (id: string, extra: Partial<Mount['secret'] & object> = {}): Mount =>
  ({ ...base, dest: `/run/secrets/${id}`, type: 'secret', secret: { id, uid: 0, gid: 0, mode: 0o400, optional: true, ...extra } });
const exec = (mounts: Mount[], secretEnv: ExecOp['secretEnv'] = []): ExecOp =>
  ({ meta: { args: ['true'], env: [], cwd: '/', user: '', hostname: '', validExitCodes: [] }, mounts: [base, ...mounts], network: 'sandbox', security: 'sandbox', secretEnv });

async function ctxWith(session: SessionProvider | undefined): Promise<SolveContext> {
  const store = await Store.open(await tmp('store'));
  return { store, session } as unknown as SolveContext;
}

const mounts = () => fs.readFile('/proc/self/mounts', 'utf8');
const run = (file: string, args: string[], env: Record<string, string>) =>
  new Promise<{ code: number; out: string }>((resolve) => execFile(file, args, { env: { ...process.env, ...env } }, (err, out) => resolve({ code: err ? 1 : 0, out: String(out) })));

test('a secret file sits alone on its own tmpfs, with the mount\'s mode and owner, and goes away', async () => {
  const ctx = await ctxWith(await LocalSession.open({ secrets: ['id=tok,env=T'], env: { T: 'the-value' } }));
  const sm = await secretMount(ctx, secret('tok', { uid: 1234, gid: 99, mode: 0o440 }));
  assert.ok(sm);
  const { mount, cleanup } = sm;
  assert.is(mount.destination, '/run/secrets/tok');
  assert.equal(mount.options.slice(0, 2), ['rbind', 'ro']);
  assert.is(await fs.readFile(mount.source, 'utf8'), 'the-value');
  const st = await fs.stat(mount.source);
  assert.is(st.mode & 0o777, 0o440);
  assert.is(st.uid, 1234);
  assert.is(st.gid, 99);
  const dir = path.dirname(mount.source);
  assert.ok((await mounts()).split('\n').some((l) => l.startsWith(`tmpfs ${dir} tmpfs`)), 'on a tmpfs');
  assert.is((await fs.stat(dir)).mode & 0o777, 0o700);
  await cleanup();
  assert.not.ok((await mounts()).includes(dir), 'unmounted');
  assert.not.ok(await fs.stat(dir).catch(() => undefined), 'removed');
});

test('an optional secret that is not given is skipped; a required one fails naming it', async () => {
  const ctx = await ctxWith(undefined);
  assert.is(await secretMount(ctx, secret('nope')), undefined);
  try {
    await secretMount(ctx, secret('nope', { optional: false }));
    assert.unreachable();
  } catch (err) {
    assert.instance(err, BuildError);
    assert.match((err as Error).message, /secret "nope" is required/);
  }
});

test('an ssh mount is a socket served by the session agent', async () => {
  const dir = await tmp('keys');
  const key = path.join(dir, 'k');
  assert.is((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mount-test-key', '-f', key], {})).code, 0);
  const ctx = await ctxWith(await LocalSession.open({ ssh: [`default=${key}`] }));
  const m: Mount = { ...base, dest: '/run/buildkit/ssh_agent.0', type: 'ssh', ssh: { id: 'default', uid: 0, gid: 0, mode: 0o600, optional: true } };
  const sm = await secretMount(ctx, m);
  assert.ok(sm);
  assert.ok((await fs.stat(sm.mount.source)).isSocket());
  assert.is((await fs.stat(sm.mount.source)).mode & 0o777, 0o600);
  const l = await run('ssh-add', ['-l'], { SSH_AUTH_SOCK: sm.mount.source });
  assert.match(l.out, /mount-test-key/);
  await sm.cleanup();
  assert.not.ok(await fs.stat(sm.mount.source).catch(() => undefined));
  assert.is(await secretMount(ctx, { ...m, ssh: { ...m.ssh!, id: 'other' } }), undefined);
});

test('secret env joins the process env, replacing a same-named entry', async () => {
  const ctx = await ctxWith(await LocalSession.open({ secrets: ['id=api,env=A'], env: { A: 'api-value' } }));
  const e = exec([], [{ id: 'api', name: 'API_KEY', optional: false }, { id: 'absent', name: 'X', optional: true }]);
  assert.equal(await withSecretEnv(ctx, e, ['PATH=/bin', 'API_KEY=placeholder']), ['PATH=/bin', 'API_KEY=api-value']);
});

test('cache keys: nothing unless cache=content, then a keyed hash that follows the value', async () => {
  const e = exec([secret('tok')]);
  const plain = await ctxWith(await LocalSession.open({ secrets: ['id=tok,env=T'], env: { T: 'v1' } }));
  assert.equal(await secretCacheKeys(plain, e), {});
  const store = (await ctxWith(undefined)).store;
  const keyFor = async (v: string) => secretCacheKeys({ store, session: await LocalSession.open({ secrets: ['id=tok,env=T,cache=content'], env: { T: v } }) } as unknown as SolveContext, e);
  const k1 = await keyFor('value-one');
  assert.match(JSON.stringify(k1), /hmac-sha256:[0-9a-f]{64}/);
  assert.not.match(JSON.stringify(k1), /value-one/);
  assert.equal(await keyFor('value-one'), k1);
  assert.not.equal(await keyFor('value-two'), k1);
  assert.equal(await secretCacheKeys({ store, session: await LocalSession.open({ secrets: ['id=tok,env=T,cache=content'], env: { T: 'x' } }) } as unknown as SolveContext, exec([])), {}, 'unused secrets do not count');
});

test.run();

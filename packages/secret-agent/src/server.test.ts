import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { NotFoundError, RemoteError } from '@pipekit/wire';
import { RemoteSession } from './client.ts';
import { headerLine } from './protocol.ts';
import { serveSession } from './server.ts';
import { LocalSession } from './session.ts';
import { makeKey, sshAdd, tempDir } from './testing.ts';

const rejectsWith = async (p: Promise<unknown>, cls: new (...a: never[]) => Error, re: RegExp) => {
  try {
    await p;
  } catch (err) {
    assert.instance(err, cls);
    assert.match((err as Error).message, re);
    return;
  }
  assert.unreachable('expected a rejection');
};

async function rawRequest(sock: string, line: string): Promise<string> {
  const c = net.connect(sock);
  c.write(line);
  let out = '';
  for await (const d of c) out += d;
  return out;
}

test('the socket is 0600 in a fresh 0700 directory, removed on close', async () => {
  const dir = await tempDir();
  const session = await LocalSession.open({ secrets: ['id=a,env=A'], env: { A: 'x' } });
  const served = await serveSession(session, { dir });
  assert.is((await fs.stat(served.socket)).mode & 0o777, 0o600);
  assert.is((await fs.stat(path.dirname(served.socket))).mode & 0o777, 0o700);
  assert.match(served.token, /^[0-9a-f]{64}$/);
  await served.close();
  assert.equal(await fs.readdir(dir), []);
});

test('a client with the token gets ids and values; without it, nothing', async () => {
  const dir = await tempDir();
  await fs.writeFile(path.join(dir, 'f'), 'file-secret');
  const session = await LocalSession.open({ secrets: [`id=f,src=${dir}/f`, 'id=e,env=E,cache=content'], env: { E: 'env-secret' } });
  const served = await serveSession(session, { dir });
  try {
    const good = await RemoteSession.connect(served.socket, served.token);
    assert.equal(await good.info(), { secrets: [{ id: 'f', cacheContent: false }, { id: 'e', cacheContent: true }], ssh: [] });
    assert.is((await good.getSecret('f'))?.toString(), 'file-secret');
    assert.is((await good.getSecret('e'))?.toString(), 'env-secret');
    assert.is(await good.getSecret('nope'), undefined);
    await rejectsWith(good.forwardAgent('default', new net.Socket()), NotFoundError, /no ssh agent "default"/);
    await rejectsWith(RemoteSession.connect(served.socket, 'f'.repeat(64)), RemoteError, /refused the token.*PIPEKIT_SESSION_TOKEN/);
    const raw = await rawRequest(served.socket, headerLine({ v: 1, token: 'wrong', op: 'secret', id: 'f' }));
    assert.not.match(raw, /file-secret/);
    assert.match(raw, /"denied"/);
  } finally {
    await served.close();
  }
  await rejectsWith(RemoteSession.connect(served.socket, served.token), RemoteError, /cannot reach the secret-agent session/);
});

test('ssh agent forwarded through the session socket', async () => {
  const dir = await tempDir();
  const key = await makeKey(dir, 'forwarded-key');
  const session = await LocalSession.open({ ssh: [`default=${key}`] });
  const served = await serveSession(session, { dir });
  const remote = await RemoteSession.connect(served.socket, served.token);
  // what llb-solve does: a local socket whose connections go to the session's agent
  const local = path.join(dir, 'local.sock');
  const srv = net.createServer((c) => void remote.forwardAgent('default', c).catch(() => c.destroy()));
  await new Promise<void>((r) => srv.listen(local, () => r()));
  try {
    const l = await sshAdd(local, '-l');
    assert.is(l.code, 0, l.stderr);
    assert.match(l.stdout, /forwarded-key/);
    assert.is((await sshAdd(local, '-T', `${key}.pub`)).code, 0);
    assert.is.not((await sshAdd(local, '-D')).code, 0);
  } finally {
    srv.close();
    await served.close();
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { NotFoundError, UsageError } from '@pipekit/wire';
import { ReadOnlyAgentProxy } from './agent-proxy.ts';
import { Keyring } from './keyring.ts';
import { loadSshAgent, parseSshSpec } from './ssh-spec.ts';
import { makeKey, tempDir } from './testing.ts';

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

test('parse: default, default=SOCKET, ID=KEY,KEY', () => {
  assert.equal(parseSshSpec('default'), { id: 'default', paths: [] });
  assert.equal(parseSshSpec('default=/run/agent.sock'), { id: 'default', paths: ['/run/agent.sock'] });
  assert.equal(parseSshSpec('gh=/k/a,/k/b'), { id: 'gh', paths: ['/k/a', '/k/b'] });
});

test('parse: bad specs', () => {
  assert.throws(() => parseSshSpec('=x'), (e: Error) => e instanceof UsageError && /the id is empty/.test(e.message));
  assert.throws(() => parseSshSpec('a b=x'), (e: Error) => e instanceof UsageError && /may only hold/.test(e.message));
  assert.throws(() => parseSshSpec('default=raw=true'), (e: Error) => e instanceof UsageError && /not supported/.test(e.message));
});

test('load: key files make a keyring, a socket a read-only proxy', async () => {
  const dir = await tempDir();
  const a = await makeKey(dir, 'a');
  const b = await makeKey(dir, 'b', 'rsa');
  assert.instance(await loadSshAgent(parseSshSpec(`k=${a},${b}`), {}), Keyring);
  const sock = path.join(dir, 's.sock');
  const srv = net.createServer().listen(sock);
  await new Promise((r) => srv.once('listening', r));
  try {
    assert.instance(await loadSshAgent(parseSshSpec('default'), { SSH_AUTH_SOCK: sock }), ReadOnlyAgentProxy);
    await rejectsWith(loadSshAgent(parseSshSpec(`k=${sock},${a}`), {}), UsageError, /cannot be combined/);
  } finally {
    srv.close();
  }
});

test('load: clear errors', async () => {
  const dir = await tempDir();
  await rejectsWith(loadSshAgent(parseSshSpec('default'), {}), UsageError, /SSH_AUTH_SOCK is not set/);
  await rejectsWith(loadSshAgent(parseSshSpec(`k=${dir}/nope`), {}), NotFoundError, /no such file/);
  await rejectsWith(loadSshAgent(parseSshSpec(`k=${dir}`), {}), UsageError, /neither a socket nor a key file/);
  const enc = await makeKey(dir, 'enc', 'ed25519', 'a passphrase');
  await rejectsWith(loadSshAgent(parseSshSpec(`k=${enc}`), {}), UsageError, /protected by a passphrase.*ssh-add/);
  await rejectsWith(loadSshAgent(parseSshSpec(`k=${enc}.pub`), {}), UsageError, /public key/);
  await fs.writeFile(path.join(dir, 'junk'), 'not a key\n');
  await rejectsWith(loadSshAgent(parseSshSpec(`k=${dir}/junk`), {}), UsageError, /not an SSH private key/);
});

test.run();

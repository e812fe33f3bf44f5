import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ReadOnlyAgentProxy } from './agent-proxy.ts';
import { agentFrames } from './agent-frames.ts';
import { makeKey, run, sshAdd, startSshAgent, tempDir } from './testing.ts';

test('agentFrames splits and joins frames across chunks', async () => {
  async function* chunks() {
    yield Buffer.from([0, 1, 11, 0, 0]);
    yield Buffer.from([0, 2, 13, 99]);
  }
  const got: number[][] = [];
  for await (const f of agentFrames(chunks(), Buffer.from([0, 0]))) got.push([...f]);
  assert.equal(got, [[0, 0, 0, 1, 11], [0, 0, 0, 2, 13, 99]]);
});

test('read-only proxy over a real ssh-agent: list and sign pass, add/remove/lock are refused', async () => {
  const dir = await tempDir();
  const up = await startSshAgent(dir);
  const key = await makeKey(dir, 'upstream-key');
  const other = await makeKey(dir, 'other-key');
  assert.is((await sshAdd(up.sock, key)).code, 0);
  const sock = path.join(dir, 'proxy.sock');
  const proxy = new ReadOnlyAgentProxy(up.sock);
  const srv = net.createServer((c) => proxy.serve(c));
  await new Promise<void>((r) => srv.listen(sock, () => r()));
  try {
    const l = await sshAdd(sock, '-l');
    assert.is(l.code, 0, l.stderr);
    assert.match(l.stdout, /upstream-key/);
    assert.is((await sshAdd(sock, '-T', `${key}.pub`)).code, 0, 'signing passes through');
    assert.is.not((await sshAdd(sock, '-D')).code, 0, 'remove all refused');
    assert.is.not((await sshAdd(sock, '-d', `${key}.pub`)).code, 0, 'remove refused');
    assert.is.not((await sshAdd(sock, other)).code, 0, 'add refused');
    // the lock password comes from an askpass program, not a terminal
    const askpass = path.join(dir, 'askpass');
    await fs.writeFile(askpass, '#!/bin/sh\necho lock-password\n', { mode: 0o755 });
    const lock = await run('ssh-add', ['-x'], { SSH_AUTH_SOCK: sock, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' });
    assert.is.not(lock.code, 0, 'lock refused');
    assert.match(lock.stderr, /Failed to lock agent/);
    const after = await sshAdd(up.sock, '-l');
    assert.match(after.stdout, /upstream-key/, 'the real agent still has its key');
    assert.not.match(after.stdout, /other-key/);
  } finally {
    srv.close();
    up.kill();
  }
});

test.run();

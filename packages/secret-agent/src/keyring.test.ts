import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import path from 'node:path';
import { loadSshAgent, parseSshSpec } from './ssh-spec.ts';
import type { AgentBackend } from './types.ts';
import { makeKey, sshAdd, tempDir } from './testing.ts';

async function serve(agent: AgentBackend, dir: string): Promise<{ sock: string; close: () => void }> {
  const sock = path.join(dir, 'agent.sock');
  const srv = net.createServer((c) => agent.serve(c));
  await new Promise<void>((r) => srv.listen(sock, () => r()));
  return { sock, close: () => srv.close() };
}

test('ssh-add lists the keys, and signing works (ssh-add -T)', async () => {
  const dir = await tempDir();
  const a = await makeKey(dir, 'key-a');
  const b = await makeKey(dir, 'key-b', 'rsa');
  const s = await serve(await loadSshAgent(parseSshSpec(`k=${a},${b}`), {}), dir);
  try {
    const l = await sshAdd(s.sock, '-l');
    assert.is(l.code, 0, l.stderr);
    assert.match(l.stdout, /key-a \(ED25519\)/);
    assert.match(l.stdout, /key-b \(RSA\)/);
    for (const k of [a, b]) {
      const t = await sshAdd(s.sock, '-T', `${k}.pub`);
      assert.is(t.code, 0, `ssh-add -T ${k}: ${t.stderr}`);
    }
  } finally {
    s.close();
  }
});

test('adding, removing and locking are refused', async () => {
  const dir = await tempDir();
  const a = await makeKey(dir, 'key-a');
  const other = await makeKey(dir, 'other');
  const s = await serve(await loadSshAgent(parseSshSpec(`k=${a}`), {}), dir);
  try {
    assert.is.not((await sshAdd(s.sock, '-D')).code, 0);
    assert.is.not((await sshAdd(s.sock, '-d', `${a}.pub`)).code, 0);
    assert.is.not((await sshAdd(s.sock, other)).code, 0);
    const l = await sshAdd(s.sock, '-l');
    assert.match(l.stdout, /key-a/);
    assert.not.match(l.stdout, /other/);
  } finally {
    s.close();
  }
});

test.run();

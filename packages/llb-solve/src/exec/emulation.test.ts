import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BuildError } from '@pipekit/wire';
import { ensureEmulation } from './emulation.ts';

const amd64 = { os: 'linux', architecture: 'amd64', variant: '' };
const arm64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };

async function fakeBinfmt(entries: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'binfmt-'));
  // a "register" file makes it look mounted, so nothing tries to mount it
  await fs.writeFile(path.join(dir, 'register'), '');
  for (const [name, text] of Object.entries(entries)) await fs.writeFile(path.join(dir, name), text);
  return dir;
}

test('the host platform needs no emulation', async () => {
  await ensureEmulation(amd64, amd64, '/nonexistent');
});

test('a registered, enabled interpreter is accepted', async () => {
  await ensureEmulation(arm64, amd64, await fakeBinfmt({ 'qemu-aarch64': 'enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\n' }));
});

for (const [name, entries] of [['missing', {}], ['disabled', { 'qemu-aarch64': 'disabled\n' }]] as const) {
  test(`a ${name} interpreter gives an error that says what to install`, async () => {
    try {
      await ensureEmulation(arm64, amd64, await fakeBinfmt(entries));
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, BuildError);
      assert.match((err as Error).message, /RUN for linux\/arm64 needs QEMU user emulation/);
      assert.match((err as Error).message, /apt-get install qemu-user-static binfmt-support/);
      assert.match((err as Error).message, /update-binfmts --enable qemu-aarch64/);
    }
  });
}

test('an architecture QEMU does not know is named', async () => {
  try {
    await ensureEmulation({ os: 'linux', architecture: 'vax', variant: '' }, amd64, await fakeBinfmt({}));
    assert.unreachable('should throw');
  } catch (err) {
    assert.match((err as Error).message, /no QEMU emulator is known for vax/);
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { inUserNamespace } from '@pipekit/wire';
import { deviceNumbers, makeSpecialFile, specialFields, specialKind } from './special-files.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'special-files-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const canMknod = process.getuid?.() === 0 && !inUserNamespace();

test('device numbers split as tar and mknod number them (small, 12-bit major, 20-bit minor)', () => {
  for (const [major, minor] of [[1, 3], [0, 0], [8, 255], [259, 70000], [4095, 1048575]]) {
    // Linux's makedev
    const rdev = (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
    assert.equal(deviceNumbers(rdev >>> 0), { devmajor: major, devminor: minor }, `${major}:${minor}`);
  }
});

test('a named pipe is made, and its kind is read back', async () => {
  const p = path.join(dir, 'pipe');
  await makeSpecialFile(p, 'fifo');
  assert.is(specialKind(lstatSync(p)), 'fifo');
  assert.is(specialKind(lstatSync(dir)), undefined);
  // a pipe's tar fields carry no device numbers
  assert.equal(specialFields(lstatSync(p)), { type: 'fifo' });
  assert.is(specialFields(lstatSync(dir)), undefined);
});

test('device nodes are made with their numbers', async () => {
  if (!canMknod) return;
  for (const [kind, major, minor] of [['character-device', 1, 3], ['block-device', 259, 70000]] as const) {
    const p = path.join(dir, kind);
    await makeSpecialFile(p, kind, major, minor);
    const st = lstatSync(p);
    assert.is(specialKind(st), kind);
    assert.equal(deviceNumbers(st.rdev), { devmajor: major, devminor: minor });
    assert.equal(specialFields(st), { type: kind, devmajor: major, devminor: minor });
  }
});

test("a node that cannot be made throws mknod's reason", async () => {
  await makeSpecialFile(path.join(dir, 'missing', 'pipe'), 'fifo').then(
    () => assert.unreachable('mknod should fail'),
    (err: Error) => assert.match(err.message, /No such file or directory/),
  );
});

test.run();

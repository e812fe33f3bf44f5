import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readWhole } from './read-whole.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pipekit-test-read-whole-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

// the size a caller passes is what it stat'ed; the file may have changed since
const cases: Array<[string, number, number]> = [
  ['empty', 0, 0],
  ['as stat said', 13, 13],
  ['grew a little', 10, 13],
  ['grew a lot', 1, 200_000],
  ['shrank', 50, 7],
  ['emptied', 50, 0],
];
for (const [name, statSize, realSize] of cases) {
  test(`readWhole: ${name} (stat ${statSize}, file ${realSize})`, () => {
    const file = path.join(dir, name);
    const bytes = Buffer.alloc(realSize);
    for (let i = 0; i < realSize; i++) bytes[i] = (i * 31 + 7) & 0xff;
    writeFileSync(file, bytes);
    const got = readWhole(file, statSize);
    assert.ok(got.equals(readFileSync(file)));
  });
}

test('readWhole: a missing file throws ENOENT, as readFileSync does', () => {
  try {
    readWhole(path.join(dir, 'absent'), 3);
    assert.unreachable();
  } catch (err) {
    assert.is((err as NodeJS.ErrnoException).code, 'ENOENT');
  }
});

test.run();

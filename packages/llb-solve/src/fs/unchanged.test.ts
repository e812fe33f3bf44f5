// dropUnchanged must leave in an upper dir exactly what BuildKit's overlay
// differ would put in the layer: one lower layer, one upper dir per case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isOpaqueDirSync, markOpaque, setFileCapability } from '@pipekit/cas-store';
import { LayeredRoot } from './layered.ts';
import { dropUnchanged } from './unchanged.ts';

const made: string[] = [];
test.after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A lower layer and an upper dir; `setup` fills both; returns what is left in the upper, sorted. */
async function after(setup: (lower: string, upper: string) => void | Promise<void>): Promise<string[]> {
  const base = mkdtempSync(path.join(tmpdir(), 'unchanged-'));
  made.push(base);
  const lower = path.join(base, 'lower');
  const upper = path.join(base, 'upper');
  mkdirSync(lower);
  mkdirSync(upper);
  await setup(lower, upper);
  await dropUnchanged(upper, new LayeredRoot([lower]));
  return execFileSync('find', ['.', '-mindepth', '1'], { cwd: upper, encoding: 'utf8' }).split('\n').filter(Boolean).sort();
}

const SECONDS = 1_700_000_000;
/** a file as a tar leaves it: mtime in whole seconds */
function tarFile(p: string, data: string, t = SECONDS): void {
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, data);
  utimesSync(p, t, t);
}
/** cp -a: what overlayfs's copy-up keeps (mode, owner, times to the nanosecond) */
const copyUp = (from: string, to: string) => {
  mkdirSync(path.dirname(to), { recursive: true });
  execFileSync('cp', ['-a', from, to]);
};

test('a dir copied up only for a stub (same mode and owner, now empty) goes', async () => {
  assert.equal(await after((lo, up) => {
    mkdirSync(path.join(lo, 'etc'));
    mkdirSync(path.join(up, 'etc'));
  }), []);
});

test('a dir keeps its entry while a changed child stays under it; unchanged siblings go', async () => {
  assert.equal(await after((lo, up) => {
    tarFile(path.join(lo, 'etc/a'), 'a');
    tarFile(path.join(lo, 'etc/b'), 'b');
    copyUp(path.join(lo, 'etc/a'), path.join(up, 'etc/a'));
    writeFileSync(path.join(up, 'etc/b'), 'changed');
  }), ['./etc', './etc/b']);
});

test('a dir whose mode changed stays though empty', async () => {
  assert.equal(await after((lo, up) => {
    mkdirSync(path.join(lo, 'tmp'), { mode: 0o755 });
    mkdirSync(path.join(up, 'tmp'));
    chmodSync(path.join(up, 'tmp'), 0o1777);
  }), ['./tmp']);
});

test('a file copied up with its nanosecond mtime kept goes; one touched stays', async () => {
  assert.equal(await after((lo, up) => {
    for (const n of ['same', 'touched']) {
      writeFileSync(path.join(lo, n), 'x');
      execFileSync('touch', ['-d', '@1700000000.123456789', path.join(lo, n)]);
      copyUp(path.join(lo, n), path.join(up, n));
    }
    execFileSync('touch', ['-d', '@1700000000.5', path.join(up, 'touched')]);
  }), ['./touched']);
});

test('times in whole seconds on both sides: the bytes decide', async () => {
  assert.equal(await after((lo, up) => {
    for (const n of ['same', 'other', 'empty']) tarFile(path.join(lo, n), n === 'empty' ? '' : 'abc');
    tarFile(path.join(up, 'same'), 'abc');
    tarFile(path.join(up, 'other'), 'abd');
    tarFile(path.join(up, 'empty'), '');
  }), ['./other']);
});

test('a different size, mode or second stays', async () => {
  assert.equal(await after((lo, up) => {
    for (const n of ['size', 'mode', 'second']) tarFile(path.join(lo, n), 'abc');
    tarFile(path.join(up, 'size'), 'abcd');
    tarFile(path.join(up, 'mode'), 'abc');
    chmodSync(path.join(up, 'mode'), 0o600);
    tarFile(path.join(up, 'second'), 'abc', SECONDS + 1);
  }), ['./mode', './second', './size']);
});

test('symlinks with truncated times compare their targets', async () => {
  assert.equal(await after((lo, up) => {
    for (const [dir, target] of [[lo, 'a'], [up, 'a']]) {
      symlinkSync(target, path.join(dir, 'same'));
      execFileSync('touch', ['-h', '-d', `@${SECONDS}`, path.join(dir, 'same')]);
    }
    symlinkSync('b', path.join(lo, 'moved'));
    symlinkSync('c', path.join(up, 'moved'));
    for (const dir of [lo, up]) execFileSync('touch', ['-h', '-d', `@${SECONDS}`, path.join(dir, 'moved')]);
  }), ['./moved']);
});

test('whiteouts: of a path below they stay, of nothing they go', async () => {
  assert.equal(await after((lo, up) => {
    tarFile(path.join(lo, 'gone'), 'x');
    execFileSync('mknod', [path.join(up, 'gone'), 'c', '0', '0']);
    execFileSync('mknod', [path.join(up, 'never'), 'c', '0', '0']);
  }), ['./gone']);
});

test('new entries are kept whole, even what matches below', async () => {
  assert.equal(await after((lo, up) => {
    tarFile(path.join(lo, 'f'), 'x');
    tarFile(path.join(up, 'new/f'), 'x');
  }), ['./new', './new/f']);
});

test('an opaque dir becomes a plain one with a whiteout for each entry gone, as BuildKit writes it', async () => {
  let upperDir = '';
  const left = await after(async (lo, up) => {
    upperDir = up;
    tarFile(path.join(lo, 'app/a'), '1');
    tarFile(path.join(lo, 'app/same'), 's');
    tarFile(path.join(lo, 'app/sub/b'), '2');
    tarFile(path.join(lo, 'app/sub/c'), '3');
    // rm -rf /app && mkdir -p /app/sub, then some files again
    tarFile(path.join(up, 'app/same'), 's');
    tarFile(path.join(up, 'app/sub/c'), '33');
    tarFile(path.join(up, 'app/new'), 'n');
    await markOpaque(path.join(up, 'app'));
  });
  assert.equal(left, ['./app', './app/a', './app/new', './app/sub', './app/sub/b', './app/sub/c']);
  for (const w of ['app/a', 'app/sub/b']) {
    const st = lstatSync(path.join(upperDir, w));
    assert.ok(st.isCharacterDevice() && st.rdev === 0, `${w} is a whiteout`);
  }
  assert.not.ok(isOpaqueDirSync(path.join(upperDir, 'app')));
});

test('an opaque dir over nothing, or over a file, just loses its marker', async () => {
  let upperDir = '';
  assert.equal(await after(async (lo, up) => {
    upperDir = up;
    tarFile(path.join(lo, 'was-file'), 'f');
    for (const d of ['fresh', 'was-file']) {
      tarFile(path.join(up, d, 'x'), 'x');
      await markOpaque(path.join(up, d));
    }
  }), ['./fresh', './fresh/x', './was-file', './was-file/x']);
  for (const d of ['fresh', 'was-file']) assert.not.ok(isOpaqueDirSync(path.join(upperDir, d)), d);
});

test('a file whose capabilities changed stays', async () => {
  assert.equal(await after((lo, up) => {
    tarFile(path.join(lo, 'tool'), 'elf');
    chmodSync(path.join(lo, 'tool'), 0o755);
    copyUp(path.join(lo, 'tool'), path.join(up, 'tool'));
    // cap_net_bind_service=+ep, VFS_CAP_REVISION_2
    const cap = Buffer.alloc(20);
    cap.writeUInt32LE(0x02000001, 0);
    cap.writeUInt32LE(1 << 10, 4);
    assert.ok(setFileCapability(path.join(up, 'tool'), cap));
  }), ['./tool']);
});

test('a path that is a dir in the upper and a file below is new', async () => {
  assert.equal(await after((lo, up) => {
    tarFile(path.join(lo, 'x'), 'file');
    mkdirSync(path.join(up, 'x'));
  }), ['./x']);
});

test.run();

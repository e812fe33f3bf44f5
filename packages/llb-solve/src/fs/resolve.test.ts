import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PipekitError } from '@pipekit/wire';
import { insideRoot, resolveInRoot } from './resolve.ts';

let base = '';
let root = '';

test.before(async () => {
  base = await fs.mkdtemp(path.join(tmpdir(), 'resolve-test-'));
  root = path.join(base, 'root');
  const mk = (p: string) => fs.mkdir(path.join(root, p), { recursive: true });
  const ln = (target: string, p: string) => fs.symlink(target, path.join(root, p));
  await mk('usr/bin');
  await mk('usr/lib/x86_64');
  await mk('etc');
  await mk('a/b/c');
  await fs.writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
  await fs.writeFile(path.join(root, 'usr', 'bin', 'sh'), '');
  await ln('usr/bin', 'bin'); // relative
  await ln('/usr/lib', 'lib'); // absolute: re-rooted
  await ln('/etc/passwd', 'abs-file');
  await ln('../../../../../etc', 'up-etc'); // climbs beyond root
  await ln('../..', 'a/b/up2');
  await ln('c', 'a/b/rel-c');
  await ln('/', 'rootlink');
  await ln('loop1', 'loop2');
  await ln('loop2', 'loop1');
  await ln('self', 'self');
  await ln('dangling-target', 'dangling');
  await ln('/nonexistent/x', 'dangling-abs');
  await ln('bin', 'chain1');
  await ln('chain1', 'chain2');
  await ln('chain2/sh', 'chain3');
  await ln('a/b/c', 'deep');
  await ln('../etc', 'usr/etc-up');
  await ln('./../bin/./sh', 'usr/lib/sh-rel');
  await ln('loopdir/x', 'loopdir');
  // something outside the root that must never be reached
  await fs.mkdir(path.join(base, 'etc'));
  await fs.writeFile(path.join(base, 'etc', 'passwd'), 'host\n');
});

test.after(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

// [container path, followLast, expected path relative to root]
const CASES: [string, boolean, string][] = [
  ['/', true, ''],
  ['', true, ''],
  ['.', true, ''],
  ['/etc/passwd', true, 'etc/passwd'],
  ['etc/passwd', true, 'etc/passwd'],
  ['//etc//./passwd/', true, 'etc/passwd'],
  ['/missing/file', true, 'missing/file'],
  // relative symlinks
  ['/bin/sh', true, 'usr/bin/sh'],
  ['/bin', true, 'usr/bin'],
  ['/bin', false, 'bin'],
  ['/bin/', false, 'bin'],
  ['/a/b/rel-c', true, 'a/b/c'],
  ['/a/b/rel-c', false, 'a/b/rel-c'],
  ['/a/b/up2/a/b/c', true, 'a/b/c'], // a/b/../.. is the root
  ['/a/b/up2', true, ''],
  ['/a/b/up2/..', true, ''],
  // absolute symlinks are re-rooted
  ['/lib/x86_64', true, 'usr/lib/x86_64'],
  ['/lib', true, 'usr/lib'],
  ['/lib', false, 'lib'],
  ['/abs-file', true, 'etc/passwd'],
  ['/abs-file', false, 'abs-file'],
  ['/rootlink', true, ''],
  ['/rootlink/etc/passwd', true, 'etc/passwd'],
  ['/rootlink/rootlink/rootlink/bin/sh', true, 'usr/bin/sh'],
  // .. never leaves the root
  ['/..', true, ''],
  ['/../../../etc/passwd', true, 'etc/passwd'],
  ['../etc', true, 'etc'],
  ['/a/../../../a/b', true, 'a/b'],
  ['/a/b/c/../../..', true, ''],
  ['/up-etc/passwd', true, 'etc/passwd'],
  ['/up-etc', true, 'etc'],
  ['/usr/etc-up/passwd', true, 'etc/passwd'],
  ['/usr/lib/sh-rel', true, 'usr/bin/sh'],
  // .. after a symlink applies to the symlink's target (like the kernel)
  ['/bin/..', true, 'usr'],
  ['/lib/../bin/sh', true, 'usr/bin/sh'],
  ['/deep/..', true, 'a/b'],
  // chains
  ['/chain3', true, 'usr/bin/sh'],
  ['/chain3', false, 'chain3'],
  ['/chain2/sh', true, 'usr/bin/sh'],
  ['/chain2', false, 'chain2'],
  // dangling symlinks resolve to their (missing) target
  ['/dangling', true, 'dangling-target'],
  ['/dangling', false, 'dangling'],
  ['/dangling-abs', true, 'nonexistent/x'],
  ['/dangling-abs/more', true, 'nonexistent/x/more'],
  // followLast only concerns the final component
  ['/bin/sh', false, 'usr/bin/sh'],
  ['/lib/x86_64', false, 'usr/lib/x86_64'],
  ['/loop1', false, 'loop1'],
  ['/self', false, 'self'],
];

for (const [p, followLast, want] of CASES) {
  test(`resolveInRoot(${JSON.stringify(p)}, followLast=${followLast}) -> /${want}`, async () => {
    const got = await resolveInRoot(root, p, followLast);
    assert.is(got, path.join(root, want));
    assert.ok(got === root || got.startsWith(`${root}/`), 'stays inside the root');
    assert.is(insideRoot(root, got), `/${want}`);
  });
}

test('followLast defaults to true', async () => {
  assert.is(await resolveInRoot(root, '/bin'), path.join(root, 'usr/bin'));
});

const LOOPS = ['/loop1', '/loop2', '/self', '/loop1/x', '/self/..', '/loopdir', '/loopdir/y'];
for (const p of LOOPS) {
  test(`symlink loop ${p} is an error`, async () => {
    try {
      await resolveInRoot(root, p, true);
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, PipekitError);
      assert.is((err as Error).message, `too many levels of symbolic links resolving ${p}`);
    }
  });
}

test('loop in the middle is an error even when followLast is false', async () => {
  try {
    await resolveInRoot(root, '/loop1/file', false);
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, PipekitError);
  }
});

test('insideRoot', () => {
  const cases: [string, string][] = [
    [root, '/'],
    [path.join(root, 'etc'), '/etc'],
    [path.join(root, 'a', 'b', 'c'), '/a/b/c'],
  ];
  for (const [abs, want] of cases) assert.is(insideRoot(root, abs), want);
});

test.run();

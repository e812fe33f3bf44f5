import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { missingPaths, removeStubs } from './stubs.ts';

const made: string[] = [];
async function rootfs(): Promise<string> {
  const root = await fs.mkdtemp(path.join(tmpdir(), 'stubs-test-'));
  made.push(root);
  await fs.mkdir(path.join(root, 'etc'));
  await fs.mkdir(path.join(root, 'usr', 'bin'), { recursive: true });
  await fs.writeFile(path.join(root, 'etc', 'hostname'), 'h\n');
  await fs.symlink('usr/bin', path.join(root, 'bin'));
  await fs.symlink('nowhere', path.join(root, 'dangling'));
  return root;
}
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});

// [targets, missing (deepest first)]
const MISSING: [string[], string[]][] = [
  [[], []],
  [['/'], []],
  [['/etc'], []],
  [['/etc/hostname'], []],
  [['/etc/resolv.conf'], ['/etc/resolv.conf']],
  [['/run/secrets/token'], ['/run/secrets/token', '/run/secrets', '/run']],
  [['/a/b/c', '/a/b/d'], ['/a/b/c', '/a/b/d', '/a/b', '/a']],
  [['/a/b', '/a/b/c'], ['/a/b/c', '/a/b', '/a']],
  [['/etc/x', '/etc/resolv.conf', '/mnt/cache'], ['/etc/resolv.conf', '/mnt/cache', '/etc/x', '/mnt']],
  [['/usr/bin/tool', '/usr/lib/x'], ['/usr/bin/tool', '/usr/lib/x', '/usr/lib']],
  [['/dangling'], []],
  [['/etc/hostname', '/etc/hostname'], []],
  [['/x', '/x'], ['/x']],
];

for (const [targets, want] of MISSING) {
  test(`missingPaths(${JSON.stringify(targets)})`, async () => {
    const root = await rootfs();
    const got = await missingPaths(root, targets);
    assert.equal(got, want);
    for (let i = 1; i < got.length; i++) assert.ok(got[i - 1].length >= got[i].length, 'deepest first');
  });
}

/** What runc does for a mount target that does not exist: an empty dir (or file for a file mount). */
async function makeStubs(root: string, dirs: string[], files: string[]): Promise<void> {
  for (const d of dirs) await fs.mkdir(path.join(root, d), { recursive: true });
  for (const f of files) {
    await fs.mkdir(path.dirname(path.join(root, f)), { recursive: true });
    await fs.writeFile(path.join(root, f), '');
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(() => true, () => false);
}

test('removeStubs removes the stubs and the parents it created', async () => {
  const root = await rootfs();
  const stubs = await missingPaths(root, ['/run/secrets/token', '/mnt/cache', '/etc/resolv.conf']);
  await makeStubs(root, ['/mnt/cache'], ['/run/secrets/token', '/etc/resolv.conf']);
  await removeStubs(root, stubs);
  for (const p of ['run', 'mnt', 'etc/resolv.conf']) assert.not.ok(await exists(path.join(root, p)), p);
  // what existed before stays
  assert.ok(await exists(path.join(root, 'etc', 'hostname')));
  assert.equal((await fs.readdir(root)).sort(), ['bin', 'dangling', 'etc', 'usr']);
});

test('removeStubs keeps what the step wrote', async () => {
  const root = await rootfs();
  const stubs = await missingPaths(root, ['/run/secrets/token', '/data/mnt', '/out/file']);
  await makeStubs(root, ['/data/mnt'], ['/run/secrets/token', '/out/file']);
  await fs.writeFile(path.join(root, 'run', 'secrets', 'written-by-step'), 'x');
  await fs.writeFile(path.join(root, 'data', 'mnt', 'inside'), 'x');
  await fs.writeFile(path.join(root, 'out', 'file'), 'now not empty');
  await removeStubs(root, stubs);
  assert.not.ok(await exists(path.join(root, 'run', 'secrets', 'token')), 'empty stub file removed');
  assert.ok(await exists(path.join(root, 'run', 'secrets', 'written-by-step')));
  assert.ok(await exists(path.join(root, 'data', 'mnt', 'inside')));
  assert.is(await fs.readFile(path.join(root, 'out', 'file'), 'utf8'), 'now not empty');
});

test("removing a stub leaves its parent's times as they were (BuildKit #3148)", async () => {
  const root = await rootfs();
  const stubs = await missingPaths(root, ['/etc/resolv.conf']);
  await makeStubs(root, [], ['/etc/resolv.conf']);
  await fs.utimes(path.join(root, 'etc'), 1_600_000_000, 1_700_000_000);
  await removeStubs(root, stubs);
  const st = await fs.stat(path.join(root, 'etc'));
  assert.is(st.mtimeMs, 1_700_000_000_000);
  assert.is(st.atimeMs, 1_600_000_000_000);
});

test('removeStubs leaves symlinks, special files and missing paths alone', async () => {
  const root = await rootfs();
  await fs.symlink('/etc', path.join(root, 'stub-link'));
  await fs.mkdir(path.join(root, 'empty-dir'));
  await removeStubs(root, ['/stub-link', '/never-created', '/never/created/either', '/empty-dir']);
  assert.ok(await exists(path.join(root, 'stub-link')));
  assert.not.ok(await exists(path.join(root, 'empty-dir')));
  await removeStubs(root, []);
});

test.run();

import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { archiveKind, escapingEntries, extractArchive } from './unpack.ts';

async function fixture(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'unpack-test-'));
  await fs.mkdir(path.join(dir, 'src', 'sub'), { recursive: true });
  await fs.writeFile(path.join(dir, 'src', 'sub', 'a.txt'), 'hello\n');
  execFileSync('tar', ['-cf', path.join(dir, 'a.tar'), '-C', path.join(dir, 'src'), 'sub']);
  execFileSync('tar', ['-czf', path.join(dir, 'a.tgz'), '-C', path.join(dir, 'src'), 'sub']);
  execFileSync('tar', ['-cJf', path.join(dir, 'a.txz'), '-C', path.join(dir, 'src'), 'sub']);
  execFileSync('tar', ['-cjf', path.join(dir, 'a.tbz'), '-C', path.join(dir, 'src'), 'sub']);
  await fs.writeFile(path.join(dir, 'plain.gz'), execFileSync('gzip', ['-c'], { input: 'not a tar' }));
  return dir;
}

test('recognises tar, tar.gz, tar.xz and tar.bz2; plain and gzip-but-not-tar files are not archives', async () => {
  const dir = await fixture();
  assert.is(await archiveKind(path.join(dir, 'a.tar')), '');
  assert.is(await archiveKind(path.join(dir, 'a.tgz')), 'gzip');
  assert.is(await archiveKind(path.join(dir, 'a.txz')), 'xz');
  assert.is(await archiveKind(path.join(dir, 'a.tbz')), 'bzip2');
  assert.is(await archiveKind(path.join(dir, 'src', 'sub', 'a.txt')), null);
  assert.is(await archiveKind(path.join(dir, 'plain.gz')), null);
  const out = await extractArchive(path.join(dir, 'a.tgz'), 'a.tgz');
  assert.is(await fs.readFile(path.join(out, 'sub', 'a.txt'), 'utf8'), 'hello\n');
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rm(out, { recursive: true, force: true });
});

test('entries that escape the destination are refused', async () => {
  assert.equal(escapingEntries(['ok/a', '../evil', 'a/../../b', '/etc/passwd']), ['../evil', 'a/../../b', '/etc/passwd']);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'unpack-evil-'));
  await fs.writeFile(path.join(dir, 'x'), 'x');
  execFileSync('tar', ['-cf', path.join(dir, 'evil.tar'), '-P', '--transform', 's,^.*x$,../../escaped,', path.join(dir, 'x')]);
  try {
    await extractArchive(path.join(dir, 'evil.tar'), 'evil.tar');
    assert.unreachable('should refuse');
  } catch (err) {
    assert.match(String(err), /would be written outside the destination/);
  }
  await fs.rm(dir, { recursive: true, force: true });
});

test.run();

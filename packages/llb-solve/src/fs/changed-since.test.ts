import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { latestChangeSince, onLocalFilesystems } from './changed-since.ts';

const made: string[] = [];
test.after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});
async function tree(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'changed-since-'));
  made.push(dir);
  await fs.mkdir(path.join(dir, 'src', 'sub'), { recursive: true });
  await fs.mkdir(path.join(dir, 'node_modules', 'x'), { recursive: true });
  await fs.writeFile(path.join(dir, 'src', 'sub', 'a.txt'), 'a\n');
  await fs.writeFile(path.join(dir, 'node_modules', 'x', 'i.js'), 'x\n');
  return dir;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const line = (point: string, type: string) => `36 25 0:32 / ${point} rw,relatime shared:1 - ${type} src rw`;
const MOUNTS = [line('/', 'ext4'), line('/proc', 'proc'), line('/home', 'xfs'), line('/home/u/net', 'nfs4'), line('/srv/my\\040dir', 'tmpfs'), line('/mnt', 'nfs'), line('/mnt', 'tmpfs')].join('\n');
const LOCAL_CASES: [string, boolean][] = [
  ['/work/ctx', true], // on /
  ['/home/u/app', true], // on /home (xfs)
  ['/home/u', false], // an NFS mount below it
  ['/home/u/net/app', false], // on NFS
  ['/srv/my dir/app', true], // escaped space in a mount point
  ['/mnt/app', true], // a later mount hides the earlier one on the same point
  ['/proc/self', false],
];
for (const [dir, local] of LOCAL_CASES) {
  test(`onLocalFilesystems: ${dir} is ${local ? '' : 'not '}local`, () => {
    assert.is(onLocalFilesystems(dir, MOUNTS), local);
  });
}

test('nothing changed since: -Infinity; a change: its ctime; a missing dir: cannot tell', async () => {
  const dir = await tree();
  await sleep(20);
  const since = Date.now();
  assert.is(await latestChangeSince(dir, since), -Infinity);
  await sleep(20);
  await fs.writeFile(path.join(dir, 'src', 'sub', 'a.txt'), 'A\n');
  const latest = await latestChangeSince(dir, since);
  const { ctimeMs } = await fs.stat(path.join(dir, 'src', 'sub', 'a.txt'));
  // (Deno's stat gives ctimes in whole seconds)
  assert.ok(latest !== undefined && latest > since && Math.floor(latest / 1000) === Math.floor(ctimeMs / 1000), `${latest} vs ${ctimeMs}`);
  assert.is(await latestChangeSince(path.join(dir, 'nope'), since), undefined);
});

// each kind of change moves some entry's ctime (the file's or its dir's)
const CHANGES: [string, (dir: string) => Promise<unknown>][] = [
  ['a write', (d) => fs.appendFile(path.join(d, 'src', 'sub', 'a.txt'), 'more')],
  ['a chmod', (d) => fs.chmod(path.join(d, 'src', 'sub', 'a.txt'), 0o600)],
  ['a new file', (d) => fs.writeFile(path.join(d, 'src', 'new.txt'), 'n')],
  ['a removal', (d) => fs.rm(path.join(d, 'src', 'sub', 'a.txt'))],
  ['a rename', (d) => fs.rename(path.join(d, 'src', 'sub', 'a.txt'), path.join(d, 'src', 'sub', 'b.txt'))],
  ['a touch into the past', (d) => fs.utimes(path.join(d, 'src', 'sub', 'a.txt'), new Date(0), new Date(0))],
  ['a new symlink', (d) => fs.symlink('sub/a.txt', path.join(d, 'src', 'link'))],
];
for (const [what, change] of CHANGES) {
  test(`${what} is seen`, async () => {
    const dir = await tree();
    await sleep(20);
    const since = Date.now();
    await sleep(20);
    await change(dir);
    const latest = await latestChangeSince(dir, since);
    assert.ok(latest !== undefined && latest > since - 10, `${latest} after ${since}`);
  });
}

test('changes in pruned dirs (by path or by name) do not count', async () => {
  const dir = await tree();
  await sleep(20);
  const since = Date.now();
  await sleep(20);
  await fs.writeFile(path.join(dir, 'node_modules', 'x', 'i.js'), 'y\n');
  await fs.mkdir(path.join(dir, 'src', '.cache'));
  await sleep(20);
  const cacheChanged = Date.now();
  await sleep(20);
  await fs.writeFile(path.join(dir, 'src', '.cache', 'c'), 'c');
  // creating .cache changed src itself: only what came after counts here
  assert.is(await latestChangeSince(dir, cacheChanged, { paths: ['node_modules'], names: ['.cache'] }), -Infinity);
  assert.ok(((await latestChangeSince(dir, cacheChanged, { paths: ['node_modules'], names: [] })) ?? 0) > cacheChanged);
  assert.ok(((await latestChangeSince(dir, since, { paths: ['node_modules'], names: [] })) ?? 0) > since);
});

test('a context whose own path looks like a pattern: only the ignored dir itself is pruned', async () => {
  const parent = await fs.mkdtemp(path.join(tmpdir(), 'changed-since-'));
  made.push(parent);
  const dir = path.join(parent, 'c*');
  await fs.mkdir(path.join(dir, 'sub', 'node_modules'), { recursive: true });
  await fs.mkdir(path.join(dir, 'node_modules'));
  await sleep(20);
  const since = Date.now();
  await sleep(20);
  await fs.writeFile(path.join(dir, 'sub', 'node_modules', 'm.js'), 'm');
  // `<dir>/node_modules` as a pattern would also match <dir>/sub/node_modules
  const latest = await latestChangeSince(dir, since, { paths: ['node_modules'], names: [] });
  assert.ok(latest !== undefined && latest > since - 10, String(latest));
});

test.run();

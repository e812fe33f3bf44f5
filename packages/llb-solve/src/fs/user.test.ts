import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BuildError } from '@pipekit/wire';
import { lookupGid, lookupUid, resolveUser, type Ids } from './user.ts';

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
# a comment line
app:x:1000:1000:App User:/home/app:/bin/sh

nohome:x:1001:1001:::/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
`;
const GROUP = `root:x:0:
daemon:x:1:
app:x:1000:
docker:x:999:app,other
wheel:x:10:root,app
staff:x:50:
nohome:x:1001:nohome
nogroup:x:65534:
`;

let base = '';
let rootfs = '';
let scratch = '';
let linked = '';
test.before(async () => {
  base = await fs.mkdtemp(path.join(tmpdir(), 'user-test-'));
  rootfs = path.join(base, 'rootfs');
  scratch = path.join(base, 'scratch');
  linked = path.join(base, 'linked');
  await fs.mkdir(path.join(rootfs, 'etc'), { recursive: true });
  await fs.writeFile(path.join(rootfs, 'etc', 'passwd'), PASSWD);
  await fs.writeFile(path.join(rootfs, 'etc', 'group'), GROUP);
  await fs.mkdir(scratch);
  // /etc is an absolute symlink: it must resolve inside the rootfs, never to the host's /etc
  await fs.mkdir(path.join(linked, 'real-etc'), { recursive: true });
  await fs.writeFile(path.join(linked, 'real-etc', 'passwd'), 'svc:x:777:778::/srv:/bin/sh\n');
  await fs.writeFile(path.join(linked, 'real-etc', 'group'), 'svcgrp:x:778:\nextra:x:779:svc\n');
  await fs.symlink('/real-etc', path.join(linked, 'etc'));
});
test.after(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

const ids = (uid: number, gid: number, additionalGids: number[], home: string): Ids => ({ uid, gid, additionalGids, home });

// [rootfs name, USER spec, expected]
const RESOLVE: [string, string, Ids][] = [
  ['rootfs', '', ids(0, 0, [10], '/root')],
  ['rootfs', 'root', ids(0, 0, [10], '/root')],
  ['rootfs', '0', ids(0, 0, [10], '/root')],
  ['rootfs', 'app', ids(1000, 1000, [999, 10], '/home/app')],
  ['rootfs', '1000', ids(1000, 1000, [999, 10], '/home/app')],
  ['rootfs', 'app:staff', ids(1000, 50, [], '/home/app')],
  ['rootfs', 'app:50', ids(1000, 50, [], '/home/app')],
  ['rootfs', 'app:0', ids(1000, 0, [], '/home/app')],
  ['rootfs', '1000:docker', ids(1000, 999, [], '/home/app')],
  ['rootfs', 'daemon', ids(1, 1, [], '/usr/sbin')],
  ['rootfs', 'nobody', ids(65534, 65534, [], '/nonexistent')],
  ['rootfs', 'nobody:nogroup', ids(65534, 65534, [], '/nonexistent')],
  // the primary group is not repeated among the additional ones
  ['rootfs', 'nohome', ids(1001, 1001, [], '/')],
  // numeric ids need no entry
  ['rootfs', '4242', ids(4242, 0, [], '/')],
  ['rootfs', '4242:4343', ids(4242, 4343, [], '/')],
  ['rootfs', '4242:staff', ids(4242, 50, [], '/')],
  // root without any passwd file (scratch)
  ['scratch', '', ids(0, 0, [], '/root')],
  ['scratch', 'root', ids(0, 0, [], '/root')],
  ['scratch', '0', ids(0, 0, [], '/')],
  ['scratch', '0:0', ids(0, 0, [], '/')],
  ['scratch', '1000', ids(1000, 0, [], '/')],
  ['scratch', '1000:1000', ids(1000, 1000, [], '/')],
  // the rootfs's files, through an absolute /etc symlink
  ['linked', 'svc', ids(777, 778, [779], '/srv')],
  ['linked', 'svc:extra', ids(777, 779, [], '/srv')],
  // root needs no entry even when the image has a passwd without it
  ['linked', 'root', ids(0, 0, [], '/root')],
];

const roots = () => ({ rootfs, scratch, linked }) as Record<string, string>;

for (const [which, spec, want] of RESOLVE) {
  test(`resolveUser(${which}, ${JSON.stringify(spec)})`, async () => {
    assert.equal(await resolveUser(roots()[which], spec), want);
  });
}

// [rootfs name, USER spec, message]
const RESOLVE_ERRORS: [string, string, string][] = [
  ['rootfs', 'ghost', 'unable to find user ghost: no matching entries in passwd file'],
  ['rootfs', 'ghost:staff', 'unable to find user ghost: no matching entries in passwd file'],
  ['rootfs', 'app:ghosts', 'unable to find group ghosts: no matching entries in group file'],
  ['rootfs', '1000:ghosts', 'unable to find group ghosts: no matching entries in group file'],
  ['rootfs', 'Root', 'unable to find user Root: no matching entries in passwd file'],
  ['scratch', 'app', 'unable to find user app: no matching entries in passwd file'],
  ['scratch', '1000:staff', 'unable to find group staff: no matching entries in group file'],
  // the host's users do not exist in the image
  ['linked', 'daemon', 'unable to find user daemon: no matching entries in passwd file'],
];

for (const [which, spec, message] of RESOLVE_ERRORS) {
  test(`resolveUser(${which}, ${JSON.stringify(spec)}) fails`, async () => {
    try {
      await resolveUser(roots()[which], spec);
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, BuildError);
      assert.is((err as Error).message, message);
    }
  });
}

test('lookupUid', async () => {
  const cases: [string, string, number][] = [
    ['rootfs', 'root', 0], ['rootfs', 'app', 1000], ['rootfs', 'nobody', 65534], ['rootfs', '123', 123], ['scratch', '0', 0],
    ['scratch', '55', 55], ['linked', 'svc', 777],
  ];
  for (const [which, name, want] of cases) assert.is(await lookupUid(roots()[which], name), want, `${which} ${name}`);
  for (const [which, name] of [['rootfs', 'ghost'], ['scratch', 'root'], ['linked', 'app'], ['rootfs', 'x']]) {
    try {
      await lookupUid(roots()[which], name);
      assert.unreachable(`${which} ${name}`);
    } catch (err) {
      assert.instance(err, BuildError);
      assert.is((err as Error).message, `unable to find user ${name}: no matching entries in passwd file`);
    }
  }
});

test('lookupGid', async () => {
  const cases: [string, string, number][] = [
    ['rootfs', 'root', 0], ['rootfs', 'docker', 999], ['rootfs', 'wheel', 10], ['rootfs', '7', 7], ['scratch', '0', 0], ['linked', 'extra', 779],
  ];
  for (const [which, name, want] of cases) assert.is(await lookupGid(roots()[which], name), want, `${which} ${name}`);
  for (const [which, name] of [['rootfs', 'ghosts'], ['scratch', 'root'], ['linked', 'docker']]) {
    try {
      await lookupGid(roots()[which], name);
      assert.unreachable(`${which} ${name}`);
    } catch (err) {
      assert.instance(err, BuildError);
      assert.is((err as Error).message, `unable to find group ${name}: no matching entries in group file`);
    }
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { ownCgroupProcs, warmCgroupMove } from './cgroup-warm.ts';

test('own cgroup.procs: a v1 hierarchy first (named ones by their name), else the v2 one', () => {
  const hybrid = ['9:name=systemd:/', '8:pids:/', '4:memory:/process_api/df00', '0::/', ''].join('\n');
  assert.is(ownCgroupProcs(hybrid), '/sys/fs/cgroup/systemd/cgroup.procs');
  assert.is(ownCgroupProcs('4:memory:/process_api/df00\n0::/'), '/sys/fs/cgroup/memory/process_api/df00/cgroup.procs');
  assert.is(ownCgroupProcs('3:cpu,cpuacct:/a/b\n'), '/sys/fs/cgroup/cpu,cpuacct/a/b/cgroup.procs');
  assert.is(ownCgroupProcs('0::/user.slice/session-2.scope\n'), '/sys/fs/cgroup/user.slice/session-2.scope/cgroup.procs');
  assert.is(ownCgroupProcs('0::/\n'), '/sys/fs/cgroup/cgroup.procs');
  assert.is(ownCgroupProcs(''), undefined);
  assert.is(ownCgroupProcs('garbage\n'), undefined);
});

test('the warming move leaves this process in the cgroups it was in', async () => {
  const before = readFileSync('/proc/self/cgroup', 'utf8');
  warmCgroupMove();
  warmCgroupMove();
  await new Promise((r) => setTimeout(r, 100));
  assert.is(readFileSync('/proc/self/cgroup', 'utf8'), before);
});

test.run();

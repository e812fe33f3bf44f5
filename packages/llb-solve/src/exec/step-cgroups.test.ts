import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { procCgroups, v1Hierarchies } from './step-cgroups.ts';

const hybrid = '9:name=systemd:/\n4:memory:/process_api/df00\n3:cpu,cpuacct:/\n0::/\n';

test('procCgroups: every hierarchy, named ones by their mount name, v2 as the empty name', () => {
  assert.equal(procCgroups(hybrid), [
    { hierarchy: 'systemd', path: '/' },
    { hierarchy: 'memory', path: '/process_api/df00' },
    { hierarchy: 'cpu,cpuacct', path: '/' },
    { hierarchy: '', path: '/' },
  ]);
  assert.equal(procCgroups('0::/user.slice/session-2.scope\n'), [{ hierarchy: '', path: '/user.slice/session-2.scope' }]);
  assert.equal(procCgroups('garbage\n\n'), []);
});

test('v1Hierarchies: the v1 ones as directories, the v2 line left out', () => {
  assert.equal(v1Hierarchies(hybrid), ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/cpu,cpuacct']);
  assert.equal(v1Hierarchies('0::/\n'), []);
  assert.equal(v1Hierarchies(hybrid, '/r'), ['/r/systemd', '/r/memory', '/r/cpu,cpuacct']);
});

test.run();

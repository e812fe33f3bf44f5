import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMountinfo } from './mountinfo.ts';

test('points and types, optional fields or none, escapes undone, in order', () => {
  const text = [
    '22 27 0:21 / /proc rw,relatime - proc proc rw',
    '30 1 0:26 / /sys/fs/cgroup rw,nosuid shared:9 master:2 - tmpfs tmpfs rw',
    '31 30 0:27 / /mnt/with\\040space rw - ext4 /dev/sda1 rw',
    '32 30 0:28 / /proc rw - tmpfs none rw',
    '',
    'garbage line',
  ].join('\n');
  assert.equal(parseMountinfo(text), [
    { point: '/proc', type: 'proc' },
    { point: '/sys/fs/cgroup', type: 'tmpfs' },
    { point: '/mnt/with space', type: 'ext4' },
    { point: '/proc', type: 'tmpfs' },
  ]);
});

test('this process has a root mount', async () => {
  const { readFileSync } = await import('node:fs');
  assert.ok(parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).some((m) => m.point === '/'));
});

test.run();

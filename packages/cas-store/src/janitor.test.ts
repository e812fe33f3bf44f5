// The janitor's handling of what a killed build leaves with the OCI runtime:
// state a killed runtime cannot list, and cgroups named for the container.
// (Stopping a running container is shown black-box in tests/killed-build.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ociRoot, RUNTIME_NAMES } from '@pipekit/wire';
import { removeCgroupsOf, stopContainers } from './janitor.ts';

test('runtime state that no runtime lists is removed for the selected pids only', async () => {
  // as a runtime killed while creating a container leaves it: a config, no status
  const dead = 4_100_001;
  const other = 4_100_002;
  const made: string[] = [];
  try {
    for (const name of RUNTIME_NAMES) {
      for (const pid of [dead, other]) {
        const d = path.join(ociRoot(name), `pk-${pid}-abcdef012345`);
        await fs.mkdir(d, { recursive: true });
        await fs.writeFile(path.join(d, 'config.json'), '{}');
        made.push(d);
      }
    }
    await stopContainers({ pids: [dead] });
    for (const d of made) assert.is(existsSync(d), d.includes(`pk-${other}-`), d);
  } finally {
    for (const d of made) await fs.rm(d, { recursive: true, force: true });
  }
});

test("cgroups of a dead build's containers are found by the pid in their names", async () => {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'janitor-test-'));
  try {
    const line = (n: number, mp: string, type: string) => `${n} 1 0:${n} / ${mp} rw shared:${n} - ${type} x rw`;
    const info = [line(1, path.join(dir, 'pids'), 'cgroup'), line(2, path.join(dir, 'memory'), 'cgroup'), line(3, path.join(dir, 'data'), 'ext4')].join('\n');
    const names = ['pk-123-abcdef012345', 'pk-123-fedcba543210', 'pk-124-abcdef012345', 'other-123-abcdef012345'];
    for (const h of ['pids', 'memory', 'data']) for (const n of names) await fs.mkdir(path.join(dir, h, n), { recursive: true });
    await fs.mkdir(path.join(dir, 'memory', 'pk-123-fedcba543210', 'child'));
    await removeCgroupsOf([123], info);
    // by a test of the pid: the same
    await removeCgroupsOf((pid) => pid === 124, info);
    assert.equal((await fs.readdir(path.join(dir, 'pids'))).sort(), ['other-123-abcdef012345']);
    assert.equal((await fs.readdir(path.join(dir, 'memory'))).sort(), ['other-123-abcdef012345', 'pk-123-fedcba543210'], 'in use');
    assert.equal((await fs.readdir(path.join(dir, 'data'))).sort(), [...names].sort(), 'not a cgroup');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test.run();

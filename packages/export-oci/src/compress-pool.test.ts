import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import process from 'node:process';
import { CompressPool } from './compress-pool.ts';

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';

/** Threads of this process at `nice` (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadsAtNice(nice: number): number {
  let n = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // a thread (the runtime has its own) that ended since the listing
    }
    // fields after the command name, which is in parentheses and may hold spaces
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[16]) === nice) n++;
  }
  return n;
}

test('close() brings a nice thread back to normal priority before it winds down', async () => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return; // raising a priority takes root
  const pool = new CompressPool({ threads: 1, nice: 19 });
  try {
    // the thread reports its id before it answers any job
    await pool.run({ codec: 'gzip', data: new Uint8Array(1024), last: true, level: 6 });
    const before = threadsAtNice(19);
    if (isDeno && before === 0) return; // a runtime whose workers cannot renice themselves
    assert.is(before, 1);
    const closing = pool.close();
    assert.is(threadsAtNice(19), 0);
    await closing;
  } finally {
    await pool.close();
  }
});

test.run();

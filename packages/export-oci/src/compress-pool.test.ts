import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import process from 'node:process';
import { CompressPool, INLINE_BELOW } from './compress-pool.ts';

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
  const pool = new CompressPool({ threads: 1, nice: 19, inlineBelow: 0 });
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

/** Tar-like bytes: text with runs of zeros, so every codec has something to do. */
function sample(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = i % 512 < 100 ? 0 : ((i * 31 + (i >> 9)) % 96) + 32;
  return b;
}

for (const codec of ['gzip', 'zstd'] as const) {
  const level = codec === 'gzip' ? 6 : 3;
  test(`${codec}: a small job runs inline (no thread started), with the bytes a thread makes`, async () => {
    const inline = new CompressPool({ threads: 2 });
    const threaded = new CompressPool({ threads: 2, inlineBelow: 0 });
    try {
      for (const n of [0, 2560, INLINE_BELOW - 1]) {
        const job = { codec, data: sample(n), last: true, level };
        const running = inline.run(job);
        assert.is(inline.inFlight, 0);
        const a = await running;
        assert.is(inline.started, 0, `${n} bytes started a thread`);
        const b = await threaded.run(job);
        assert.ok(threaded.started > 0, 'inlineBelow: 0 never runs inline');
        assert.equal(a.out, b.out);
        assert.is(a.crc, b.crc);
      }
    } finally {
      await inline.close();
      await threaded.close();
    }
  });
}

test('warm(codec, 19) starts the threads at nice 19; the first job brings them back to the pool\'s priority', async () => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return; // raising a priority takes root
  const pool = new CompressPool({ threads: 2 });
  try {
    pool.warm({ codec: 'gzip', level: 6 }, 19);
    // each thread lowers its own priority as its first message
    for (let i = 0; i < 200 && threadsAtNice(19) < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const idle = threadsAtNice(19);
    if (isDeno && idle === 0) return; // a runtime whose workers cannot renice themselves
    assert.is(idle, 2, 'both threads idle at nice 19');
    await pool.run({ codec: 'gzip', data: new Uint8Array(INLINE_BELOW), last: true, level: 6 });
    // the thread that took the job was put back before it; the other one as its next message
    for (let i = 0; i < 200 && threadsAtNice(19) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.is(threadsAtNice(19), 0, 'back to normal once a job came');
  } finally {
    await pool.close();
  }
});

test('a pool with a nice value of its own keeps it through warm(codec, 19)', async () => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return;
  const pool = new CompressPool({ threads: 1, nice: 10, inlineBelow: 0 });
  try {
    pool.warm({ codec: 'gzip', level: 6 }, 19);
    await pool.run({ codec: 'gzip', data: new Uint8Array(1024), last: true, level: 6 });
    if (isDeno && threadsAtNice(10) === 0) return;
    assert.is(threadsAtNice(10), 1);
    assert.is(threadsAtNice(19), 0);
  } finally {
    await pool.close();
  }
});

test('a job of INLINE_BELOW bytes starts the threads, which then take small jobs too', async () => {
  const pool = new CompressPool({ threads: 1 });
  try {
    await pool.run({ codec: 'gzip', data: sample(INLINE_BELOW), last: true, level: 6 });
    assert.is(pool.started, 1);
    const small = pool.run({ codec: 'gzip', data: sample(100), last: true, level: 6 });
    assert.is(pool.inFlight, 1, 'the small job went to the thread');
    assert.ok((await small).out.length > 0);
  } finally {
    await pool.close();
  }
  assert.is(pool.started, 0);
});

test.run();

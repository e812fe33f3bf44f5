import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Semaphore } from './semaphore.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function peak(n: number, jobs: number, work: (i: number) => Promise<void>): Promise<{ peak: number; order: number[] }> {
  const sem = new Semaphore(n);
  let running = 0;
  let max = 0;
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: jobs }, (_, i) =>
      sem.run(async () => {
        running++;
        max = Math.max(max, running);
        order.push(i);
        try {
          await work(i);
        } finally {
          running--;
        }
      }),
    ),
  );
  return { peak: max, order };
}

// [limit, jobs, expected peak]
const LIMITS: [number, number, number][] = [
  [1, 10, 1],
  [2, 10, 2],
  [3, 20, 3],
  [4, 3, 3],
  [8, 50, 8],
  [0, 5, 1],
  [-3, 5, 1],
];

for (const [n, jobs, want] of LIMITS) {
  test(`never more than max(1, ${n}) at once (${jobs} jobs)`, async () => {
    const r = await peak(n, jobs, (i) => sleep(1 + (i % 3) * 2));
    assert.is(r.peak, want);
    assert.is(r.order.length, jobs);
  });
}

test('limit holds with jobs of random lengths and synchronous bodies', async () => {
  for (const n of [1, 2, 5]) {
    const r = await peak(n, 40, async (i) => {
      if (i % 4 === 0) return;
      await sleep(Math.floor(Math.random() * 4));
    });
    assert.ok(r.peak <= n, `peak ${r.peak} > ${n}`);
  }
});

test('waiters start in arrival order', async () => {
  const r = await peak(1, 8, () => sleep(1));
  assert.equal(r.order, [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('run returns the result of fn', async () => {
  const sem = new Semaphore(2);
  const got = await Promise.all([1, 2, 3, 4].map((x) => sem.run(async () => x * 10)));
  assert.equal(got, [10, 20, 30, 40]);
});

test('a failing job releases its slot and rejects its own run only', async () => {
  const sem = new Semaphore(1);
  const results = await Promise.allSettled([
    sem.run(async () => {
      throw new Error('boom');
    }),
    sem.run(() => {
      throw new Error('sync boom');
    }),
    sem.run(async () => 'ok'),
  ]);
  assert.is(results[0].status, 'rejected');
  assert.is((results[0] as PromiseRejectedResult).reason.message, 'boom');
  assert.is(results[1].status, 'rejected');
  assert.is((results[1] as PromiseRejectedResult).reason.message, 'sync boom');
  assert.equal(results[2], { status: 'fulfilled', value: 'ok' });
  // and the slot is free again
  assert.is(await sem.run(async () => 'again'), 'again');
});

test('slots are reused after a burst: capacity is not lost or gained', async () => {
  const sem = new Semaphore(3);
  for (let round = 0; round < 3; round++) {
    let running = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        sem.run(async () => {
          running++;
          max = Math.max(max, running);
          await sleep(1);
          running--;
          if (i === 5) throw new Error('x');
        }).catch(() => undefined),
      ),
    );
    assert.is(max, 3, `round ${round}`);
  }
});

test('nested runs on separate semaphores do not deadlock', async () => {
  const outer = new Semaphore(1);
  const inner = new Semaphore(1);
  const got = await Promise.all([1, 2, 3].map((x) => outer.run(() => inner.run(async () => x))));
  assert.equal(got, [1, 2, 3]);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BuildError } from '@pipekit/wire';
import { nextTurn } from './turn.ts';

test('nextTurn lets queued work run first', async () => {
  let ran = false;
  setImmediate(() => (ran = true));
  await nextTurn();
  assert.ok(ran);
});

test('nextTurn throws canceled once the signal is aborted, not before', async () => {
  const abort = new AbortController();
  await nextTurn(abort.signal);
  // aborted while the walk waits for its turn (a signal handler runs then)
  setImmediate(() => abort.abort());
  await nextTurn(abort.signal).then(
    () => assert.unreachable('not canceled'),
    (err: Error) => assert.ok(err instanceof BuildError && err.message === 'canceled'),
  );
});

test.run();

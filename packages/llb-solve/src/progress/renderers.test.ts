import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '@pipekit/wire';
import { createRenderer } from './renderers.ts';
import { PlainRenderer } from './plain.ts';
import { TtyRenderer } from './tty.ts';

const write = () => {};

test('each mode picks its renderer; auto follows whether stderr is a terminal', () => {
  assert.ok(createRenderer('plain', write, true) instanceof PlainRenderer);
  assert.ok(createRenderer('auto', write, false) instanceof PlainRenderer);
  assert.ok(createRenderer(undefined, write, false) instanceof PlainRenderer);
  assert.ok(createRenderer('auto', write, true) instanceof TtyRenderer);
  assert.ok(createRenderer('tty', write, true) instanceof TtyRenderer);
  for (const m of ['quiet', 'rawjson']) {
    const r = createRenderer(m, write, true);
    assert.not.ok(r instanceof PlainRenderer || r instanceof TtyRenderer, m);
  }
  assert.throws(() => createRenderer('tty', write, false), (e: unknown) => e instanceof UsageError && /needs a terminal/.test(e.message));
  assert.throws(() => createRenderer('fancy', write, false), (e: unknown) => e instanceof UsageError && /unknown progress mode "fancy"/.test(e.message));
});

test('only auto and tty ask whether stderr is a terminal (asking makes process.stderr)', () => {
  for (const [mode, asks] of [['quiet', 0], ['plain', 0], ['rawjson', 0], ['auto', 1], [undefined, 1], ['tty', 1]] as const) {
    let asked = 0;
    createRenderer(mode, write, () => (asked++, true));
    assert.is(asked, asks, String(mode));
  }
});

test.run();

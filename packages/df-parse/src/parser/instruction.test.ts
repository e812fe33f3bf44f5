import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canContainHeredoc, parseInstruction } from './instruction.ts';

test('keyword lower-cased, original kept', () => {
  const n = parseInstruction('Run --network=none echo hi', '\\');
  assert.is(n.value, 'run');
  assert.is(n.original, 'Run --network=none echo hi');
  assert.equal(n.flags, ['--network=none']);
  assert.equal(n.next.map((a) => a.value), ['echo hi']);
});

test('heredocs only for non-JSON RUN/COPY/ADD, also under ONBUILD', () => {
  assert.ok(canContainHeredoc(parseInstruction('RUN <<EOF', '\\')));
  assert.not.ok(canContainHeredoc(parseInstruction('RUN ["<<EOF"]', '\\')));
  assert.not.ok(canContainHeredoc(parseInstruction('CMD <<EOF', '\\')));
  assert.ok(canContainHeredoc(parseInstruction('ONBUILD COPY <<EOF /x', '\\')));
});

test.run();

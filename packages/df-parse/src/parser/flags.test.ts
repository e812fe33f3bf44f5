import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFlags } from './flags.ts';
import { parseInstruction } from './instruction.ts';

test('groups values by name; a bare flag gives null', () => {
  const node = parseInstruction('RUN --mount=type=cache,target=/a --mount=type=bind --network=none --link --from= x', '\\');
  const f = parseFlags(node);
  assert.equal(f.get('mount'), ['type=cache,target=/a', 'type=bind']);
  assert.equal(f.get('network'), ['none']);
  assert.equal(f.get('link'), [null]);
  assert.equal(f.get('from'), ['']);
  assert.equal(parseFlags(['--a=1']).get('a'), ['1']);
});

test.run();

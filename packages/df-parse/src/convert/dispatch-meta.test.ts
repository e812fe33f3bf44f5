import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ownerOf } from './dispatch-meta.ts';

const byId = (id: number) => ({ id, name: '', input: -1 });
const byName = (name: string, input: number) => ({ id: 0, name, input });

test('ownerOf: numbers and root are ids, other names are looked up in the given input', () => {
  assert.equal(ownerOf('1000:1001', 0), { user: byId(1000), group: byId(1001) });
  assert.equal(ownerOf('root:root', -1), { user: byId(0), group: byId(0) });
  assert.equal(ownerOf('root', 0), { user: byId(0), group: null });
  assert.equal(ownerOf('app:staff', 0), { user: byName('app', 0), group: byName('staff', 0) });
  assert.equal(ownerOf('app:root', -1), { user: byName('app', -1), group: byId(0) });
  assert.equal(ownerOf('rooty', 0), { user: byName('rooty', 0), group: null });
});

test.run();

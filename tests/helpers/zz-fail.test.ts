import { test } from 'uvu'; import * as assert from 'uvu/assert';
import { startRegistry, type TestRegistry } from './registry.ts';
let reg: TestRegistry;
test.before(async () => { reg = await startRegistry(); });
test.after(async () => { await reg?.stop(); });
test('fails', () => { assert.is(1, 2); });
test('throws uncaught later', async () => { throw new Error('boom'); });
test.run();

// Bad input gives an error a user can act on: file:line:col, the line with a
// caret, what was expected; exit code 1; nothing on stdout; never a stack
// trace. Golden: tests/fixtures/df-parse/errors/<case>/Dockerfile (+ `args`)
// through the real df-parse CLI, stderr must equal <case>/expected
// (UPDATE_GOLDEN=1 rewrites them).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sh } from './helpers/cli.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'df-parse', 'errors');

for (const name of readdirSync(DIR).sort()) {
  test(name, async () => {
    const dir = join(DIR, name);
    const args = existsSync(join(dir, 'args')) ? readFileSync(join(dir, 'args'), 'utf8').trim() : '';
    const res = await sh(`df-parse Dockerfile ${args} --store "$(mktemp -d)"`, { cwd: dir });
    assert.is(res.code, 1, `exit code (stderr: ${res.stderr})`);
    assert.is(res.stdout.length, 0, 'nothing on stdout');
    assert.not.match(res.stderr, /\n\s+at /, 'no stack trace');
    const file = join(dir, 'expected');
    if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, res.stderr);
    assert.fixture(res.stderr, readFileSync(file, 'utf8'));
  });
}

test.run();

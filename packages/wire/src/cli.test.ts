import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { VERSION } from './cli.ts';

const packages = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

test('VERSION is the version every package.json states', () => {
  const dirs = readdirSync(packages).filter((d) => !d.startsWith('.'));
  assert.ok(dirs.length >= 6);
  for (const d of dirs) {
    const pkg = JSON.parse(readFileSync(path.join(packages, d, 'package.json'), 'utf8')) as { version: string };
    assert.is(pkg.version, VERSION, d);
  }
});

test.run();

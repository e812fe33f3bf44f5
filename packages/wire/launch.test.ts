// launch.cjs under Node: a fresh bundle runs with a V8 code cache beside it,
// written only by a run that did real work (a cache from --help or from an
// early failure would hold too few functions for every later run).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const LAUNCH = path.join(path.dirname(new URL(import.meta.url).pathname), 'launch.cjs');

/** A workspace with one tool whose bundle prints its argv and exits with the code given by --exit. */
function workspace(): { bin: string; cache: string; remove: () => void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'launch-'));
  const pkg = path.join(root, 'packages', 'tool');
  for (const d of ['bin', 'dist', 'src']) mkdirSync(path.join(pkg, d), { recursive: true });
  writeFileSync(path.join(pkg, 'src', 'cli.ts'), '// the sources the bundle was built from\n');
  const bundle = path.join(pkg, 'dist', 'tool.cjs');
  writeFileSync(bundle, [
    "const i = process.argv.indexOf('--exit');",
    "process.stdout.write(`ran ${process.argv.slice(2).join(' ')}\\n`);",
    'if (i > 0) process.exitCode = Number(process.argv[i + 1]);',
  ].join('\n'));
  writeFileSync(`${bundle}.sources`, 'packages/tool/src/cli.ts\n');
  // the bundle is newer than its sources, as after a build
  const past = new Date(Date.now() - 60_000);
  utimesSync(path.join(pkg, 'src', 'cli.ts'), past, past);
  const bin = path.join(pkg, 'bin', 'tool.cjs');
  writeFileSync(bin, `require(${JSON.stringify(LAUNCH)}).launch(__filename, 'tool');\n`);
  return { bin, cache: `${bundle}.v8cache`, remove: () => rmSync(root, { recursive: true, force: true }) };
}

function run(bin: string, args: string[]): { code: number; out: string } {
  const r = spawnSync('node', [bin, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout };
}

test('--help, --version and failed runs leave no code cache; the next full run writes it', () => {
  const w = workspace();
  try {
    for (const args of [['--help'], ['--version'], ['-h'], ['build', '--exit', '1']]) {
      const r = run(w.bin, args);
      assert.is(r.out, `ran ${args.join(' ')}\n`, 'the bundle ran');
      assert.is(r.code, args.includes('--exit') ? 1 : 0);
      assert.not.ok(existsSync(w.cache), `no cache after ${args.join(' ')}`);
    }
    assert.is(run(w.bin, ['build']).code, 0);
    assert.ok(existsSync(w.cache), 'a full run writes the cache');
    assert.is(run(w.bin, ['build']).out, 'ran build\n', 'and the next run uses it');
  } finally {
    w.remove();
  }
});

test('a stale bundle is not run: the sources are, through tsx', () => {
  const w = workspace();
  try {
    // a source newer than the bundle: launch imports src/cli.ts instead (here a comment, so no output)
    const src = path.join(path.dirname(path.dirname(w.bin)), 'src', 'cli.ts');
    writeFileSync(src, '// edited after the build\n');
    // file times are coarser than this test is quick
    const later = new Date(Date.now() + 60_000);
    utimesSync(src, later, later);
    const r = spawnSync('node', [w.bin, 'build'], { encoding: 'utf8', cwd: path.dirname(LAUNCH) });
    assert.is(r.stdout, '', 'the bundle did not run');
    assert.not.ok(existsSync(w.cache));
  } finally {
    w.remove();
  }
});

test.before(() => {
  // node is what the bins start; these tests run under Deno too
  execFileSync('node', ['--version']);
});

test.run();

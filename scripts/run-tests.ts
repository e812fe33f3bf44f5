// Runs every test file (unit tests beside sources, black-box tests in tests/)
// as its own process, under Node (tsx) and under Deno, and ends with the plain
// `N passed, N failed` line CI reads. Usage:
//   tsx scripts/run-tests.ts [--runtime node|deno|both] [--jobs N] [FILTER...]
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, promises as fs, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

async function findTests(dir: string, out: string[] = []): Promise<string[]> {
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await findTests(p, out);
    else if (e.name.endsWith('.test.ts')) out.push(path.relative(root, p));
  }
  return out;
}

type Outcome = { file: string; runtime: string; passed: number; failed: number; skipped: number; seconds: number; output: string };

/**
 * A temp dir for one test process (TMPDIR, inherited by the tools it starts),
 * removed when it ends: stores, contexts and outputs of a full run come to
 * more than a GB, and CI runs on the same machine again and again. 1777 as
 * /tmp is, for tools a test runs as another user. Left in place if something
 * is still mounted below it (rm would reach through the mount).
 */
function testTmp(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipekit-test-'));
  chmodSync(dir, 0o1777);
  // tsx keeps its transform cache in TMPDIR/tsx-<uid>: share the usual one (a cold cache costs a third more time)
  const cache = `tsx-${process.getuid?.() ?? 0}`;
  mkdirSync(path.join(os.tmpdir(), cache), { recursive: true, mode: 0o700 });
  symlinkSync(path.join(os.tmpdir(), cache), path.join(dir, cache));
  return {
    dir,
    remove: () => {
      const mounted = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4]?.startsWith(`${dir}/`));
      if (mounted) process.stderr.write(`run-tests: ${dir} still has mounts below it; left in place\n`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

function runOne(file: string, runtime: string): Promise<Outcome> {
  // the type check counts as one test: it passes when tsc reports nothing
  const typecheck = runtime === 'tsc';
  const bin = path.join(root, 'node_modules', '.bin', typecheck ? 'tsc' : runtime === 'node' ? 'tsx' : 'deno');
  const args = typecheck ? ['-p', '.'] : runtime === 'node' ? [file] : ['run', '-A', '--quiet', file];
  const started = Date.now();
  return new Promise((resolve) => {
    // pnpm sets INIT_CWD for its scripts and `deno task` keeps an inherited one,
    // so tools started by tests would run in the repository root: drop it
    const tmp = testTmp();
    const env: Record<string, string | undefined> = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', TMPDIR: tmp.dir };
    delete env.INIT_CWD;
    const child = spawn(bin, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => {
      tmp.remove();
      // uvu prints "Total: N / Passed: N / Skipped: N" when a file's suite ends
      // eslint-disable-next-line no-control-regex
      const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
      const num = (label: string) => {
        const all = [...plain.matchAll(new RegExp(`${label}:\\s+(\\d+)`, 'g'))];
        return all.reduce((s, m) => s + Number(m[1]), 0);
      };
      const total = typecheck ? 1 : num('Total');
      const passed = typecheck ? (code === 0 ? 1 : 0) : num('Passed');
      const skipped = num('Skipped');
      let failed = total - passed - skipped;
      if (code !== 0 && failed === 0) failed = 1; // crashed or failed outside a test
      if (total === 0 && code === 0) failed = 1; // a test file that ran no test
      resolve({ file, runtime, passed, failed, skipped, seconds: (Date.now() - started) / 1000, output });
    });
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  let runtimes = ['node', 'deno'];
  let jobs = 2;
  const filters: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runtime') runtimes = argv[++i] === 'both' ? ['node', 'deno'] : [argv[i]];
    else if (argv[i] === '--jobs') jobs = Number(argv[++i]);
    else filters.push(argv[i]);
  }
  const files = (await findTests(root)).sort().filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
  const queue = runtimes.flatMap((rt) => files.map((f) => ({ f, rt })));
  if (filters.length === 0) queue.unshift({ f: 'tsconfig.json', rt: 'tsc' });
  const results: Outcome[] = [];
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const r = await runOne(job.f, job.rt);
      results.push(r);
      const mark = r.failed ? 'FAIL' : 'ok  ';
      process.stdout.write(`${mark} [${r.runtime}] ${r.file}: ${r.passed} passed, ${r.failed} failed (${r.seconds.toFixed(1)}s)\n`);
      if (r.failed) process.stdout.write(`${r.output.split('\n').map((l) => `    ${l}`).join('\n')}\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  const passed = results.reduce((s, r) => s + r.passed, 0);
  const failed = results.reduce((s, r) => s + r.failed, 0);
  const skipped = results.reduce((s, r) => s + r.skipped, 0);
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exitCode = failed ? 1 : 0;
}

await main();

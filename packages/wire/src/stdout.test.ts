import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// the direct writes are Node's (Deno has no lazy process.stdout to keep): each
// case runs a Node child, in a shell pipe, as the tools run
const here = path.dirname(new URL(import.meta.url).pathname);
const dir = mkdtempSync(path.join(os.tmpdir(), 'pipekit-stdout-'));
const child = path.join(dir, 'child.mts');
writeFileSync(child, `
import process from 'node:process';
import { onStdoutStream, stdoutDirect, writeStdout } from '${here}/stdout.ts';
import { closeStdout } from '${here}/stdout-eof.ts';
let made = 0;
onStdoutStream((s) => { made++; s.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); }); });
const mode = process.argv[2];
if (mode === 'small') {
  await writeStdout('hello\\n');
  process.stderr.write(\`made=\${made} direct=\${stdoutDirect()}\`);
} else if (mode === 'big') {
  await writeStdout(Buffer.alloc(1 << 20, 97));
  await writeStdout('end\\n');
  process.stderr.write(\`made=\${made} direct=\${stdoutDirect()}\`);
} else if (mode === 'mixed') {
  await writeStdout('one\\n');
  process.stdout.write('two\\n');
  await writeStdout('three\\n');
  process.stderr.write(\`made=\${made} direct=\${stdoutDirect()}\`);
} else if (mode === 'epipe') {
  for (;;) await writeStdout(Buffer.alloc(65536, 98));
} else if (mode === 'close') {
  await writeStdout('records\\n');
  await closeStdout();
  // a pipe's fd 1 is /dev/null now; a socket's stream has ended
  if (process.argv[3] === 'pipe') await writeStdout('after close\\n');
  await new Promise((r) => setTimeout(r, 1500));
  process.stderr.write(\`exit=\${Date.now()}\\n\`);
}
`);
const tsx = path.resolve(here, '..', '..', '..', 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
const run = (script: string) => {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', script.replaceAll('CHILD', `env -u NODE_OPTIONS node --import ${tsx} ${child}`)], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('writes go to fd 1 while no stream was made', () => {
  const r = run('CHILD small | cat');
  assert.is(r.code, 0, r.err);
  assert.is(r.out, 'hello\n');
  assert.match(r.err, /made=0 direct=true/);
});

// a non-blocking fd 1 (tsx makes it one) fills up: the rest waits in the stream
test('a write bigger than the pipe arrives whole and in order', () => {
  const r = run('CHILD big | { head -c 1048576 | tr -d a | wc -c; cat; }');
  assert.is(r.code, 0, r.err);
  assert.is(r.out, '0\nend\n');
});

test('once the stream is made, every later write goes through it, in order', () => {
  const r = run('CHILD mixed | cat');
  assert.is(r.code, 0, r.err);
  assert.is(r.out, 'one\ntwo\nthree\n');
  assert.match(r.err, /made=1 direct=false/);
});

test('a reader that goes away (EPIPE) ends the writer with exit 0', () => {
  const r = run('CHILD epipe | head -c 10 >/dev/null');
  assert.is(r.code, 0, r.err);
});

test('closeStdout gives the reader end of input long before the writer exits; later writes go nowhere', () => {
  // the reader's time is taken when its input ends, the writer's as it exits
  // (1.5 s after closing): by their clocks, not by how long a loaded machine took to start them
  const r = run('CHILD close pipe | { cat; echo ended=$(date +%s%3N) >&2; }');
  assert.is(r.code, 0, r.err);
  assert.is(r.out, 'records\n');
  const ended = Number(/ended=(\d+)/.exec(r.err)?.[1]);
  const exited = Number(/exit=(\d+)/.exec(r.err)?.[1]);
  assert.ok(exited - ended > 1000, `input ended ${exited - ended} ms before the writer exited`);
});

test("closeStdout on a socket (a Node parent's pipe) ends its input too", async () => {
  const child_ = spawn('node', ['--import', tsx, child, 'close'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let out = '';
  child_.stdout.on('data', (d: Buffer) => (out += d));
  const t0 = Date.now();
  const ended = await new Promise<number>((resolve) => child_.stdout.on('end', () => resolve(Date.now() - t0)));
  const exited = await new Promise<number>((resolve) => child_.on('exit', () => resolve(Date.now() - t0)));
  assert.is(out, 'records\n');
  assert.ok(exited - ended > 1000, `input ended ${ended} ms, exit ${exited} ms after the start`);
});

test.run();

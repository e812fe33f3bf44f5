import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// the direct reads are Node's (under Deno, stdinDirect() is always undefined).
// Each case runs a Node child with stdin as the tools get it: CommonJS, as the
// tools' bundles are (an ES module's import of node:process makes process.stdin,
// and with it a non-blocking fd 0), and so without tsx
const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '..', '..', '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'pipekit-stdin-'));
const built = spawnSync(path.join(root, 'node_modules', '.bin', 'esbuild'), [path.join(here, 'stdin.ts'), '--bundle', '--platform=node', '--format=cjs', `--outfile=${dir}/stdin.cjs`, '--log-level=error'], { encoding: 'utf8' });
if (built.status !== 0) throw new Error(`esbuild: ${built.stderr}`);
const child = path.join(dir, 'child.cjs');
// "stream=": whether process.stdin was made (the fallback), seen through its getter
writeFileSync(child, `
const { createHash } = require('node:crypto');
const { stdinDirect } = require('./stdin.cjs');
let made = false;
const d = Object.getOwnPropertyDescriptor(process, 'stdin');
Object.defineProperty(process, 'stdin', { configurable: true, get() { made = true; Object.defineProperty(process, 'stdin', d); return process.stdin; } });
(async () => {
  const input = stdinDirect();
  const h = createHash('sha256');
  let n = 0;
  for await (const c of input ?? process.stdin) { h.update(c); n += c.length; }
  process.stderr.write(\`direct=\${input !== undefined} stream=\${made}\\n\`);
  process.stdout.write(\`\${n} \${h.digest('hex')}\\n\`);
})();
`);
const CHILD = `env -u NODE_OPTIONS node ${child}`;
const run = (script: string) => {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', script.replaceAll('CHILD', CHILD)], { encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const sum = (data: string | Buffer) => `${Buffer.byteLength(data)} ${createHash('sha256').update(data).digest('hex')}\n`;

// larger than one 64 KiB read, and not a multiple of it
const big = Buffer.alloc(200_003, 'ab\n');
writeFileSync(path.join(dir, 'big'), big);

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a pipe is read from fd 0, whole', () => {
  const r = run('cat big | CHILD');
  assert.is(r.code, 0, r.err);
  assert.is(r.out, sum(big));
  assert.match(r.err, /direct=true stream=false/);
});

test('a writer that pauses: every part arrives, in order', () => {
  const r = run("{ printf 'one\\n'; sleep 0.2; printf 'two\\n'; } | CHILD");
  assert.is(r.code, 0, r.err);
  assert.is(r.out, sum('one\ntwo\n'));
  assert.match(r.err, /direct=true stream=false/);
});

test('a redirected file is read from fd 0', () => {
  const r = run('CHILD < big');
  assert.is(r.code, 0, r.err);
  assert.is(r.out, sum(big));
  assert.match(r.err, /direct=true stream=false/);
});

test('empty input is read as empty', () => {
  const r = run('CHILD < /dev/null; printf "" | CHILD');
  assert.is(r.code, 0, r.err);
  assert.is(r.out, sum('') + sum(''));
  // /dev/null is a character device, as a terminal is: the caller's stream and isTTY check
  assert.match(r.err, /^direct=false stream=true\ndirect=true stream=false\n$/);
});

test('a descriptor someone made non-blocking is read whole (the stream takes over)', () => {
  // the writer waits, so the first read of the non-blocking pipe finds it empty (EAGAIN)
  const nonblock = `python3 -c "import fcntl, os, sys; fcntl.fcntl(0, fcntl.F_SETFL, fcntl.fcntl(0, fcntl.F_GETFL) | os.O_NONBLOCK); os.execvp(sys.argv[1], sys.argv[1:])"`;
  const r = run(`{ sleep 1; cat big; } | ${nonblock} ${CHILD}`);
  assert.is(r.code, 0, r.err);
  assert.is(r.out, sum(big));
  assert.match(r.err, /direct=true stream=true/);
});

test("a Node parent's pipe (a socket) is read from fd 0", async () => {
  const c = spawn('bash', ['-c', CHILD], { stdio: ['pipe', 'pipe', 'pipe'], cwd: dir });
  let out = '';
  let err = '';
  c.stdout.on('data', (d: Buffer) => (out += d));
  c.stderr.on('data', (d: Buffer) => (err += d));
  c.stdin.write(big.subarray(0, 1000));
  setTimeout(() => c.stdin.end(big.subarray(1000)), 100);
  const code = await new Promise<number | null>((resolve) => c.on('close', resolve));
  assert.is(code, 0, err);
  assert.is(out, sum(big));
  assert.match(err, /direct=true stream=false/);
});

test.run();

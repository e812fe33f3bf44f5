// Runs the real CLIs from tests, as a user would in a shell. Under Node they are
// the pnpm bin links; under Deno each tool is `deno task <name>`, so running a
// test file under Deno exercises the whole pipe on Deno.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
export const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';
const TOOLS = ['df-parse', 'llb-solve', 'cas-store', 'export-oci', 'secret-agent'];

let binDir: Promise<string> | undefined;

/** A PATH entry holding the five tools for the current runtime. */
function toolsDir(): Promise<string> {
  if (!isDeno) return Promise.resolve(path.join(ROOT, 'node_modules', '.bin'));
  binDir ??= (async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipekit-deno-bin-'));
    const deno = path.join(ROOT, 'node_modules', '.bin', 'deno');
    for (const t of TOOLS) {
      await fs.writeFile(path.join(dir, t), `#!/bin/sh\n# deno task keeps an inherited INIT_CWD (pnpm sets one): pass the real cwd\nINIT_CWD="$PWD" exec "${deno}" task -q --config "${ROOT}/deno.json" ${t} "$@"\n`, { mode: 0o755 });
    }
    return dir;
  })();
  return binDir;
}

export type RunResult = { code: number; stdout: Buffer; stderr: string };

/** Run a bash pipeline (with pipefail) where the tools are on PATH. */
export async function sh(script: string, opts: { cwd?: string; env?: Record<string, string>; input?: string | Buffer } = {}): Promise<RunResult> {
  const bin = await toolsDir();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', script], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.on('error', () => undefined); // the command may exit before reading
    child.stdin.end(opts.input ?? '');
  });
}

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `pipekit-${prefix}-`));
}

/** Files under dir, recursively, relative (to check nothing was left behind). */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}

// Shared bench plumbing: run the real pipe, time it, print figures. Benchmarks
// print numbers (and ratios against a baseline measured in the same run); they
// never pass or fail on time.
import { execSync, spawnSync } from 'node:child_process';
import { mkdtempSync, copyFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const BIN = path.join(ROOT, 'node_modules', '.bin');

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `pipekit-bench-${prefix}-`));
}

/** Run a shell pipeline with the tools on PATH; returns seconds taken. */
export function timed(script: string, cwd: string, env: Record<string, string> = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', script], { cwd, env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`bench command failed: ${script}\n${r.stderr}`);
  return secs;
}

export function busyboxDir(dockerfile: string): string {
  const dir = tempDir('ctx');
  copyFileSync('/bin/busybox', path.join(dir, 'busybox'));
  writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

/** BuildKit through docker, when a docker daemon answers here; else undefined. */
export function dockerAvailable(): boolean {
  try {
    execSync('docker info', { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

export function report(name: string, figures: Record<string, string | number>): void {
  process.stdout.write(`${name}\n`);
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(34)} ${typeof v === 'number' ? v.toFixed(3) : v}\n`);
}

// Shared bench plumbing: run the real pipe, time it, print figures. Benchmarks
// print numbers (and ratios against a baseline measured in the same run); they
// never pass or fail on time.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const BIN = path.join(ROOT, 'node_modules', '.bin');

// every run leaves stores of several hundred MB: removed when the bench exits
const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `pipekit-bench-${prefix}-`));
  made.push(dir);
  return dir;
}

/** The middle value (the upper one of an even count). */
export function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/** Run a shell pipeline with the tools on PATH; returns seconds taken. */
export function timed(script: string, cwd: string, env: Record<string, string> = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', script], { cwd, env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`bench command failed: ${script}\n${r.stderr}`);
  return secs;
}

/** `files` small files under dir/src, 200 dirs of them (src/d<N>/f<M>.txt), as a source tree spreads them. */
export function addSmallFiles(dir: string, files: number): void {
  for (let d = 0; d < 200; d++) {
    const sub = path.join(dir, 'src', `d${d}`);
    mkdirSync(sub, { recursive: true });
    for (let f = 0; f < files / 200; f++) writeFileSync(path.join(sub, `f${f}.txt`), `file ${d}/${f}\n`);
  }
}

export function busyboxDir(dockerfile: string): string {
  const dir = tempDir('ctx');
  copyFileSync('/bin/busybox', path.join(dir, 'busybox'));
  writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

// BuildKit through docker: DOCKER_HOST wins, else the daemon of
// bench/buildkit-peer.sh when its socket is there. Debian's client matches that
// daemon (/usr/local/bin/docker may be a newer one).
const PEER_SOCK = '/run/pipekit-bench-docker.sock';
const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
const dockerEnv: Record<string, string> = { DOCKER_BUILDKIT: '1' };
if (!process.env.DOCKER_HOST && existsSync(PEER_SOCK)) dockerEnv.DOCKER_HOST = `unix://${PEER_SOCK}`;
// builds are labelled so that cleanup finds them, even those of an aborted run
const LABEL = 'pipekit-bench=1';

export const BUILDKIT_NOT_MEASURED = 'not measured: no docker daemon here (start one: bash bench/buildkit-peer.sh)';

/** True when a docker daemon answers here. */
export function dockerAvailable(): boolean {
  try {
    execSync(`${DOCKER} info`, { stdio: 'ignore', timeout: 5000, env: { ...process.env, ...dockerEnv } });
    return true;
  } catch {
    return false;
  }
}

/** Seconds for a BuildKit build of the context `ctx`, as our pipe builds it (no network). */
export function buildkitBuild(ctx: string, opts: { dockerfile?: string; noCache?: boolean } = {}): number {
  const noCache = opts.noCache ? ' --no-cache' : '';
  return timed(`${DOCKER} build --network=none -q --label ${LABEL}${noCache} -f ${opts.dockerfile ?? 'Dockerfile'} .`, ctx, dockerEnv);
}

/** Empties BuildKit's cache, so that the next build is cold. */
export function buildkitPrune(): void {
  // sync: the writeback of what the prune deleted is not the next build's cost
  timed(`${DOCKER} builder prune -af && sync`, ROOT, dockerEnv);
}

/** Removes the images the benches built, and BuildKit's cache. */
export function buildkitCleanup(): void {
  timed(`${DOCKER} image prune -af --filter label=${LABEL}`, ROOT, dockerEnv);
  buildkitPrune();
}

/** ours/baseline (BuildKit, cp -a), as printed next to both figures. */
export function ratio(ours: number, baseline: number): string {
  return `${(ours / baseline).toFixed(2)}x`;
}

export function report(name: string, figures: Record<string, string | number>): void {
  process.stdout.write(`${name}\n`);
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(38)} ${typeof v === 'number' ? v.toFixed(3) : v}\n`);
}

// Start a throwaway docker-registry (distribution 2.8) on 127.0.0.1 for a test.
// Each call gets its own port and storage dir, so test files can run at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';

export type TestRegistry = { host: string; dir: string; stop(): Promise<void> };

const BINARY = '/usr/bin/docker-registry';
const live = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

/** Start a registry and wait until GET /v2/ answers. Always pair with stop() (e.g. in test.after). */
export async function startRegistry(): Promise<TestRegistry> {
  installExitHook();
  const dir = mkdtempSync(path.join(tmpdir(), 'pipekit-registry-'));
  liveDirs.add(dir);
  let lastError = '';
  // The free port is found by binding :0 then closing it; another process may grab it
  // before the registry does, so retry with a fresh port.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const config = path.join(dir, 'config.yml');
    writeFileSync(config, configYaml(path.join(dir, 'storage'), port));
    const child = spawn(BINARY, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      stderr = (stderr + d).slice(-4000);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.once('error', (err) => {
      stderr += String(err);
    });
    const host = `127.0.0.1:${port}`;
    const up = await waitUntilUp(host, exited);
    if (up) {
      return {
        host,
        dir,
        stop: async () => {
          await kill(child, exited);
          rmSync(dir, { recursive: true, force: true });
          liveDirs.delete(dir);
        },
      };
    }
    await kill(child, exited);
    lastError = stderr.trim() || 'no output';
  }
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
  throw new Error(`could not start ${BINARY}: ${lastError}`);
}

function configYaml(root: string, port: number): string {
  return [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(root)}`,
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
}

async function waitUntilUp(host: string, exited: Promise<number | null>): Promise<boolean> {
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !dead) {
    try {
      const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      // distribution answers 200 with its API version header; anything else on the port is not ours.
      return res.ok && res.headers.get('docker-distribution-api-version') !== null;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

async function kill(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  live.delete(child);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Last resort when a test file dies or is interrupted without calling stop(): never leave registries behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanup = () => {
    for (const child of live) child.kill('SIGKILL');
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  // A signal listener replaces the default "terminate", so exit explicitly with the usual status.
  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      cleanup();
      process.exit(status);
    });
  }
}

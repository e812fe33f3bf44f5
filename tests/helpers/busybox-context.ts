// A build context whose Dockerfile starts from a busybox bootstrapped from
// Debian's busybox-static, so tests need no registry.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { tempDir } from './cli.ts';

export const BOOTSTRAP = [
  'FROM scratch AS bb',
  'COPY busybox /bin/busybox',
  'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p /etc /tmp && echo root:x:0:0:root:/root:/bin/sh > /etc/passwd && echo root:x:0: > /etc/group"]',
  '',
].join('\n');

/** A temp context holding busybox plus `files`; the Dockerfile is BOOTSTRAP + body. */
export async function busyboxContext(body: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await tempDir('ctx');
  await fs.copyFile('/bin/busybox', path.join(dir, 'busybox'));
  await fs.writeFile(path.join(dir, 'Dockerfile'), `${BOOTSTRAP}${body}\n`);
  for (const [name, data] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), data);
  }
  return dir;
}

export type Vertex = { digest: string; name: string; started?: string; completed?: string; cached?: boolean; error?: string; reason?: string };

/** Final state of every vertex in a rawjson progress stream, by name. */
export function vertices(stderr: string): Map<string, Vertex> {
  const out = new Map<string, Vertex>();
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    for (const v of (JSON.parse(line) as { vertexes?: Vertex[] }).vertexes ?? []) out.set(v.name, { ...out.get(v.name), ...v });
  }
  return out;
}

/** Names of steps that executed (not cached), internal ones left out. */
export function executedSteps(stderr: string): string[] {
  return [...vertices(stderr).values()].filter((v) => v.completed && !v.cached && !v.name.startsWith('[internal]')).map((v) => v.name);
}

/** Output lines the steps printed (rawjson logs), decoded. */
export function stepLogs(stderr: string): string {
  let out = '';
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    for (const l of (JSON.parse(line) as { logs?: { data: string }[] }).logs ?? []) out += Buffer.from(l.data, 'base64').toString();
  }
  return out;
}

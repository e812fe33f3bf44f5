// `ADD https://...`: an http(s) source. The file is downloaded once per build
// (into the store, named after the URL unless http.filename says otherwise,
// mode 0600 as BuildKit writes it, mtime from Last-Modified) and checked
// against http.checksum when given. With a checksum the cache key needs no
// download at all; without one it is the content's digest.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { canonicalDigest, IntegrityError, RemoteError, type SourceOp } from '@pipekit/wire';
import type { SolveContext, Vertex } from '../context.ts';
import type { Ref } from '../refs.ts';

const downloads = new WeakMap<Vertex, Promise<{ dir: string; digest: string }>>();

function attrs(v: Vertex): { url: string; filename: string; checksum: string } {
  const src = v.rec.op.source as SourceOp;
  return { url: src.identifier, filename: src.attrs['http.filename'] || '__unnamed__', checksum: src.attrs['http.checksum'] ?? '' };
}

async function download(ctx: SolveContext, v: Vertex): Promise<{ dir: string; digest: string }> {
  const { url, filename, checksum } = attrs(v);
  let res: Response;
  try {
    res = await fetch(url, { signal: ctx.signal, redirect: 'follow' });
  } catch (err) {
    throw new RemoteError(`cannot download ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new RemoteError(`cannot download ${url}: HTTP ${res.status} ${res.statusText}`);
  }
  const body = new Uint8Array(await res.arrayBuffer());
  const algo = checksum ? checksum.slice(0, checksum.indexOf(':')) : 'sha256';
  const got = `${algo}:${createHash(algo).update(body).digest('hex')}`;
  if (checksum && got !== checksum) throw new IntegrityError(`digest mismatch for ${url}: expected ${checksum}, got ${got}`);
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const dir = path.join(ctx.store.dir, 'http', `${digest.slice(7, 39)}-${createHash('sha256').update(filename).digest('hex').slice(0, 8)}`);
  const file = path.join(dir, path.basename(filename));
  await fs.mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, body, { mode: 0o600 });
  await fs.chmod(tmp, 0o600);
  const modified = res.headers.get('last-modified');
  const t = modified ? new Date(modified) : undefined;
  if (t && !Number.isNaN(t.getTime())) await fs.utimes(tmp, t, t);
  await fs.rename(tmp, file);
  return { dir, digest };
}

function once(ctx: SolveContext, v: Vertex): Promise<{ dir: string; digest: string }> {
  let p = downloads.get(v);
  if (!p) {
    p = download(ctx, v);
    downloads.set(v, p);
  }
  return p;
}

export const httpSource = {
  async cacheKey(ctx: SolveContext, v: Vertex): Promise<string> {
    const { filename, checksum } = attrs(v);
    const digest = checksum || (await once(ctx, v)).digest;
    return canonicalDigest({ kind: 'http.v1', digest, filename });
  },
  async run(ctx: SolveContext, v: Vertex): Promise<Ref[]> {
    const { dir } = await once(ctx, v);
    return [{ kind: 'dir', dir, exclude: [] }];
  },
};

// Source ops: `docker-image://` and `oci-layout://` (base images, keyed by their
// manifest digest) and `local://` (a directory on this machine, read by COPY).
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { canonicalDigest, NotFoundError, PipekitError, type SourceOp } from '@pipekit/wire';
import { ensureImageLayers, resolveImage, type ResolvedBaseImage } from '@pipekit/cas-store';
import type { OpHandler, SolveContext, Vertex } from '../context.ts';
import { registerDirExcludes, storeExclusion } from '../fs/copy-filter.ts';
import { gitSource } from './source-git.ts';
import { httpSource } from './source-http.ts';

const resolved = new WeakMap<Vertex, Promise<ResolvedBaseImage>>();

function imageRef(src: SourceOp): string {
  if (src.identifier.startsWith('docker-image://')) return src.identifier.slice('docker-image://'.length);
  return src.identifier;
}

function resolveOnce(ctx: SolveContext, v: Vertex): Promise<ResolvedBaseImage> {
  let p = resolved.get(v);
  if (!p) {
    const platform = v.rec.op.platform ?? ctx.hostPlatform;
    p = resolveImage(ctx.store, imageRef(v.rec.op.source as SourceOp), platform, { insecureRegistries: ctx.insecureRegistries });
    resolved.set(v, p);
  }
  return p;
}

function scheme(v: Vertex): string {
  const id = (v.rec.op.source as SourceOp).identifier;
  const m = /^([a-z0-9+.-]+):\/\//.exec(id);
  if (!m) throw new PipekitError(`source ${JSON.stringify(id)} has no scheme (docker-image://, oci-layout://, local://)`);
  return m[1];
}

export const sourceHandler: OpHandler = {
  cacheable: true,
  async cacheKey(ctx, v) {
    const s = scheme(v);
    if (s === 'http' || s === 'https') return httpSource.cacheKey(ctx, v);
    if (s === 'git') return gitSource.cacheKey(ctx, v);
    if (s === 'docker-image' || s === 'oci-layout') {
      const img = await resolveOnce(ctx, v);
      return canonicalDigest({ kind: 'image.v1', manifest: img.manifestDigest });
    }
    if (s === 'local') {
      // like BuildKit's session sources: never matches across builds; the ops
      // that read it key on the content they read
      return `sha256:${randomBytes(32).toString('hex')}`;
    }
    throw new PipekitError(`unsupported source ${JSON.stringify(s)}://`);
  },
  async run(ctx, v) {
    const src = v.rec.op.source as SourceOp;
    const s = scheme(v);
    if (s === 'http' || s === 'https') return httpSource.run(ctx, v);
    if (s === 'git') return gitSource.run(ctx, v);
    if (scheme(v) === 'local') {
      const dir = src.attrs['local.dir'];
      if (!dir) throw new PipekitError(`local source ${src.identifier} has no local.dir attribute`);
      const st = await fs.stat(dir).catch(() => undefined);
      if (!st?.isDirectory()) throw new NotFoundError(`build context ${dir} is not a directory`);
      const exclude = src.attrs['local.excludepatterns'] ? (JSON.parse(src.attrs['local.excludepatterns']) as string[]) : [];
      // copies and content hashes read the dir through these; never the store's own files
      registerDirExcludes(dir, exclude, storeExclusion(dir, ctx.store.dir));
      return [{ kind: 'dir', dir, exclude }];
    }
    const img = await resolveOnce(ctx, v);
    const layers = await ensureImageLayers(ctx.store, img, {
      insecureRegistries: ctx.insecureRegistries,
      onStatus: (id, done) => ctx.progress.status(v.rec.digest, id, 0, undefined, done),
    });
    return [{ kind: 'layers', layers }];
  },
};

export function isLocalSource(v: Vertex): boolean {
  return v.rec.op.source !== undefined && scheme(v) === 'local';
}

// File ops (COPY, ADD, WORKDIR's mkdir, inline files): a linear chain of actions
// applied to one writable overlay; the changes become one layer.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { canonicalDigest, BuildError, PipekitError, type ChownOpt, type CopyAction, type FileAction, type FileOp } from '@pipekit/wire';
import type { OpHandler, SolveContext, Vertex } from '../context.ts';
import { commitLayer, EMPTY, type Ref } from '../refs.ts';
import { lowerView, mountWritable, withView } from '../view.ts';
import { dropUnchanged } from '../fs/unchanged.ts';
import { localContentHash } from './local-hash.ts';
import { WrittenFiles } from '../fs/written.ts';
import { copyWithoutOverlay } from './direct-copy.ts';
import { patchPrevious } from './patch-previous.ts';
import { PatternMatcher } from '../fs/dockerignore.ts';
import { layersContentHash } from '../layers-hash.ts';
import { copyAction, type Owner } from '../fs/copy.ts';
import { resolveInRoot } from '../fs/resolve.ts';
import { lookupGid, lookupUid, type RootFs } from '../fs/user.ts';

function checkChain(f: FileOp, nInputs: number): void {
  f.actions.forEach((a, i) => {
    const ok = i === 0 ? a.input < nInputs : a.input === nInputs + i - 1;
    if (!ok) throw new PipekitError(`file op action ${i}: only linear action chains are supported (input ${a.input})`);
  });
}

async function owner(root: RootFs, o: ChownOpt | null): Promise<Owner> {
  if (!o || (!o.user && !o.group)) return null;
  const uid = o.user ? (o.user.name ? await lookupUid(root, o.user.name) : o.user.id) : 0;
  const gid = o.group ? (o.group.name ? await lookupGid(root, o.group.name) : o.group.id) : o.user ? uid : 0;
  return { uid, gid };
}

const ts = (t: number) => (t >= 0 ? new Date(t * 1000) : undefined);

async function applyAction(ctx: SolveContext, root: string, a: FileAction, v: Vertex, written?: WrittenFiles): Promise<void> {
  if (a.copy) {
    const c = a.copy;
    const src: Ref = a.secondaryInput >= 0 ? v.inputs[a.secondaryInput] : EMPTY;
    const own = await owner(root, c.owner);
    await withView(ctx.store, src, (srcRoot) => copyAction(root, srcRoot, c, { owner: own, fromLocal: src.kind === 'dir', written, signal: ctx.signal }));
  } else if (a.mkdir) {
    const m = a.mkdir;
    const own = await owner(root, m.owner);
    const target = await resolveInRoot(root, m.path);
    const st = await fs.lstat(target).catch(() => undefined);
    if (st?.isDirectory()) return;
    if (st) throw new BuildError(`mkdir ${m.path}: a file is in the way`);
    if (!m.makeParents && !(await fs.lstat(path.dirname(target)).catch(() => undefined))) {
      throw new BuildError(`mkdir ${m.path}: parent directory does not exist`);
    }
    const rel = path.relative(root, target).split(path.sep);
    let cur = root;
    for (const part of rel) {
      cur = path.join(cur, part);
      if (await fs.lstat(cur).then(() => true, () => false)) continue;
      await fs.mkdir(cur);
      await fs.chmod(cur, m.mode);
      if (own) await fs.lchown(cur, own.uid, own.gid);
      const t = ts(m.timestamp);
      if (t) await fs.utimes(cur, t, t);
    }
  } else if (a.mkfile) {
    const m = a.mkfile;
    const own = await owner(root, m.owner);
    const target = await resolveInRoot(root, m.path);
    await fs.rm(target, { force: true, recursive: true });
    await fs.writeFile(target, Buffer.from(m.data, 'base64'));
    await fs.chmod(target, m.mode);
    if (own) await fs.lchown(target, own.uid, own.gid);
    const t = ts(m.timestamp);
    if (t) await fs.utimes(target, t, t);
  } else if (a.rm) {
    const target = await resolveInRoot(root, a.rm.path, false);
    const exists = await fs.lstat(target).then(() => true, () => false);
    if (!exists && !a.rm.allowNotFound) throw new BuildError(`rm ${a.rm.path}: not found`);
    await fs.rm(target, { recursive: true, force: true });
  } else if (a.symlink) {
    const s = a.symlink;
    const target = await resolveInRoot(root, s.newpath, false);
    await fs.symlink(s.oldpath, target);
    const own = await owner(root, s.owner);
    if (own) await fs.lchown(target, own.uid, own.gid);
  }
}

export const fileHandler: OpHandler = {
  cacheable: true,
  async cacheKey(ctx, v, reads) {
    const f = v.rec.op.file as FileOp;
    checkChain(f, v.inputs.length);
    // a copy's source input counts only by the content it reads
    const content: (string | null)[] = [];
    const baseInputs = new Set<number>();
    for (const a of f.actions) {
      if (a.input >= 0 && a.input < v.inputs.length) baseInputs.add(a.input);
      if (a.copy && a.secondaryInput >= 0) {
        const c = a.copy;
        const ref = v.inputs[a.secondaryInput];
        const opts = { followSymlink: c.followSymlink, allowWildcard: c.allowWildcard };
        // what --exclude leaves out is not read, so changing it keeps the cache
        const hash = async () => {
          if (ref.kind === 'layers') return layersContentHash(ctx.store, ref, c.src, { ...opts, excludePatterns: c.excludePatterns, signal: ctx.signal }, reads?.files);
          const exclude = c.excludePatterns.length ? new PatternMatcher(c.excludePatterns) : undefined;
          return localContentHash(ctx.store, ref.dir, c.src, { ...opts, context: true, exclude, signal: ctx.signal }, reads);
        };
        content.push(
          await hash().catch((err) => {
            if (c.allowWildcard && c.allowEmptyWildcard && /not found/.test(String(err))) return 'empty';
            throw err;
          }),
        );
      } else content.push(null);
    }
    return canonicalDigest({
      kind: 'file.v1',
      file: f,
      platform: v.rec.op.platform,
      inputs: v.inputKeys.map((k, i) => (baseInputs.has(i) ? k : null)),
      content,
    });
  },
  async run(ctx, v) {
    const f = v.rec.op.file as FileOp;
    const first = f.actions[0];
    const base = first.input >= 0 ? v.inputs[first.input] : EMPTY;
    const layers = base.kind === 'layers' ? base.layers : [];
    if (f.actions.length === 1 && first.copy && base.kind === 'layers') {
      const resolve = (root: RootFs) => owner(root, (first.copy as CopyAction).owner);
      const patched = await patchPrevious(ctx, v, first, base, resolve);
      if (patched) return [{ kind: 'layers', layers: [...layers, patched] }];
      const direct = await copyWithoutOverlay(ctx, v, first, base, resolve);
      if (direct) {
        await dropUnchanged(ctx.store.snapshots.dir(direct.tmpId), lowerView(ctx.store, base));
        return [{ kind: 'layers', layers: [...layers, await commitLayer(ctx.store, direct.tmpId, direct.written.files)] }];
      }
    }
    const rw = await mountWritable(ctx.store, base);
    // a lone copy's small files are packed from memory: no later action can have changed them
    const written = f.actions.length === 1 && f.actions[0].copy ? new WrittenFiles(rw.root) : undefined;
    try {
      for (const a of f.actions) await applyAction(ctx, rw.root, a, v, written);
    } catch (err) {
      await rw.abort();
      throw err;
    }
    const { tmpId } = await rw.finish();
    await dropUnchanged(ctx.store.snapshots.dir(tmpId), lowerView(ctx.store, base));
    const layer = await commitLayer(ctx.store, tmpId, written?.files);
    return [{ kind: 'layers', layers: [...layers, layer] }];
  },
};

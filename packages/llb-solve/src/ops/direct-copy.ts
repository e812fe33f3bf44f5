// A lone COPY onto a base image, written straight into a fresh upper dir instead
// of through a writable overlay: each file created through overlayfs costs about
// half as much again, and a big COPY is mostly file creation.
//
// The upper dir must come out as the overlay would have left it. The copy only
// creates entries at or below its destination, so what the overlay would have
// copied up is the chain of existing directories on the way there: those are
// made first with the base's mode, owner and times. Paths through a symlink
// (resolved in the merged view) and components that are not directories keep
// the overlay path, which resolves and fails exactly as before.
//
// Writing into a plain directory also lets a rebuild after a small change take
// every file whose content record is unchanged from the step's previous result
// by a hard link instead of reading and writing it again.
import { chmodSync, lchownSync, mkdirSync, utimesSync, type Stats } from 'node:fs';
import path from 'node:path';
import { type CopyAction, type FileAction } from '@pipekit/wire';
import { tarFileSpans, type TarFileSpan } from '@pipekit/cas-store';
import type { SolveContext, Vertex } from '../context.ts';
import { EMPTY, type LayersRef, type Ref } from '../refs.ts';
import { layeredView, singleFileRoot, withView } from '../view.ts';
import type { LayeredRoot } from '../fs/layered.ts';
import type { RootFs } from '../fs/user.ts';
import { copyAction, type Owner, type Reuse } from '../fs/copy.ts';
import type { PreviousResult } from '../explain.ts';
import { WrittenFiles } from '../fs/written.ts';

type Plan = { dirs: { rel: string; st: Stats }[]; own: Owner };

/** The existing directories on the way to the destination, or undefined when the overlay must decide. */
export function planDirs(base: LayeredRoot, dest: string): Plan['dirs'] | undefined {
  const parts = dest.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return undefined;
  const dirs: Plan['dirs'] = [];
  for (let i = 0; i < parts.length; i++) {
    const rel = parts.slice(0, i + 1).join('/');
    const st = base.lstat(rel)?.st;
    if (!st) break;
    if (st.isDirectory()) {
      dirs.push({ rel, st });
      continue;
    }
    // a file (or device...) as the destination itself is simply replaced
    if (i === parts.length - 1 && !st.isSymbolicLink()) break;
    return undefined;
  }
  return dirs;
}

/** The source file at `abs` has the content record it had when the previous result was made. */
function sameRecord(prev: PreviousResult, srcRoot: string, abs: string): boolean {
  // the copy joins its paths onto srcRoot: mostly a plain prefix (checked), else the long way
  const key = abs.startsWith(srcRoot) && abs[srcRoot.length] === '/' && !srcRoot.endsWith('/') ? abs.slice(srcRoot.length) : path.posix.normalize(`/${path.relative(srcRoot, abs)}`);
  const now = prev.current.get(key);
  return now !== undefined && prev.files.get(key) === now;
}

// past this, the previous blob is not held in memory and files are read again
const MAX_PREVIOUS_BLOB = 512 * 1024 * 1024;

/** The previous result's layer tar, in memory, with where each file's bytes are. */
async function previousSpans(ctx: SolveContext, prev: PreviousResult): Promise<{ tar: Buffer; spans: Map<string, TarFileSpan> } | undefined> {
  if (!prev.blob || prev.blob.size > MAX_PREVIOUS_BLOB) return undefined;
  // read() checks the digest: the bytes that go into the new layer are the ones recorded
  const tar = await ctx.store.blobs.read(prev.blob.digest).catch(() => undefined);
  return tar && { tar, spans: tarFileSpans(tar) };
}

/**
 * Apply the single copy action `a` of `v` onto `base` without an overlay.
 * Returns the prepared snapshot (and what was written, for the commit), or
 * undefined when the copy has to go through the overlay.
 */
export async function copyWithoutOverlay(
  ctx: SolveContext, v: Vertex, a: FileAction, base: LayersRef, resolveOwner: (root: RootFs) => Promise<Owner>,
): Promise<{ tmpId: string; written: WrittenFiles } | undefined> {
  const c = a.copy as CopyAction;
  // the base is read from its layers, not mounted
  const view = layeredView(ctx.store, base);
  const dirs = planDirs(view, c.dest);
  if (!dirs) return undefined;
  const plan: Plan = { dirs, own: await resolveOwner(view) };
  const upper = await ctx.store.snapshots.prepare();
  try {
    for (const { rel, st } of plan.dirs) {
      const abs = path.join(upper.dir, rel);
      mkdirSync(abs);
      lchownSync(abs, st.uid, st.gid);
      chmodSync(abs, st.mode & 0o7777);
    }
    // deepest first: making a child changed its parent's times
    for (const { rel, st } of [...plan.dirs].reverse()) utimesSync(path.join(upper.dir, rel), st.atime, st.mtime);
    const src: Ref = a.secondaryInput >= 0 ? v.inputs[a.secondaryInput] : EMPTY;
    // a plain dir only this copy writes: what it saw of each file is what packing would see
    const written = new WrittenFiles(upper.dir, { exactStats: true });
    const prev = await v.previous?.();
    const spans = prev && (await previousSpans(ctx, prev));
    const copyFrom = (srcRoot: string) => {
      const reuse: Reuse | undefined = prev && {
        prevRoot: prev.snapshotDir,
        destRoot: upper.dir,
        same: (abs) => sameRecord(prev, srcRoot, abs),
        // a linked file's bytes are in the previous blob: the commit packs them from there
        linked: spans && ((rel, st) => {
          const s = spans.spans.get(rel);
          if (s?.size === st.size) written.addShared(rel, st, spans.tar.subarray(s.offset, s.offset + st.size));
        }),
      };
      return copyAction(upper.dir, srcRoot, c, { owner: plan.own, fromLocal: src.kind === 'dir', written, reuse, signal: ctx.signal });
    };
    // one file from a stage or image is read from its layer, without mounting the chain
    const oneFile = singleFileRoot(ctx.store, src, c.src, c.allowWildcard);
    await (oneFile ? copyFrom(oneFile) : withView(ctx.store, src, copyFrom));
    return { tmpId: upper.id, written };
  } catch (err) {
    await ctx.store.snapshots.remove(upper.id);
    throw err;
  }
}

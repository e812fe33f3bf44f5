// Read-only views of refs: a layer chain is mounted as a read-only overlay for
// the duration of `fn`; a directory ref is used as it is.
import { promises as fs } from 'node:fs';
import { mountOverlay, unmount, type Store } from '@pipekit/cas-store';
import { PipekitError } from '@pipekit/wire';
import type { LayersRef, Ref } from './refs.ts';
import { discard } from './trash.ts';
import { LayeredRoot } from './fs/layered.ts';

export async function withView<T>(store: Store, ref: Ref, fn: (root: string) => Promise<T>): Promise<T> {
  if (ref.kind === 'dir') return fn(ref.dir);
  if (ref.layers.length === 0) return fn(await store.snapshots.emptyDir());
  const layers = ref.layers.map((l) => {
    if (!l.snapshot) throw new PipekitError(`layer ${l.diffID} has no unpacked snapshot`);
    return l.snapshot;
  });
  const target = await store.tempDir('view');
  await mountOverlay(store.snapshots, { layers, target });
  try {
    return await fn(target);
  } finally {
    await unmount(target);
    await fs.rm(target, { recursive: true, force: true });
  }
}

export type RwMount = { root: string; finish: () => Promise<{ tmpId: string }>; abort: () => Promise<void> };

/** A writable overlay over `ref` whose changes land in a fresh snapshot. */
export async function mountWritable(store: Store, ref: Ref): Promise<RwMount> {
  if (ref.kind === 'dir') throw new PipekitError('a local directory cannot be the root of a step');
  const upper = await store.snapshots.prepare();
  if (ref.layers.length === 0) {
    // nothing below (FROM scratch): the overlay would only pass calls through to
    // the upper dir (no copy-ups, no whiteouts), at ~50% more per created file
    return {
      root: upper.dir,
      finish: async () => ({ tmpId: upper.id }),
      abort: () => store.snapshots.remove(upper.id),
    };
  }
  const work = await store.tempDir('work');
  const root = await store.tempDir('root');
  const layers = ref.layers.map((l) => l.snapshot as string);
  try {
    await mountOverlay(store.snapshots, { layers, upper: { dir: upper.dir, work }, target: root });
  } catch (err) {
    await store.snapshots.remove(upper.id);
    await fs.rm(work, { recursive: true, force: true });
    throw err;
  }
  let done = false;
  const release = async () => {
    if (done) return;
    done = true;
    await unmount(root);
    discard(root);
    discard(work);
  };
  return {
    root,
    finish: async () => {
      await release();
      return { tmpId: upper.id };
    },
    abort: async () => {
      await release();
      await store.snapshots.remove(upper.id);
    },
  };
}

/** A view kept open until close(): for mounts that live as long as a step. */
export async function openView(store: Store, ref: Ref): Promise<{ root: string; close: () => Promise<void> }> {
  let release: () => void = () => {};
  let ready: (root: string) => void = () => {};
  const rootP = new Promise<string>((r) => (ready = r));
  const held = withView(store, ref, (root) => new Promise<void>((r) => {
    release = r;
    ready(root);
  }));
  const root = await Promise.race([rootP, held.then(() => '')]);
  return {
    root,
    close: async () => {
      release();
      await held;
    },
  };
}

/** A writable overlay over `ref` whose changes are thrown away on close (rw bind mounts). */
export async function openScratchOverlay(store: Store, ref: Ref): Promise<{ root: string; close: () => Promise<void> }> {
  const upper = await store.tempDir('rw-upper');
  const work = await store.tempDir('rw-work');
  const root = await store.tempDir('rw-root');
  // a local directory is used as an absolute lowerdir; layers by snapshot id
  const layers = ref.kind === 'dir' ? [ref.dir] : ref.layers.map((l) => l.snapshot as string);
  try {
    await mountOverlay(store.snapshots, { layers, upper: { dir: upper, work }, target: root });
  } catch (err) {
    for (const d of [upper, work, root]) await fs.rm(d, { recursive: true, force: true });
    throw err;
  }
  return {
    root,
    close: async () => {
      await unmount(root);
      for (const d of [upper, work, root]) await fs.rm(d, { recursive: true, force: true });
    },
  };
}

/** What a step's upper dir sits on: the chain of a layers ref, nothing under any other. */
export function lowerView(store: Store, ref: Ref): LayeredRoot {
  return ref.kind === 'layers' ? layeredView(store, ref) : new LayeredRoot([]);
}

/** A layer chain read in userspace (see fs/layered.ts): answers without a mount. */
export function layeredView(store: Store, ref: LayersRef): LayeredRoot {
  const dirs = ref.layers.map((l) => {
    if (!l.snapshot) throw new PipekitError(`layer ${l.diffID} has no unpacked snapshot`);
    return store.snapshots.dir(l.snapshot);
  });
  return new LayeredRoot(dirs, { sealed: true });
}

const WILDCARD = /[*?[\\]/;

/**
 * A directory that can stand in for the mounted view of `ref` when only `src`
 * is read: the one layer holding `src` when that is a regular file reached
 * without symlinks (its parent dirs are then in that layer too, and its stat
 * is what the overlay shows). Undefined when a mount is needed.
 */
export function singleFileRoot(store: Store, ref: Ref, src: string, wildcard: boolean): string | undefined {
  if (ref.kind !== 'layers' || ref.layers.length === 0 || (wildcard && WILDCARD.test(src))) return undefined;
  const rel = src.split('/').filter((s) => s !== '' && s !== '.');
  if (rel.length === 0 || rel.includes('..')) return undefined;
  const view = layeredView(store, ref);
  if (view.resolve(src) !== `/${rel.join('/')}`) return undefined;
  const e = view.lstat(src);
  if (!e?.st.isFile()) return undefined;
  return e.host.slice(0, e.host.length - rel.join('/').length - 1);
}

// An image's filesystem, made by applying its layers in order into a directory
// the way container runtimes do: `.wh.NAME` deletes NAME from the layers below,
// `.wh..wh..opq` hides everything below in its directory, later entries replace
// earlier ones. Every path stays inside the root: parent symlinks are resolved
// within it and `..` is refused. Owners are set when running as root; modes and
// symlinks always; mtimes are clamped to `epoch` when given.
import { chmodSync, closeSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { pipeline } from 'node:stream/promises';
import { Readable, type Writable } from 'node:stream';
import tarStream from 'tar-stream';
import { IntegrityError } from '@pipekit/wire';
import { makeSpecialFile } from '@pipekit/cas-store';

export type ApplyOptions = { epoch?: number; /** for warnings (entries that cannot be made without root) */ warn?: (msg: string) => void };

const isRoot = process.getuid?.() === 0;

/** Apply layer tars, bottom first, into `root` (an existing, empty directory). */
export async function applyLayers(layers: { label: string; tar: () => AsyncIterable<Uint8Array> }[], root: string, opts: ApplyOptions = {}): Promise<void> {
  const times = new Map<string, Date>(); // directory mtimes, set last (creating children changes them)
  for (const layer of layers) await applyLayer(layer.tar(), root, layer.label, times, opts);
  const clamp = (d: Date) => (opts.epoch !== undefined && d.getTime() > opts.epoch * 1000 ? new Date(opts.epoch * 1000) : d);
  for (const [dir, mtime] of [...times].sort((a, b) => b[0].length - a[0].length)) {
    try {
      utimesSync(dir, clamp(mtime), clamp(mtime));
    } catch {
      // removed by a later layer
    }
  }
}

async function applyLayer(tar: AsyncIterable<Uint8Array>, root: string, label: string, times: Map<string, Date>, opts: ApplyOptions): Promise<void> {
  const added = new Set<string>(); // paths this layer wrote: an opaque marker keeps them
  // parent directories already resolved, by their path in the layer; anything
  // removed may have been one (or a link on the way to one), so a removal clears it
  const parents = new Map<string, string>();
  const extract = tarStream.extract();
  const bad = (name: string, why: string) => new IntegrityError(`layer ${label}: entry ${JSON.stringify(name)} ${why}`);
  const remove = (abs: string) => {
    rmSync(abs, { recursive: true, force: true });
    parents.clear();
  };
  extract.on('entry', (h, stream, next) => {
    // filesystem calls are synchronous: a thread-pool round trip per call cost
    // more than the call itself for the small files images are made of
    const handle = async () => {
      const parts = h.name.split('/').filter((p) => p !== '' && p !== '.');
      if (parts.some((p) => p === '..')) throw bad(h.name, 'escapes the root');
      if (!parts.length) return;
      const rel = parts.join('/');
      const base = parts[parts.length - 1];
      const dir = parentDir(root, parts.slice(0, -1), h.name, bad, parents);
      if (base === '.wh..wh..opq') {
        for (const name of readdirMaybe(dir)) {
          const child = path.join(dir, name);
          if (!added.has(child)) remove(child);
        }
        return;
      }
      if (base.startsWith('.wh.')) return remove(path.join(dir, base.slice(4)));
      const abs = path.join(dir, base);
      added.add(abs);
      const old = lstatSync(abs, { throwIfNoEntry: false });
      if (old && !(old.isDirectory() && h.type === 'directory')) remove(abs);
      switch (h.type) {
        case 'directory':
          if (!old?.isDirectory()) mkdirSync(abs);
          break;
        case 'file':
        case 'contiguous-file':
          await writeEntry(stream as AsyncIterable<Uint8Array>, abs);
          break;
        case 'symlink':
          symlinkSync(h.linkname ?? '', abs);
          break;
        case 'link': {
          const target = (h.linkname ?? '').split('/').filter((p) => p !== '' && p !== '.');
          if (target.some((p) => p === '..')) throw bad(h.name, 'links outside the root');
          const tdir = parentDir(root, target.slice(0, -1), h.name, bad, parents);
          try {
            linkSync(path.join(tdir, target[target.length - 1] ?? ''), abs);
          } catch (err) {
            throw bad(h.name, `is a hard link to missing ${JSON.stringify(h.linkname)} (${(err as Error).message})`);
          }
          return;
        }
        case 'character-device':
        case 'block-device':
        case 'fifo': {
          try {
            await makeSpecialFile(abs, h.type, h.devmajor ?? 0, h.devminor ?? 0);
          } catch (err) {
            opts.warn?.(`WARN: layer ${label}: cannot create ${h.type} ${rel}: ${(err as Error).message}`);
            return;
          }
          break;
        }
        default:
          return; // pax/gnu metadata entries are consumed by the parser; others have no file form
      }
      if (isRoot) lchownSync(abs, h.uid ?? 0, h.gid ?? 0);
      if (h.type !== 'symlink') chmodSync(abs, (h.mode ?? 0o644) & 0o7777);
      let mtime = h.mtime ?? new Date(0);
      if (opts.epoch !== undefined && mtime.getTime() > opts.epoch * 1000) mtime = new Date(opts.epoch * 1000);
      if (h.type === 'directory') times.set(abs, mtime);
      else lutimesSync(abs, mtime, mtime);
    };
    handle().then(
      () => {
        stream.resume();
        next();
      },
      (err) => {
        stream.resume();
        next(err);
      },
    );
  });
  await pipeline(Readable.from(tar), extract as unknown as Writable);
}

/** A file entry's bytes into a new file at `abs` (mode set by the caller). */
async function writeEntry(stream: AsyncIterable<Uint8Array>, abs: string): Promise<void> {
  const fd = openSync(abs, 'w', 0o600);
  try {
    for await (const chunk of stream) {
      for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
    }
  } finally {
    closeSync(fd);
  }
}

function readdirMaybe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The directory `parts` names inside root, created as needed. Symlinks on the
 * way are followed as if root were `/` (as docker's FollowSymlinkInScope does),
 * so a layer writing into /lib when /lib -> usr/lib lands in /usr/lib.
 */
function parentDir(root: string, parts: string[], name: string, bad: (n: string, why: string) => Error, known: Map<string, string>): string {
  const key = parts.join('/');
  const hit = known.get(key);
  if (hit !== undefined) return hit;
  const stack = [...parts];
  const resolved: string[] = [];
  let links = 0;
  while (stack.length) {
    const part = stack.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const abs = path.join(root, ...resolved, part);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) {
      mkdirSync(abs, { mode: 0o755 });
      resolved.push(part);
    } else if (st.isSymbolicLink()) {
      if (++links > 40) throw bad(name, 'has too many levels of symbolic links');
      const target = readlinkSync(abs);
      if (target.startsWith('/')) resolved.length = 0;
      stack.unshift(...target.split('/'));
    } else if (st.isDirectory()) {
      resolved.push(part);
    } else {
      throw bad(name, `would be written through non-directory ${JSON.stringify([...resolved, part].join('/'))}`);
    }
  }
  const dir = path.join(root, ...resolved);
  known.set(key, dir);
  return dir;
}

// Unpack a layer tar into a snapshot dir in overlayfs upper format: `.wh.x`
// becomes a 0/0 char device, `.wh..wh..opq` the opaque xattr. Every entry is
// confined to the snapshot: `..`, absolute names and writes through symlinks are
// refused, naming the layer and the entry.
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import tarStream from 'tar-stream';
import { execa } from 'execa';
import { IntegrityError } from '@pipekit/wire';
import { markOpaque } from './xattr.ts';

export type UnpackOptions = { /** shown in errors: the layer's digest */ label: string; rootless?: boolean };

function cleanName(name: string, label: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new IntegrityError(`layer ${label}: entry ${JSON.stringify(name)} escapes the root`);
  return parts.join('/');
}

async function mknod(file: string, type: 'c' | 'b', major: number, minor: number): Promise<void> {
  await execa('mknod', [file, type, String(major), String(minor)]);
}

export async function unpackLayer(tar: AsyncIterable<Uint8Array>, root: string, opts: UnpackOptions): Promise<void> {
  const { label } = opts;
  const safeDirs = new Set<string>(['']);
  const dirTimes: { abs: string; mtime: Date }[] = [];

  // every parent must be a real directory inside root (never a symlink)
  const ensureParent = async (rel: string) => {
    const parent = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    if (safeDirs.has(parent)) return;
    let cur = '';
    for (const part of parent.split('/')) {
      cur = cur ? `${cur}/${part}` : part;
      if (safeDirs.has(cur)) continue;
      const abs = path.join(root, cur);
      const st = await fs.lstat(abs).catch(() => undefined);
      if (!st) await fs.mkdir(abs, { mode: 0o755 });
      else if (!st.isDirectory()) {
        throw new IntegrityError(`layer ${label}: entry ${JSON.stringify(rel)} would be written through non-directory ${JSON.stringify(cur)}`);
      }
      safeDirs.add(cur);
    }
  };

  const extract = tarStream.extract();
  extract.on('entry', (h, stream, next) => {
    const handle = async () => {
      const rel = cleanName(h.name, label);
      if (rel === '') {
        stream.resume();
        return;
      }
      await ensureParent(rel);
      const abs = path.join(root, rel);
      const base = path.posix.basename(rel);
      if (base === '.wh..wh..opq') {
        stream.resume();
        const dir = path.dirname(abs);
        await fs.mkdir(dir, { recursive: true });
        await markOpaque(dir, opts.rootless);
        return;
      }
      if (base.startsWith('.wh.')) {
        stream.resume();
        const target = path.join(path.dirname(abs), base.slice(4));
        await fs.rm(target, { recursive: true, force: true });
        await mknod(target, 'c', 0, 0);
        return;
      }
      const existing = await fs.lstat(abs).catch(() => undefined);
      if (existing && !(existing.isDirectory() && h.type === 'directory')) await fs.rm(abs, { recursive: true, force: true });
      switch (h.type) {
        case 'directory':
          await fs.mkdir(abs, { recursive: true });
          safeDirs.add(rel);
          break;
        case 'file':
        case 'contiguous-file':
          await pipeline(stream, createWriteStream(abs, { mode: 0o600 }));
          break;
        case 'symlink':
          await fs.symlink(h.linkname ?? '', abs);
          break;
        case 'link': {
          const target = cleanName(h.linkname ?? '', label);
          const tabs = path.join(root, target);
          const tst = await fs.lstat(tabs).catch(() => undefined);
          if (!tst || tst.isDirectory()) throw new IntegrityError(`layer ${label}: hard link ${JSON.stringify(rel)} points to missing ${JSON.stringify(target)}`);
          await fs.link(tabs, abs);
          break;
        }
        case 'character-device':
        case 'block-device':
          await mknod(abs, h.type === 'character-device' ? 'c' : 'b', h.devmajor ?? 0, h.devminor ?? 0);
          break;
        case 'fifo':
          await execa('mkfifo', [abs]);
          break;
        default:
          stream.resume();
          return;
      }
      stream.resume();
      if (h.type === 'link') return;
      await fs.lchown(abs, h.uid ?? 0, h.gid ?? 0).catch(() => undefined);
      if (h.type !== 'symlink') await fs.chmod(abs, (h.mode ?? 0o644) & 0o7777);
      const mtime = h.mtime ?? new Date(0);
      if (h.type === 'directory') dirTimes.push({ abs, mtime });
      else await fs.lutimes(abs, mtime, mtime).catch(() => undefined);
    };
    handle().then(() => next(), (err) => next(err));
  });
  await pipeline(Readable.from(tar), extract as unknown as Writable);
  // directory mtimes last: creating children changed them
  for (const { abs, mtime } of dirTimes.reverse()) await fs.utimes(abs, mtime, mtime).catch(() => undefined);
}

// Unpack a layer tar into a snapshot dir in overlayfs upper format: `.wh.x`
// becomes a 0/0 char device, `.wh..wh..opq` the opaque xattr. Layers come from
// strangers, so every entry is confined to the snapshot: `..` and absolute
// names, writes or hard links through symlinks, whiteouts naming `.`/`..`,
// over-long names and decompression bombs are refused, naming layer and entry.
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import tarStream from 'tar-stream';
import { inUserNamespace, IntegrityError, runCommand } from '@pipekit/wire';
import { CAPABILITY_XATTR, markOpaque, setFileCapability } from './xattr.ts';
import { PaxXattrScanner } from './pax-xattrs.ts';
import { makeSpecialFile } from './special-files.ts';

export type UnpackLimits = { maxEntries: number; maxBytes: number };
export type UnpackOptions = { /** shown in errors: the layer's digest */ label: string; rootless?: boolean; limits?: Partial<UnpackLimits> };

const NAME_MAX = 255;

/** Limits from the environment (PIPEKIT_LAYER_MAX_ENTRIES / _MAX_BYTES) or generous defaults. */
export function defaultLimits(): UnpackLimits {
  const num = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);
  return {
    maxEntries: num(process.env.PIPEKIT_LAYER_MAX_ENTRIES, 2_000_000),
    maxBytes: num(process.env.PIPEKIT_LAYER_MAX_BYTES, 64 * 1024 ** 3),
  };
}

/**
 * Whiteouts (0/0 character devices) at `files`: one process for many, since
 * neither Node nor Deno can make a device node itself. Throws when any fails.
 */
export async function makeWhiteouts(files: string[]): Promise<void> {
  // well under the kernel's limit on the size of an argument list
  for (let i = 0; i < files.length; i += 500) {
    const res = await runCommand('sh', ['-c', 'for f do mknod -- "$f" c 0 0 || exit 1; done', 'sh', ...files.slice(i, i + 500)]);
    if (res.code !== 0) throw new Error(`cannot make whiteouts: ${res.stderr.trim()}`);
  }
}

export async function unpackLayer(tar: AsyncIterable<Uint8Array>, root: string, opts: UnpackOptions): Promise<void> {
  const { label } = opts;
  const limits = { ...defaultLimits(), ...opts.limits };
  const refuse = (entry: string, why: string): never => {
    throw new IntegrityError(`layer ${label}: entry ${JSON.stringify(entry)} ${why}`);
  };
  const cleanName = (name: string): string => {
    const parts = name.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.some((p) => p === '..')) refuse(name, 'escapes the root');
    for (const p of parts) if (Buffer.byteLength(p) > NAME_MAX) refuse(name, `has a name longer than ${NAME_MAX} bytes`);
    return parts.join('/');
  };
  // directories known to be real (not symlinks) inside root; an entry that
  // replaces a path drops it and everything under it from this set
  const safeDirs = new Set<string>(['']);
  const forget = (rel: string) => {
    for (const d of safeDirs) if (d === rel || d.startsWith(`${rel}/`)) safeDirs.delete(d);
  };
  const ensureDir = async (dir: string, entry: string, create: boolean): Promise<void> => {
    if (safeDirs.has(dir)) return;
    let cur = '';
    for (const part of dir.split('/')) {
      cur = cur ? `${cur}/${part}` : part;
      if (safeDirs.has(cur)) continue;
      const abs = path.join(root, cur);
      const st = await fs.lstat(abs).catch(() => undefined);
      if (!st && create) await fs.mkdir(abs, { mode: 0o755 });
      else if (!st) refuse(entry, `refers to missing ${JSON.stringify(cur)}`);
      else if (!st.isDirectory()) refuse(entry, `would be written through non-directory ${JSON.stringify(cur)}`);
      safeDirs.add(cur);
    }
  };
  const parentOf = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
  const dirTimes: { abs: string; mtime: Date }[] = [];
  let entries = 0;
  let bytes = 0;
  // device nodes need real root: not in a user namespace
  const isRoot = process.getuid?.() === 0 && !inUserNamespace();

  const extract = tarStream.extract();
  // the xattrs' raw bytes, read beside tar-stream (which decodes them as text)
  const xattrs = new PaxXattrScanner();
  extract.on('entry', (h, stream, next) => {
    const raw = xattrs.next();
    // a truncated tar errors the entry stream before we read it; the extract
    // stream reports the same failure, so this one is only kept from crashing
    stream.on('error', () => undefined);
    const handle = async () => {
      if (++entries > limits.maxEntries) refuse(h.name, `exceeds the limit of ${limits.maxEntries} entries (PIPEKIT_LAYER_MAX_ENTRIES)`);
      bytes += h.size ?? 0;
      if (bytes > limits.maxBytes) refuse(h.name, `takes the layer past ${limits.maxBytes} bytes (PIPEKIT_LAYER_MAX_BYTES)`);
      const rel = cleanName(h.name);
      if (rel === '') return;
      const parent = parentOf(rel);
      await ensureDir(parent, h.name, true);
      const abs = path.join(root, rel);
      const base = path.posix.basename(rel);
      if (base === '.wh..wh..opq') {
        await markOpaque(path.dirname(abs), opts.rootless);
        return;
      }
      if (base.startsWith('.wh.')) {
        const victim = base.slice(4);
        if (victim === '' || victim === '.' || victim === '..' || victim.startsWith('.wh.')) {
          // other `.wh..wh.` markers (hard-link dirs of aufs) carry nothing for us
          if (victim.startsWith('.wh.')) return;
          refuse(h.name, 'is a whiteout that points outside its directory');
        }
        const target = path.join(path.dirname(abs), victim);
        forget(parent ? `${parent}/${victim}` : victim);
        await fs.rm(target, { recursive: true, force: true });
        await makeSpecialFile(target, 'character-device', 0, 0);
        return;
      }
      const existing = await fs.lstat(abs).catch(() => undefined);
      if (existing && !(existing.isDirectory() && h.type === 'directory')) {
        forget(rel);
        await fs.rm(abs, { recursive: true, force: true });
      }
      switch (h.type) {
        case 'directory':
          if (!existing?.isDirectory()) await fs.mkdir(abs);
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
          const target = cleanName(h.linkname ?? '');
          await ensureDir(parentOf(target), h.name, false);
          const tst = await fs.lstat(path.join(root, target)).catch(() => undefined);
          if (!tst || tst.isDirectory()) refuse(h.name, `is a hard link to ${tst ? 'a directory' : 'missing'} ${JSON.stringify(target)}`);
          await fs.link(path.join(root, target), abs);
          return;
        }
        case 'character-device':
        case 'block-device':
          // only root may make device nodes; rootless builds leave them out
          if (!isRoot) return;
          await makeSpecialFile(abs, h.type, h.devmajor ?? 0, h.devminor ?? 0);
          break;
        case 'fifo':
          await makeSpecialFile(abs, 'fifo');
          break;
        default:
          return;
      }
      await fs.lchown(abs, h.uid ?? 0, h.gid ?? 0).catch(() => undefined);
      if (h.type !== 'symlink') await fs.chmod(abs, (h.mode ?? 0o644) & 0o7777);
      const mtime = h.mtime ?? new Date(0);
      if (h.type === 'directory') dirTimes.push({ abs, mtime });
      else await fs.lutimes(abs, mtime, mtime).catch(() => undefined);
      // the one xattr layers keep (see layer-pack); set after the chown, which drops it.
      // Best effort, as containerd: a user namespace may not set it
      const cap = raw?.[CAPABILITY_XATTR];
      if (cap && (h.type === 'file' || h.type === 'contiguous-file')) setFileCapability(abs, cap);
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
  try {
    const scanned = async function* () {
      for await (const c of tar) {
        xattrs.push(c);
        yield c;
      }
    };
    await pipeline(Readable.from(scanned()), extract as unknown as Writable);
  } catch (err) {
    if (err instanceof IntegrityError) throw err;
    throw new IntegrityError(`layer ${label}: not a valid tar stream: ${(err as Error).message}`, { cause: err });
  }
  // directory mtimes last: creating children changed them
  for (const { abs, mtime } of dirTimes.reverse()) await fs.utimes(abs, mtime, mtime).catch(() => undefined);
}

// ADD's automatic extraction of local archives (tar, and tar compressed with
// gzip, bzip2, xz or zstd), as docker's attemptUnpack does: anything else is
// copied as a file. The archive is listed first and refused if any entry would
// land outside the destination; it is then extracted into an empty scratch dir
// by GNU tar (which also defers symlinks that point outside) and copied over.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BuildError } from '@pipekit/wire';
import { defaultLimits } from '@pipekit/cas-store';

const MAGIC: [number[], string][] = [
  [[0x1f, 0x8b], 'gzip'],
  [[0x42, 0x5a, 0x68], 'bzip2'],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
];

function tar(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('tar', args, { maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new BuildError(String(stderr).trim() || err.message, { cause: err }));
      else resolve(String(stdout));
    });
  });
}

/** tar lists at least one entry (it accepts some non-tar input silently). */
function isTar(file: string): Promise<boolean> {
  return tar(['-tf', file]).then((out) => out.trim() !== '', () => false);
}

/** The compression of a tar archive at `file` ('' for plain tar), or null if it is not one. */
export async function archiveKind(file: string): Promise<string | null> {
  const fh = await fs.open(file, 'r');
  const head = new Uint8Array(512);
  let n = 0;
  try {
    n = (await fh.read(head, 0, 512, 0)).bytesRead;
  } finally {
    await fh.close();
  }
  for (const [magic, kind] of MAGIC) {
    if (n >= magic.length && magic.every((b, i) => head[i] === b)) {
      // compressed: only an archive if a tar is inside
      return (await isTar(file)) ? kind : null;
    }
  }
  if (n < 512) return null;
  const ustar = String.fromCharCode(...head.slice(257, 262));
  if (ustar === 'ustar') return '';
  // old (v7) tar: the header checksum must add up
  const sum = head.reduce((s, b, i) => s + (i >= 148 && i < 156 ? 32 : b), 0);
  const stored = parseInt(String.fromCharCode(...head.slice(148, 156)).replace(/[\0 ]/g, ''), 8);
  return stored === sum && (await isTar(file)) ? '' : null;
}

/** Entry names that would escape the destination (absolute, or with a `..` step). */
export function escapingEntries(names: string[]): string[] {
  return names.filter((n) => n.startsWith('/') || n.split('/').includes('..'));
}

/** Extract `file` into a fresh scratch dir; returns it (the caller copies it over and removes it). */
export async function extractArchive(file: string, label: string): Promise<string> {
  // the verbose listing gives each entry's declared size: a bomb (many entries,
  // or huge or sparse sizes in the headers) is refused before anything is written
  const listing = (await tar(['-tvf', file, '--numeric-owner'])).split('\n').filter(Boolean);
  const limits = defaultLimits();
  if (listing.length > limits.maxEntries) {
    throw new BuildError(`refusing to extract ${label}: it has ${listing.length} entries, over the limit of ${limits.maxEntries} (PIPEKIT_LAYER_MAX_ENTRIES)`);
  }
  let total = 0;
  for (const line of listing) {
    const size = Number(line.trim().split(/\s+/)[2]);
    if (Number.isFinite(size)) total += size;
    if (total > limits.maxBytes) {
      throw new BuildError(`refusing to extract ${label}: entry ${JSON.stringify(line.trim().split(/\s+/).slice(5).join(' '))} takes it past ${limits.maxBytes} bytes (PIPEKIT_LAYER_MAX_BYTES)`);
    }
  }
  const names = (await tar(['-tf', file])).split('\n').filter(Boolean);
  const bad = escapingEntries(names);
  if (bad.length) throw new BuildError(`refusing to extract ${label}: entry ${JSON.stringify(bad[0])} would be written outside the destination`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipekit-unpack-'));
  try {
    await tar(['-xf', file, '-C', dir, '--no-overwrite-dir', '--delay-directory-restore']);
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw new BuildError(`cannot extract ${label}: ${(err as Error).message}`, { cause: err });
  }
  return dir;
}

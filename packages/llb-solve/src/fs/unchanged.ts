// What a step's upper dir holds that the layers below already have, removed
// before the layer is packed, as BuildKit's overlay differ leaves it out of the
// layer (util/overlay Changes and sameDirent):
// - a directory with the same mode, owner and device as below, once nothing
//   under it is left (a dir that keeps a changed child stays, as its parent entry);
// - a file, symlink or device with the same mode, owner, device, capabilities,
//   size and mtime as below; when both mtimes lack nanoseconds (a layer unpacked
//   from a tar), only if the bytes or link targets match too;
// - a whiteout of a path that does not exist below.
// An opaque dir (a dir removed and made again) becomes what BuildKit writes
// for it, a plain dir with a whiteout for each entry below that is gone,
// compared entry by entry like the rest; over nothing, its marker just goes.
// The upper dir is the snapshot later steps mount, so what is dropped is what
// they would have seen through it anyway; only those dirs' mtimes change.
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, rmdirSync, unlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { lstatMaybe } from '@pipekit/wire';
import { clearOpaque, fileCapability, isOpaqueDirSync, isWhiteout, makeWhiteouts } from '@pipekit/cas-store';
import type { LayeredRoot } from './layered.ts';

const sameStat = (a: Stats, b: Stats) => a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.rdev === b.rdev;

function sameCapability(a: string, b: string): boolean {
  const ca = fileCapability(a);
  const cb = fileCapability(b);
  return ca === undefined || cb === undefined ? ca === cb : ca.equals(cb);
}

const CHUNK = 256 * 1024;

function sameBytes(a: string, b: string, size: number): boolean {
  const fa = openSync(a, 'r');
  try {
    const fb = openSync(b, 'r');
    try {
      const ba = Buffer.allocUnsafe(Math.min(CHUNK, size));
      const bb = Buffer.allocUnsafe(ba.length);
      for (let pos = 0; pos < size; ) {
        const n = readSync(fa, ba, 0, ba.length, pos);
        if (n === 0 || readSync(fb, bb, 0, n, pos) !== n || !ba.subarray(0, n).equals(bb.subarray(0, n))) return false;
        pos += n;
      }
      return true;
    } finally {
      closeSync(fb);
    }
  } finally {
    closeSync(fa);
  }
}

/** BuildKit's sameDirent for a non-directory: `a` in the upper dir, `b` below. */
function sameEntry(a: string, sa: Stats, b: string, sb: Stats): boolean {
  if (!sameStat(sa, sb) || sa.size !== sb.size) return false;
  if (sa.isFile() && !sameCapability(a, b)) return false;
  const ta = lstatSync(a, { bigint: true }).mtimeNs;
  const tb = lstatSync(b, { bigint: true }).mtimeNs;
  if (ta / 1_000_000_000n !== tb / 1_000_000_000n) return false;
  const nsA = ta % 1_000_000_000n;
  const nsB = tb % 1_000_000_000n;
  // a time truncated to seconds (by a tar) says too little: compare what the entry holds
  if (nsA === 0n && nsB === 0n) {
    if (sa.isSymbolicLink()) return readlinkSync(a) === readlinkSync(b);
    return !sa.isFile() || sa.size === 0 || sameBytes(a, b, sa.size);
  }
  return nsA === nsB;
}

type Below = { host: string; st: Stats };

/**
 * What the layers below hold at `name` in a dir made up of `hosts` (that dir in
 * each layer that contributes to it, top first): the entry that shows, and
 * the child's own contributing dirs when it is a dir. `names`, when given,
 * lists each host dir, so a name is only asked where it exists.
 */
function below(hosts: string[], name: string, names?: Set<string>[]): { entry?: Below; dirs: string[] } {
  const dirs: string[] = [];
  let entry: Below | undefined;
  for (let i = 0; i < hosts.length; i++) {
    if (names && !names[i].has(name)) continue;
    const host = path.join(hosts[i], name);
    const st = lstatMaybe(host);
    if (!st) continue;
    if (isWhiteout(st)) break;
    entry ??= { host, st };
    // a non-dir ends the merge, and so does an opaque dir after its own entries
    if (!st.isDirectory()) break;
    dirs.push(host);
    if (isOpaqueDirSync(host)) break;
  }
  return { entry, dirs };
}

// past this many entries in an upper dir, listing each dir below costs less than asking it per name
const LIST_BELOW = 16;

/**
 * Whiteouts (host paths) for what the layers below hold under `rel` (made up
 * of `hosts`) that the upper dir no longer has; `cleared` gets the dirs whose
 * marker then goes.
 */
function hiddenBelow(upper: string, rel: string, hosts: string[], out: string[], cleared: string[]): void {
  const dir = path.join(upper, rel);
  const here = new Set(readdirSync(dir));
  if (isOpaqueDirSync(dir)) cleared.push(dir);
  const seen = new Set<string>();
  for (const name of hosts.flatMap((h) => readdirSync(h))) {
    if (seen.has(name)) continue;
    seen.add(name);
    const { entry, dirs } = below(hosts, name);
    if (!entry) continue; // a whiteout higher up: not there below either
    const r = `${rel}/${name}`;
    if (!here.has(name)) out.push(path.join(upper, r));
    // a dir made again under the opaque one hid its old contents too
    else if (entry.st.isDirectory() && lstatSync(path.join(upper, r)).isDirectory()) hiddenBelow(upper, r, dirs, out, cleared);
  }
}

/** Opaque dirs of `upper` (found where the layers below have their parents) made plain, with explicit whiteouts. */
async function explicitWhiteouts(upper: string, lowerDirs: string[]): Promise<void> {
  const whiteouts: string[] = [];
  const cleared: string[] = [];
  const visit = (rel: string, hosts: string[]) => {
    // only dirs matter here: the entries' types come with the listing, no lstat each
    const subdirs = readdirSync(rel ? path.join(upper, rel) : upper, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    const listed = subdirs.length > LIST_BELOW ? hosts.map((h) => new Set(readdirSync(h))) : undefined;
    for (const name of subdirs) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(upper, r);
      const { entry, dirs } = below(hosts, name, listed);
      if (!entry?.st.isDirectory()) {
        // over nothing, or over a file, nothing of the layers below shows through anyway
        if (isOpaqueDirSync(abs)) clearOpaque(abs);
      } else if (isOpaqueDirSync(abs)) hiddenBelow(upper, r, dirs, whiteouts, cleared);
      else visit(r, dirs);
    }
  };
  visit('', lowerDirs);
  if (cleared.length === 0) return;
  try {
    await makeWhiteouts(whiteouts);
  } catch {
    return; // device nodes not allowed here (a user namespace): the markers stay, the layer is as correct
  }
  for (const d of cleared) clearOpaque(d);
}

/** Remove from `upper` what `lower` (the layers it sits on) already has; returns how many entries went. */
export async function dropUnchanged(upper: string, lower: LayeredRoot): Promise<number> {
  let dropped = 0;
  // walks the upper dir beside the layers below, dir by dir; returns whether the dir is left empty
  const visit = (rel: string, hosts: string[]): boolean => {
    const names = readdirSync(rel ? path.join(upper, rel) : upper);
    const listed = names.length > LIST_BELOW ? hosts.map((h) => new Set(readdirSync(h))) : undefined;
    let left = names.length;
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(upper, r);
      const st = lstatSync(abs);
      const { entry, dirs } = below(hosts, name, listed);
      let drop: boolean;
      if (isWhiteout(st)) drop = !entry;
      else if (!entry) drop = false; // new, and so is everything under it
      else if (st.isDirectory()) {
        // a new dir over a file, or one still opaque, is kept whole
        if (!entry.st.isDirectory() || isOpaqueDirSync(abs)) continue;
        drop = visit(r, dirs) && sameStat(st, entry.st);
      } else drop = sameEntry(abs, st, entry.host, entry.st);
      if (!drop) continue;
      if (st.isDirectory()) rmdirSync(abs);
      else unlinkSync(abs);
      left--;
      dropped++;
    }
    return left === 0;
  };
  // every change made here leaves a correct layer on its own: one that fails
  // part-way (an entry this process may not read) leaves more in the layer, never a wrong one
  try {
    await explicitWhiteouts(upper, lower.dirs);
    visit('', lower.dirs);
  } catch {
    // what is left is packed as it is
  }
  return dropped;
}

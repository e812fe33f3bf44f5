// The merged view of a layer chain, read in userspace: what overlayfs would show,
// without mounting it. A RUN step whose root overlay is mounted by runc inside
// the container's own mount namespace still needs a few answers from the image
// before it starts (the user's ids from /etc/passwd, whether the working dir
// and the mount points exist); mounting the chain on the host just to ask them
// costs a mount and an umount process per step.
//
// Rules, as overlayfs applies them to snapshot dirs (upper-dir format): the
// topmost layer that has an entry wins; a 0/0 character device is a whiteout;
// a non-directory or an opaque directory hides everything below it in the
// layers underneath.
import { readFileSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { lstatMaybe } from '@pipekit/wire';
import { walkPath } from './resolve.ts';
import { isOpaqueDirSync, isWhiteout } from '@pipekit/cas-store';


export type LayeredEntry = { st: Stats; host: string };

// A committed snapshot never changes: what an lstat found in one (or did not
// find) holds for every later view of a chain through it. Each step of a build
// sees the chain of the step before plus one layer, so it reads its new top
// layer and takes the rest from here, instead of every layer again.
const sealedStats = new Map<string, Stats | null>();
const sealedOpaque = new Map<string, boolean>();
const SEALED_MAX = 100_000;

function remember<T>(m: Map<string, T>, k: string, v: T): T {
  if (m.size >= SEALED_MAX) m.clear();
  m.set(k, v);
  return v;
}

function sealedLstat(p: string): Stats | undefined {
  const known = sealedStats.get(p);
  if (known !== undefined) return known ?? undefined;
  return remember(sealedStats, p, lstatMaybe(p) ?? null) ?? undefined;
}

function sealedIsOpaque(p: string): boolean {
  return sealedOpaque.get(p) ?? remember(sealedOpaque, p, isOpaqueDirSync(p));
}

export class LayeredRoot {
  /** absolute snapshot dirs, top layer first */
  readonly dirs: string[];
  private readonly memo = new Map<string, LayeredEntry | null>();
  private readonly lstatHost: (p: string) => Stats | undefined;
  private readonly isOpaque: (p: string) => boolean;

  /**
   * `layers`: absolute snapshot dirs, bottom layer first (image order).
   * `sealed`: they are committed snapshots, which never change (their entries
   * are then looked up once per process).
   */
  constructor(layers: string[], opts: { sealed?: boolean } = {}) {
    this.dirs = [...layers].reverse();
    this.lstatHost = opts.sealed ? sealedLstat : lstatMaybe;
    this.isOpaque = opts.sealed ? sealedIsOpaque : isOpaqueDirSync;
  }

  /**
   * lstat of a container path in the merged view. Intermediate components are
   * taken literally: callers resolve symlinks first (see resolve()).
   */
  lstat(p: string): LayeredEntry | undefined {
    const parts = p.split('/').filter((s) => s !== '' && s !== '.');
    if (parts.length === 0) return this.top('');
    return this.lookup(parts) ?? undefined;
  }

  private top(rel: string): LayeredEntry | undefined {
    for (const d of this.dirs) {
      const host = path.join(d, rel);
      const st = this.lstatHost(host);
      if (st) return { st, host };
    }
    return undefined;
  }

  private lookup(parts: string[]): LayeredEntry | null {
    const rel = parts.join('/');
    const known = this.memo.get(rel);
    if (known !== undefined) return known;
    let found: LayeredEntry | null = null;
    // the parent must be a directory in the merged view
    const parent = parts.length > 1 ? this.lookup(parts.slice(0, -1)) : this.top('') ?? null;
    if (parent?.st.isDirectory()) {
      for (const d of this.dirs) {
        const host = path.join(d, rel);
        const st = this.lstatHost(host);
        if (st) {
          found = isWhiteout(st) ? null : { st, host };
          break;
        }
        if (this.hidesBelow(d, parts)) break;
      }
    }
    this.memo.set(rel, found);
    return found;
  }

  /** Whether layer dir `d`, lacking `parts`, hides it in the layers underneath. */
  private hidesBelow(d: string, parts: string[]): boolean {
    let cur = d;
    for (let i = 0; i < parts.length - 1; i++) {
      cur = path.join(cur, parts[i]);
      const st = this.lstatHost(cur);
      if (!st) return false;
      if (!st.isDirectory() || this.isOpaque(cur)) return true;
    }
    return false;
  }

  /**
   * A container path with its symlinks followed, re-rooted the way the
   * container sees them (absolute targets and `..` never leave the root).
   */
  resolve(p: string, followLast = true): string {
    const linkAt = (parts: string[]) => {
      const e = this.lookup(parts);
      return e?.st.isSymbolicLink() ? readlinkSync(e.host) : undefined;
    };
    return `/${walkPath(p, followLast, linkAt).join('/')}`;
  }

  /** Contents of a regular file (symlinks followed), or undefined when there is none. */
  readText(p: string): string | undefined {
    const e = this.lstat(this.resolve(p));
    if (!e?.st.isFile()) return undefined;
    try {
      return readFileSync(e.host, 'utf8');
    } catch {
      return undefined;
    }
  }
}

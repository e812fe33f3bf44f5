// In-use markers: a running build appends what it uses (cache keys, layer diff
// ids, snapshots, cache mounts) to <store>/run/<pid>-<rand>.inuse before using
// it. GC reads the markers of live processes and never removes what they name,
// nor anything written after the oldest live build started.
import { randomBytes } from 'node:crypto';
import { appendFileSync, promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { pidAlive } from './lock.ts';

export type InUseKind = 'key' | 'layer' | 'snapshot' | 'cachemount';
export type InUseSet = {
  /** start time (ms) of the oldest live build; Infinity when none runs */
  oldestStart: number;
  builds: number;
  ids: Record<InUseKind, Set<string>>;
};

const leases = new WeakMap<object, Lease>();

export class Lease {
  readonly file: string;
  private readonly seen = new Set<string>();
  private constructor(file: string) {
    this.file = file;
  }

  /** Start a lease for this process on `store` (one per Store object). */
  static async begin(store: { dir: string }): Promise<Lease> {
    const existing = leases.get(store);
    if (existing) return existing;
    const file = path.join(store.dir, 'run', `${process.pid}-${randomBytes(6).toString('hex')}.inuse`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, `${JSON.stringify({ pid: process.pid, startedAt: Date.now() })}\n`);
    const lease = new Lease(file);
    leases.set(store, lease);
    return lease;
  }

  async mark(kind: InUseKind, ids: Iterable<string>): Promise<void> {
    const fresh = [...ids].filter((id) => id && !this.seen.has(`${kind} ${id}`));
    if (fresh.length === 0) return;
    for (const id of fresh) this.seen.add(`${kind} ${id}`);
    // sync: a few bytes, several times per step; one call instead of three thread-pool trips
    appendFileSync(this.file, fresh.map((id) => `${JSON.stringify({ [kind]: id })}\n`).join(''));
  }

  /** Whether this lease has marked `id` as `kind`. */
  has(kind: InUseKind, id: string): boolean {
    return this.seen.has(`${kind} ${id}`);
  }

  /** What this lease has marked of one kind, in marking order. */
  marked(kind: InUseKind): string[] {
    const prefix = `${kind} `;
    return [...this.seen].filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length));
  }

  async end(store: object): Promise<void> {
    leases.delete(store);
    await fs.rm(this.file, { force: true });
  }
}

/** The lease this process holds on `store`, if any. */
export function currentLease(store: object): Lease | undefined {
  return leases.get(store);
}

/** Mark ids in use when this process holds a lease on `store`; a no-op otherwise. */
export async function markInUse(store: object, kind: InUseKind, ids: Iterable<string>): Promise<void> {
  await leases.get(store)?.mark(kind, ids);
}

/** What live builds use (but the lease file `except`, when given); markers of dead processes are removed. */
export async function readInUse(storeDir: string, except?: string): Promise<InUseSet> {
  const out: InUseSet = { oldestStart: Number.POSITIVE_INFINITY, builds: 0, ids: { key: new Set(), layer: new Set(), snapshot: new Set(), cachemount: new Set() } };
  const dir = path.join(storeDir, 'run');
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (!name.endsWith('.inuse')) continue;
    const file = path.join(dir, name);
    if (file === except) continue;
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    const lines = text.split('\n');
    let head: { pid?: number; startedAt?: number } = {};
    try {
      head = JSON.parse(lines[0]);
    } catch {
      // a marker being created right now: its pid is in the name
    }
    const pid = head.pid ?? Number(name.split('-')[0]);
    if (!pidAlive(pid)) {
      await fs.rm(file, { force: true });
      continue;
    }
    out.builds++;
    out.oldestStart = Math.min(out.oldestStart, head.startedAt ?? Date.now() - 1000);
    for (const line of lines.slice(1)) {
      if (!line) continue;
      try {
        const rec = JSON.parse(line) as Partial<Record<InUseKind, string>>;
        for (const k of Object.keys(out.ids) as InUseKind[]) if (rec[k]) out.ids[k].add(rec[k] as string);
      } catch {
        // a half-appended last line: the writer marks before it uses, so nothing is lost
      }
    }
  }
  return out;
}

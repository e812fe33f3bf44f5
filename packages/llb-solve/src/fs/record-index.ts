// Finding a context's kept records by path (see contenthash.ts fromRecords).
// A walk leaves them in walk order, where an entry is followed at once by
// everything below it: an entry, a dir's names and a removed dir's span are
// then found by binary search and a short scan, instead of maps over all
// 20,000 records built for each of the few entries that changed. Records not
// in walk order (none are made so) are looked up through maps instead.
import type { Records } from './context-memo.ts';
import { walkOrder } from './walk-order.ts';

type Entries = Records['entries'];

const below = (s: string, dir: string) => dir === '' ? s !== '' : s.length > dir.length && s.startsWith(dir) && s.charCodeAt(dir.length) === 0x2f;

export class RecordIndex {
  private readonly entries: Entries;
  private ordered: boolean | undefined;
  private bySub: Map<string, number> | undefined;

  /** `entries` is read, never changed; entries replaced in place at the same path keep it valid */
  constructor(entries: Entries) {
    this.entries = entries;
  }

  private inWalkOrder(): boolean {
    if (this.ordered === undefined) {
      const e = this.entries;
      let ok = true;
      for (let k = 1; k < e.length && ok; k++) ok = walkOrder(e[k - 1][0], e[k][0]) < 0;
      this.ordered = ok;
    }
    return this.ordered;
  }

  /** The index of the record of `sub`, if there is one. */
  indexOf(sub: string): number | undefined {
    const e = this.entries;
    if (!this.inWalkOrder()) {
      this.bySub ??= new Map(e.map(([s], i) => [s, i]));
      return this.bySub.get(sub);
    }
    let lo = 0;
    let hi = e.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (walkOrder(e[mid][0], sub) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo < e.length && e[lo][0] === sub ? lo : undefined;
  }

  /** The names directly below the dir whose record is at `i`. */
  childrenOf(i: number): string[] {
    const e = this.entries;
    const dir = e[i][0];
    const out: string[] = [];
    const from = dir === '' ? 0 : dir.length + 1;
    const direct = (s: string) => s.indexOf('/', from) < 0;
    if (this.inWalkOrder()) {
      for (let k = i + 1; k < e.length && below(e[k][0], dir); k++) if (direct(e[k][0])) out.push(e[k][0].slice(from));
    } else {
      for (const [s] of e) if (below(s, dir) && direct(s)) out.push(s.slice(from));
    }
    return out;
  }

  /** The records without those of `removed` subs and everything below them. */
  without(removed: Set<string>): Entries {
    const e = this.entries;
    if (removed.size === 0) return e;
    if (!this.inWalkOrder()) {
      const gone = (s: string) => {
        for (let cut = s.length; cut > 0; cut = s.lastIndexOf('/', cut - 1)) if (removed.has(s.slice(0, cut))) return true;
        return false;
      };
      return e.filter(([s]) => !gone(s));
    }
    const spans: [number, number][] = [];
    for (const sub of removed) {
      const i = this.indexOf(sub);
      if (i === undefined) continue;
      let end = i + 1;
      while (end < e.length && below(e[end][0], sub)) end++;
      spans.push([i, end]);
    }
    spans.sort((x, y) => x[0] - y[0]);
    const out: Entries = [];
    let pos = 0;
    for (const [start, end] of spans) {
      for (let k = pos; k < start; k++) out.push(e[k]);
      pos = Math.max(pos, end);
    }
    for (let k = pos; k < e.length; k++) out.push(e[k]);
    return out;
  }
}

// A collected record's short hash: what explain notes keep per path, and what
// a rebuilt copy compares to tell an entry unchanged (see patch-previous.ts).
// A big context's records are kept with their hashes (context-memo.ts), so a
// build that re-reads a few changed entries hashes only those: 20,000 hashes
// cost ~30 ms here.
import * as crypto from 'node:crypto';

// one-shot hashing (Node >= 20.12, Deno) costs half of a Hash object per call;
// looked up on first use, as reading it would load node:crypto at start-up
let oneShot: ((alg: string, data: string) => string) | null | undefined;

/** hashes known by record; a bound keeps a huge context from holding all of them twice */
const known = new Map<string, string>();
const MAX_KNOWN = 500_000;

function remember(record: string, hash: string): void {
  if (known.size < MAX_KNOWN) known.set(record, hash);
}

/** The record's hash: remembered for this process, or computed. */
export function recordHash(record: string): string {
  let h = known.get(record);
  if (h === undefined) {
    oneShot ??= (crypto as { hash?: (alg: string, data: string) => string }).hash ?? null;
    h = (oneShot ? oneShot('sha256', record) : crypto.createHash('sha256').update(record).digest('hex')).slice(0, 16);
    remember(record, h);
  }
  return h;
}

/** Take `hash` as the hash of `record`: one recordHash gave for it before, kept with the records in the store. */
export function knowRecordHash(record: string, hash: string): void {
  if (/^[0-9a-f]{16}$/.test(hash)) remember(record, hash);
}

// Scratch directories are removed in the background, off the critical path of
// the next step; settle() waits for them so the store is tidy before exit.
import { promises as fs } from 'node:fs';

const pending = new Set<Promise<void>>();

export function discard(dir: string): void {
  const p: Promise<void> = fs.rm(dir, { recursive: true, force: true }).catch(() => undefined).then(() => {
    pending.delete(p);
  });
  pending.add(p);
}

export async function settle(): Promise<void> {
  while (pending.size) await Promise.all([...pending]);
}

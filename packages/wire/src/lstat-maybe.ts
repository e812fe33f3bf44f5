// The one "stat it if it is there" for the synchronous walks (hashing, copying,
// packing, disk usage): any failure (ENOENT, ENOTDIR below a file, a race with a
// removal) reads as absent.
import { lstatSync, type Stats } from 'node:fs';

export function lstatMaybe(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

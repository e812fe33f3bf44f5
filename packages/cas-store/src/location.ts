// Where the store lives, the same rule for every tool:
// --store DIR, else $CAS_STORE_DIR, else $XDG_DATA_HOME/cas-store (root: /var/lib/cas-store).
import { homedir } from 'node:os';
import path from 'node:path';
import process from 'node:process';

export function resolveStoreDir(flag?: string): string {
  if (flag) return path.resolve(flag);
  if (process.env.CAS_STORE_DIR) return path.resolve(process.env.CAS_STORE_DIR);
  if (process.getuid?.() === 0) return '/var/lib/cas-store';
  const xdg = process.env.XDG_DATA_HOME || path.join(homedir(), '.local', 'share');
  return path.join(xdg, 'cas-store');
}

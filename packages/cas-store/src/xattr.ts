// Overlay opaque markers live in xattrs, which neither Node nor Deno can reach:
// @napi-rs/xattr (prebuilt, works on both) is the one adapter for them.
import { getAttributeSync, setAttribute } from '@napi-rs/xattr';
import { inUserNamespace } from '@pipekit/wire';

const OPAQUE = ['trusted.overlay.opaque', 'user.overlay.opaque'];

export async function isOpaqueDir(dir: string): Promise<boolean> {
  return isOpaqueDirSync(dir);
}

/** Sync: a walk over many directories pays no thread-pool round trip per check. */
export function isOpaqueDirSync(dir: string): boolean {
  for (const name of OPAQUE) {
    try {
      const v = getAttributeSync(dir, name);
      if (v && Buffer.from(v).toString() === 'y') return true;
    } catch {
      // absent attribute or a filesystem without xattrs: not opaque
    }
  }
  return false;
}

export async function markOpaque(dir: string, rootless = inUserNamespace()): Promise<void> {
  await setAttribute(dir, rootless ? OPAQUE[1] : OPAQUE[0], Buffer.from('y'));
}

// Overlay opaque markers live in xattrs, which neither Node nor Deno can reach:
// @napi-rs/xattr (prebuilt, works on both) is the one adapter for them.
import { getAttributeSync, removeAttributeSync, setAttribute, setAttributeSync } from '@napi-rs/xattr';
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

/** Make an opaque dir plain again (either marker); what it hid must then be hidden by whiteouts. */
export function clearOpaque(dir: string): void {
  for (const name of OPAQUE) {
    try {
      removeAttributeSync(dir, name);
    } catch {
      // not set
    }
  }
}

/**
 * The one xattr a layer keeps, as BuildKit's (containerd's) tar writer does:
 * file capabilities (`setcap cap_net_bind_service=+ep app`). Undefined when
 * the file has none or the filesystem keeps no xattrs.
 */
export const CAPABILITY_XATTR = 'security.capability';

export function fileCapability(file: string): Buffer | undefined {
  try {
    const v = getAttributeSync(file, CAPABILITY_XATTR);
    return v && v.length ? Buffer.from(v) : undefined;
  } catch {
    return undefined;
  }
}

/** Give `file` the capability xattr `value`; false when this process or filesystem cannot. */
export function setFileCapability(file: string, value: Uint8Array): boolean {
  try {
    setAttributeSync(file, CAPABILITY_XATTR, value);
    return true;
  } catch {
    return false;
  }
}

// Overlay opaque markers live in xattrs, which neither Node nor Deno can reach:
// @napi-rs/xattr (prebuilt, works on both) is the one adapter for them.
import * as napiXattr from '@napi-rs/xattr';
import { createRequire } from 'node:module';
import process from 'node:process';
import { inUserNamespace, isDeno } from '@pipekit/wire';

type Binding = Pick<typeof napiXattr, 'getAttributeSync' | 'removeAttributeSync' | 'setAttribute' | 'setAttributeSync'>;
let binding: Binding | undefined;

/**
 * The binding. On Node on glibc Linux, the platform's prebuilt package is
 * loaded directly: the package's own loader probes for musl and for files that
 * are not there first, ~2.5 ms of the first build step that reads an xattr.
 * Anywhere else (or laid out otherwise), that loader finds it.
 */
function xattr(): Binding {
  if (binding) return binding;
  if (!isDeno && process.platform === 'linux') {
    try {
      const beside = createRequire(createRequire(import.meta.url).resolve('@napi-rs/xattr'));
      binding = beside(`@napi-rs/xattr-linux-${process.arch}-gnu`) as Binding;
      return binding;
    } catch {
      // not installed as a glibc build
    }
  }
  binding = napiXattr;
  return binding;
}

const OPAQUE = ['trusted.overlay.opaque', 'user.overlay.opaque'];

export async function isOpaqueDir(dir: string): Promise<boolean> {
  return isOpaqueDirSync(dir);
}

/** Sync: a walk over many directories pays no thread-pool round trip per check. */
export function isOpaqueDirSync(dir: string): boolean {
  for (const name of OPAQUE) {
    try {
      const v = xattr().getAttributeSync(dir, name);
      if (v && Buffer.from(v).toString() === 'y') return true;
    } catch {
      // absent attribute or a filesystem without xattrs: not opaque
    }
  }
  return false;
}

export async function markOpaque(dir: string, rootless = inUserNamespace()): Promise<void> {
  await xattr().setAttribute(dir, rootless ? OPAQUE[1] : OPAQUE[0], Buffer.from('y'));
}

/** Make an opaque dir plain again (either marker); what it hid must then be hidden by whiteouts. */
export function clearOpaque(dir: string): void {
  for (const name of OPAQUE) {
    try {
      xattr().removeAttributeSync(dir, name);
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
    const v = xattr().getAttributeSync(file, CAPABILITY_XATTR);
    return v && v.length ? Buffer.from(v) : undefined;
  } catch {
    return undefined;
  }
}

/** Give `file` the capability xattr `value`; false when this process or filesystem cannot. */
export function setFileCapability(file: string, value: Uint8Array): boolean {
  try {
    xattr().setAttributeSync(file, CAPABILITY_XATTR, value);
    return true;
  } catch {
    return false;
  }
}

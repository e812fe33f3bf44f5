// OCI platform helpers: the host's platform and os/arch[/variant] strings.
import { UsageError } from './errors.ts';
import type { Platform } from './ops.ts';

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function hostPlatform(): Platform {
  const architecture = GOARCH[process.arch] ?? process.arch;
  return { os: 'linux', architecture, variant: architecture === 'arm64' ? 'v8' : '' };
}

export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new UsageError(`invalid platform ${JSON.stringify(s)}: expected os/arch[/variant], e.g. linux/amd64`);
  }
  let [os, architecture, variant = ''] = parts;
  if (architecture === 'x86_64' || architecture === 'x86-64') architecture = 'amd64';
  if (architecture === 'aarch64') architecture = 'arm64';
  if (architecture === 'arm64' && variant === '') variant = 'v8';
  return { os, architecture, variant };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant === 'v8' && p.architecture === 'arm64' ? '' : p.variant].filter(Boolean).join('/');
}

/** Whether an image's platform (from a manifest list or config) satisfies `want`. */
export function platformMatches(want: Platform, got: { os?: string; architecture?: string; variant?: string }): boolean {
  if (got.os !== want.os || got.architecture !== want.architecture) return false;
  const gv = got.variant ?? '';
  if (want.architecture === 'arm64') return gv === '' || gv === 'v8' || gv === want.variant;
  return want.variant === '' || gv === '' || gv === want.variant;
}

// RUN steps for another architecture run under QEMU user emulation through the
// kernel's binfmt_misc. Debian's qemu-user-static registers its interpreters
// with the fix-binary flag, so they work inside containers without being in
// the rootfs. When one is installed but not registered we register it; when
// it is missing the error says what to install.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuildError, formatPlatform, runCommand, type Platform } from '@pipekit/wire';

/** Go architecture name -> QEMU's (and binfmt entry) name. */
const QEMU: Record<string, string> = {
  amd64: 'x86_64', arm64: 'aarch64', arm: 'arm', '386': 'i386', ppc64le: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', mips64le: 'mips64el',
};

const checked = new Map<string, Promise<void>>();

async function enabled(file: string): Promise<boolean> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.split('\n')[0] === 'enabled';
}

async function register(binfmtDir: string, name: string): Promise<void> {
  // binfmt_misc may not be mounted yet (a fresh boot without systemd)
  if (!(await fs.access(path.join(binfmtDir, 'register')).then(() => true, () => false))) {
    await runCommand('mount', ['-t', 'binfmt_misc', 'binfmt_misc', binfmtDir]);
  }
  if (await fs.access(`/usr/share/binfmts/${name}`).then(() => true, () => false)) {
    await runCommand('update-binfmts', ['--enable', name]);
  }
}

/** Make sure `platform` can run here; throws a BuildError naming what to install. */
export function ensureEmulation(platform: Platform, host: Platform, binfmtDir = '/proc/sys/fs/binfmt_misc'): Promise<void> {
  if (platform.os !== 'linux' || platform.architecture === host.architecture) return Promise.resolve();
  const key = `${binfmtDir}|${platform.architecture}`;
  let p = checked.get(key);
  if (!p) {
    p = (async () => {
      const qemu = QEMU[platform.architecture];
      const want = formatPlatform(platform);
      if (!qemu) throw new BuildError(`cannot run ${want} steps on ${formatPlatform(host)}: no QEMU emulator is known for ${platform.architecture}`);
      const name = `qemu-${qemu}`;
      const file = path.join(binfmtDir, name);
      if (await enabled(file)) return;
      await register(binfmtDir, name).catch(() => undefined);
      if (await enabled(file)) return;
      throw new BuildError(
        `RUN for ${want} needs QEMU user emulation, and the ${name} interpreter is not registered with binfmt_misc: ` +
          `install it with "apt-get install qemu-user-static binfmt-support", then "update-binfmts --enable ${name}" ` +
          `(or build that stage FROM --platform=$BUILDPLATFORM and cross-compile)`,
      );
    })();
    checked.set(key, p);
    p.catch(() => checked.delete(key));
  }
  return p;
}

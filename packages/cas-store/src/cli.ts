// cas-store: the content-addressed store every tool shares.
import process from 'node:process';
import { commandArgs, openInput, runCli, UsageError, writeStdout, type CommandSpec, type FlagSpecs } from '@pipekit/wire';
import { catCommand, pullCommand, putCommand, storeInfo } from './commands.ts';
import { duCommand, fsckCommand, gcCommand, pruneCommand } from './commands-gc.ts';
import { confirm } from './confirm.ts';

const many = (v: unknown): string[] | undefined => v as string[] | undefined;
const list = (v: unknown) => many(v)?.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
const str = (v: unknown) => v as string | undefined;

const GLOBAL: FlagSpecs = {
  store: { type: 'string', describe: 'store directory (default: $CAS_STORE_DIR, else XDG data dir)' },
};

const COMMANDS: Record<string, CommandSpec> = {
  info: { describe: 'show where the store is and what it holds (JSON)' },
  pull: {
    describe: 'pull an image into the store; prints its manifest digest',
    args: '<ref>',
    flags: {
      platform: { type: 'string', describe: 'os/arch (default: this machine)' },
      'insecure-registry': { type: 'string', multiple: true, describe: 'registry host reached over plain HTTP' },
      'registry-ca': { type: 'string', multiple: true, describe: '[HOST=]FILE: trust this PEM CA (for HOST, which then uses HTTPS even on loopback)' },
    },
  },
  put: { describe: 'store a blob from FILE or stdin; prints its digest', args: '[file]' },
  cat: { describe: 'write a blob to stdout, verified', args: '<digest>' },
  du: {
    describe: 'disk usage of the build cache (buildx du)',
    flags: {
      verbose: { alias: 'v', type: 'boolean', describe: 'one block per record' },
      format: { type: 'string', describe: 'table (default) or json (one object per line)' },
      filter: { type: 'string', multiple: true, describe: 'type=..., id=..., description~=...' },
    },
  },
  prune: {
    describe: 'remove build cache (buildx prune)',
    flags: {
      all: { alias: 'a', type: 'boolean', describe: 'include internal records (image manifests and configs)' },
      filter: { type: 'string', multiple: true, describe: 'until=24h, type=regular|exec.cachemount|source.local, id=..., description~=...' },
      'reserved-space': { type: 'string', describe: 'never prune below this size (512MB, 10GB, 10%)' },
      'max-used-space': { type: 'string', describe: 'prune until the cache is at most this size' },
      'min-free-space': { type: 'string', describe: 'prune until the disk has this much free' },
      'keep-storage': { type: 'string', describe: 'deprecated name of --reserved-space' },
      force: { alias: 'f', type: 'boolean', describe: 'do not ask for confirmation' },
      verbose: { alias: 'v', type: 'boolean', describe: 'list what was removed' },
      format: { type: 'string', describe: 'table (default) or json' },
    },
  },
  gc: {
    describe: 'run the GC policy of buildkitd.toml (--config, $CAS_STORE_CONFIG or <store>/buildkitd.toml)',
    flags: { config: { type: 'string', describe: 'buildkitd.toml-style file with [worker.oci] gc settings' } },
  },
  fsck: {
    describe: 'verify every blob and reference; exit 1 when errors remain',
    flags: {
      repair: { type: 'boolean', describe: 'drop what is broken and remove leftovers' },
      format: { type: 'string', describe: 'text (default) or json' },
    },
  },
};

void runCli('cas-store', async () => {
  const a = await commandArgs(process.argv.slice(2), 'cas-store <command> [--store DIR]', GLOBAL, COMMANDS);
  if (!a) return;
  const f = a.flags;
  const store = str(f.store);
  switch (a.command) {
    case 'info':
      await writeStdout(`${JSON.stringify(await storeInfo(store), null, 2)}\n`);
      return;
    case 'pull':
      await writeStdout(`${await pullCommand(a.positionals[0], { store, platform: str(f.platform), insecureRegistries: list(f['insecure-registry']), registryCAs: many(f['registry-ca']) })}\n`);
      return;
    case 'put':
      await writeStdout(`${await putCommand(openInput(a.positionals[0], 'blob content'), store)}\n`);
      return;
    case 'cat':
      await catCommand(a.positionals[0], store, process.stdout);
      return;
    case 'du':
      await writeStdout(await duCommand({ store, verbose: Boolean(f.verbose), format: str(f.format), filters: many(f.filter) }));
      return;
    case 'prune':
      if (!f.force && !(await confirm('WARNING! This will remove all dangling build cache. Are you sure you want to continue? [y/N] '))) {
        throw new UsageError('prune needs --force when stdin is not a terminal (or the answer was not y)');
      }
      await writeStdout(await pruneCommand({
        store, all: Boolean(f.all), filters: many(f.filter),
        reservedSpace: str(f['reserved-space']), maxUsedSpace: str(f['max-used-space']),
        minFreeSpace: str(f['min-free-space']), keepStorage: str(f['keep-storage']),
        verbose: Boolean(f.verbose), format: str(f.format),
      }));
      return;
    case 'gc':
      await writeStdout(await gcCommand({ store, config: str(f.config) }));
      return;
    default: {
      const res = await fsckCommand({ store, repair: Boolean(f.repair), format: str(f.format) });
      await writeStdout(res.out);
      process.stderr.write(`cas-store fsck: ${res.summary}\n`);
      return res.ok ? 0 : 1;
    }
  }
});

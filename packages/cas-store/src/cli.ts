// cas-store: the content-addressed store every tool shares.
import process from 'node:process';
import yargs from 'yargs';
import { openInput, runCli, UsageError, writeStdout, VERSION } from '@pipekit/wire';
import { catCommand, pullCommand, putCommand, storeInfo } from './commands.ts';
import { duCommand, fsckCommand, gcCommand, pruneCommand } from './commands-gc.ts';
import { confirm } from './confirm.ts';

// repeatable flags are declared without `array` (which would swallow positionals) and normalised here
const many = (v: unknown): string[] | undefined => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).map(String));
const list = (v: unknown) => many(v)?.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);

void runCli('cas-store', async () => {
  let exit = 0;
  await yargs(process.argv.slice(2))
    .scriptName('cas-store')
    .version(VERSION)
    .usage('$0 <command> [--store DIR]')
    .option('store', { type: 'string', global: true, describe: 'store directory (default: $CAS_STORE_DIR, else XDG data dir)' })
    .command('info', 'show where the store is and what it holds (JSON)', {}, async (a) => {
      await writeStdout(`${JSON.stringify(await storeInfo(a.store as string | undefined), null, 2)}\n`);
    })
    .command('pull <ref>', 'pull an image into the store; prints its manifest digest', (y) =>
      y.positional('ref', { type: 'string', demandOption: true })
        .option('platform', { type: 'string', describe: 'os/arch (default: this machine)' })
        .option('insecure-registry', { type: 'string', describe: 'registry host reached over plain HTTP (repeatable)' })
        .option('registry-ca', { type: 'string', describe: '[HOST=]FILE: trust this PEM CA (for HOST, which then uses HTTPS even on loopback)' }), async (a) => {
      await writeStdout(`${await pullCommand(a.ref as string, { store: a.store as string | undefined, platform: a.platform as string | undefined, insecureRegistries: list(a['insecure-registry']), registryCAs: many(a['registry-ca']) })}\n`);
    })
    .command('put [file]', 'store a blob from FILE or stdin; prints its digest', (y) => y.positional('file', { type: 'string' }), async (a) => {
      await writeStdout(`${await putCommand(openInput(a.file as string | undefined, 'blob content'), a.store as string | undefined)}\n`);
    })
    .command('cat <digest>', 'write a blob to stdout, verified', (y) => y.positional('digest', { type: 'string', demandOption: true }), async (a) => {
      await catCommand(a.digest as string, a.store as string | undefined, process.stdout);
    })
    .command('du', 'disk usage of the build cache (buildx du)', (y) =>
      y.option('verbose', { alias: 'v', type: 'boolean', describe: 'one block per record' })
        .option('format', { type: 'string', describe: 'table (default) or json (one object per line)' })
        .option('filter', { type: 'string', describe: 'type=..., id=..., description~=... (repeatable)' }), async (a) => {
      await writeStdout(await duCommand({ store: a.store as string | undefined, verbose: a.verbose as boolean, format: a.format as string | undefined, filters: many(a.filter) }));
    })
    .command('prune', 'remove build cache (buildx prune)', (y) =>
      y.option('all', { alias: 'a', type: 'boolean', describe: 'include internal records (image manifests and configs)' })
        .option('filter', { type: 'string', describe: 'repeatable: until=24h, type=regular|exec.cachemount|source.local, id=..., description~=...' })
        .option('reserved-space', { type: 'string', describe: 'never prune below this size (512MB, 10GB, 10%)' })
        .option('max-used-space', { type: 'string', describe: 'prune until the cache is at most this size' })
        .option('min-free-space', { type: 'string', describe: 'prune until the disk has this much free' })
        .option('keep-storage', { type: 'string', describe: 'deprecated name of --reserved-space' })
        .option('force', { alias: 'f', type: 'boolean', describe: 'do not ask for confirmation' })
        .option('verbose', { alias: 'v', type: 'boolean' })
        .option('format', { type: 'string', describe: 'table (default) or json' }), async (a) => {
      if (!a.force && !(await confirm('WARNING! This will remove all dangling build cache. Are you sure you want to continue? [y/N] '))) {
        throw new UsageError('prune needs --force when stdin is not a terminal (or the answer was not y)');
      }
      await writeStdout(await pruneCommand({
        store: a.store as string | undefined, all: a.all as boolean, filters: many(a.filter),
        reservedSpace: a['reserved-space'] as string | undefined, maxUsedSpace: a['max-used-space'] as string | undefined,
        minFreeSpace: a['min-free-space'] as string | undefined, keepStorage: a['keep-storage'] as string | undefined,
        verbose: a.verbose as boolean, format: a.format as string | undefined,
      }));
    })
    .command('gc', 'run the GC policy of buildkitd.toml (--config, $CAS_STORE_CONFIG or <store>/buildkitd.toml)', (y) =>
      y.option('config', { type: 'string', describe: 'buildkitd.toml-style file with [worker.oci] gc settings' }), async (a) => {
      await writeStdout(await gcCommand({ store: a.store as string | undefined, config: a.config as string | undefined }));
    })
    .command('fsck', 'verify every blob and reference; exit 1 when errors remain', (y) =>
      y.option('repair', { type: 'boolean', describe: 'drop what is broken and remove leftovers' })
        .option('format', { type: 'string', describe: 'text (default) or json' }), async (a) => {
      const res = await fsckCommand({ store: a.store as string | undefined, repair: a.repair as boolean, format: a.format as string | undefined });
      await writeStdout(res.out);
      process.stderr.write(`cas-store fsck: ${res.summary}\n`);
      if (!res.ok) exit = 1;
    })
    .demandCommand(1, 'name a command: info, pull, put, cat, du, prune, gc or fsck')
    .strict()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .help()
    .parse();
  return exit;
});

// cas-store: the content-addressed store every tool shares.
import process from 'node:process';
import yargs from 'yargs';
import { openInput, runCli, UsageError, writeStdout } from '@pipekit/wire';
import { catCommand, pullCommand, putCommand, storeInfo } from './commands.ts';

await runCli('cas-store', async () => {
  await yargs(process.argv.slice(2))
    .scriptName('cas-store')
    .usage('$0 <command> [--store DIR]')
    .option('store', { type: 'string', global: true, describe: 'store directory (default: $CAS_STORE_DIR, else XDG data dir)' })
    .command('info', 'show where the store is and what it holds (JSON)', {}, async (a) => {
      await writeStdout(`${JSON.stringify(await storeInfo(a.store as string | undefined), null, 2)}\n`);
    })
    .command('pull <ref>', 'pull an image into the store; prints its manifest digest', (y) =>
      y.positional('ref', { type: 'string', demandOption: true })
        .option('platform', { type: 'string', describe: 'os/arch (default: this machine)' })
        .option('insecure-registry', { type: 'string', array: true }), async (a) => {
      await writeStdout(`${await pullCommand(a.ref as string, { store: a.store as string | undefined, platform: a.platform as string | undefined, insecureRegistries: a['insecure-registry'] as string[] | undefined })}\n`);
    })
    .command('put [file]', 'store a blob from FILE or stdin; prints its digest', (y) => y.positional('file', { type: 'string' }), async (a) => {
      await writeStdout(`${await putCommand(openInput(a.file as string | undefined, 'blob content'), a.store as string | undefined)}\n`);
    })
    .command('cat <digest>', 'write a blob to stdout, verified', (y) => y.positional('digest', { type: 'string', demandOption: true }), async (a) => {
      await catCommand(a.digest as string, a.store as string | undefined, process.stdout);
    })
    .demandCommand(1, 'name a command: info, pull, put or cat')
    .strict()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .help()
    .parse();
});

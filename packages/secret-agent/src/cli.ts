// secret-agent serve|ls: hold build secrets and SSH agents for llb-solve --session.
import process from 'node:process';
import yargs from 'yargs';
import { runCli, UsageError, writeStdout, VERSION } from '@pipekit/wire';
import { openRemoteSession } from './client.ts';
import { runServe } from './serve.ts';

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);

await runCli('secret-agent', async () => {
  process.stderr.on('error', () => undefined); // a detached server outlives the terminal
  const argv = await yargs(process.argv.slice(2))
    .scriptName('secret-agent')
    .version(VERSION)
    .usage('$0 serve [--secret S]... [--ssh S]... [--detach] [--format json|sh]\n$0 ls [--session SOCKET]\n\n' +
      'Serve build secrets and SSH agents to llb-solve --session over a private Unix socket.')
    .command('serve', 'serve a session until SIGINT/SIGTERM; prints {socket, token, pid}', (y) => y
      .option('secret', { type: 'string', describe: 'id=ID[,src=PATH|,env=VAR][,type=file|env][,cache=content] (repeatable)' })
      .option('ssh', { type: 'string', describe: 'default | default=SOCKET | ID=KEYFILE[,KEYFILE] (repeatable)' })
      .option('detach', { type: 'boolean', default: false, describe: 'run in the background; return when ready' })
      .option('format', { type: 'string', choices: ['json', 'sh'], default: 'json', describe: 'json record, or sh lines to eval' }))
    .command('ls', 'list the ids a session holds (never values)', (y) => y
      .option('session', { type: 'string', describe: 'session socket (default $PIPEKIT_SESSION)' }))
    .demandCommand(1, 'name a command: serve or ls')
    .parserConfiguration({ 'boolean-negation': false })
    .strict()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .help()
    .parse();
  const cmd = String(argv._[0]);
  if (cmd === 'serve') {
    await runServe({
      secrets: strings(argv.secret),
      ssh: strings(argv.ssh),
      detach: Boolean(argv.detach),
      format: argv.format === 'sh' ? 'sh' : 'json',
      writeOut: writeStdout,
    });
    return;
  }
  const socket = (argv.session as string | undefined) ?? process.env.PIPEKIT_SESSION;
  if (!socket) throw new UsageError('ls: name the session socket (--session SOCKET or $PIPEKIT_SESSION)');
  const session = await openRemoteSession(socket, process.env);
  await writeStdout(`${JSON.stringify(await session.info())}\n`);
});

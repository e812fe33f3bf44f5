// secret-agent serve|ls: hold build secrets and SSH agents for llb-solve --session.
import process from 'node:process';
import { commandArgs, runCli, UsageError, writeStdout, type CommandSpec } from '@pipekit/wire';
import { openRemoteSession } from './client.ts';
import { runServe } from './serve.ts';

const strings = (v: unknown): string[] => (v as string[] | undefined) ?? [];

const USAGE = 'secret-agent serve [--secret S]... [--ssh S]... [--detach] [--format json|sh]\nsecret-agent ls [--session SOCKET]\n\n' +
  'Serve build secrets and SSH agents to llb-solve --session over a private Unix socket.';

const COMMANDS: Record<string, CommandSpec> = {
  serve: {
    describe: 'serve a session until SIGINT/SIGTERM; prints {socket, token, pid}',
    flags: {
      secret: { type: 'string', multiple: true, describe: 'id=ID[,src=PATH|,env=VAR][,type=file|env][,cache=content]' },
      ssh: { type: 'string', multiple: true, describe: 'default | default=SOCKET | ID=KEYFILE[,KEYFILE]' },
      detach: { type: 'boolean', default: false, describe: 'run in the background; return when ready' },
      format: { type: 'string', choices: ['json', 'sh'], default: 'json', describe: 'json record, or sh lines to eval' },
    },
  },
  ls: {
    describe: 'list the ids a session holds (never values)',
    flags: { session: { type: 'string', describe: 'session socket (default $PIPEKIT_SESSION)' } },
  },
};

await runCli('secret-agent', async () => {
  process.stderr.on('error', () => undefined); // a detached server outlives the terminal
  const a = await commandArgs(process.argv.slice(2), USAGE, {}, COMMANDS);
  if (!a) return;
  const f = a.flags;
  if (a.command === 'serve') {
    await runServe({
      secrets: strings(f.secret),
      ssh: strings(f.ssh),
      detach: Boolean(f.detach),
      format: f.format === 'sh' ? 'sh' : 'json',
      writeOut: writeStdout,
    });
    return;
  }
  const socket = (f.session as string | undefined) ?? process.env.PIPEKIT_SESSION;
  if (!socket) throw new UsageError('ls: name the session socket (--session SOCKET or $PIPEKIT_SESSION)');
  const session = await openRemoteSession(socket, process.env);
  await writeStdout(`${JSON.stringify(await session.info())}\n`);
});

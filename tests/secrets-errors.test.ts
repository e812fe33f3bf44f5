// Black-box: a missing required secret or agent, an unreadable or oversized
// secret, bad --secret/--ssh specs: one clear line on stderr, the right exit
// code, nothing on stdout, and no step started.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sh, tempDir } from './helpers/cli.ts';

const DOCKERFILE = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin"]',
  'RUN --mount=type=secret,id=npmrc,required=true cat /run/secrets/npmrc',
  'RUN --mount=type=secret,id=token,env=TOKEN,required=true true',
  'RUN --mount=type=ssh,required=true true',
  'RUN --mount=type=secret,id=optional-one cat /run/secrets/optional-one || echo "optional-one absent"',
];

let ctx = '';
let graph = '';

async function setup(): Promise<void> {
  if (graph) return;
  ctx = await tempDir('secret-errors');
  await fs.copyFile('/bin/busybox', path.join(ctx, 'busybox'));
  await fs.writeFile(path.join(ctx, 'Dockerfile'), `${DOCKERFILE.join('\n')}\n`);
  graph = path.join(ctx, 'graph.ndjson');
  const r = await sh(`df-parse Dockerfile --store ${ctx}/store > ${graph}`, { cwd: ctx });
  assert.is(r.code, 0, r.stderr);
}

/** llb-solve on the graph with rawjson progress; asserts that no step started. */
async function solveFails(flags: string, code: number, env: Record<string, string> = {}): Promise<string> {
  await setup();
  const r = await sh(`llb-solve ${graph} --store ${ctx}/store --progress rawjson ${flags}`, { cwd: ctx, env });
  assert.is(r.code, code, r.stderr);
  assert.is(r.stdout.length, 0, 'nothing on stdout');
  assert.not.match(r.stderr, /"started"/, 'no step started');
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0], /^llb-solve: /);
  return lines[0];
}

test('a missing required secret fails before any step, naming the id, the step and its line', async () => {
  const dir = await tempDir('secret-errors-src');
  await fs.writeFile(path.join(dir, 'npmrc'), 'registry=x');
  const none = await solveFails('', 1);
  assert.match(none, /Dockerfile:4: \[[^\]]+\] RUN --mount=type=secret,id=npmrc,required=true cat \/run\/secrets\/npmrc requires secret "npmrc", which this build was not given \(pass --secret id=npmrc,src=FILE/);
  assert.match(none, /Dockerfile:5: .* requires secret "token"/);
  assert.match(none, /Dockerfile:6: .* requires ssh agent "default".*--ssh default/);
  assert.not.match(none, /optional-one/, 'optional secrets are not required');
  const partial = await solveFails(`--secret id=npmrc,src=${dir}/npmrc --secret id=token,env=PK_T`, 1, { PK_T: 'v' });
  assert.not.match(partial, /"npmrc"|"token"/);
  assert.match(partial, /requires ssh agent "default"/);
});

test('with everything given, the same graph builds; flags may come before the graph file', async () => {
  await setup();
  const dir = await tempDir('secret-errors-ok');
  await fs.writeFile(path.join(dir, 'npmrc'), 'registry=x');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'key')]);
  const r = await sh(`llb-solve --secret id=npmrc,src=${dir}/npmrc --secret id=token,env=PK_T --ssh default=${dir}/key --store ${ctx}/store --progress plain ${graph}`, { cwd: ctx, env: { PK_T: 'v' } });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /optional-one absent/);
  assert.match(r.stdout.toString(), /"type":"image"/);
});

test('unreadable or oversized secret sources', async () => {
  const dir = await tempDir('secret-errors-src');
  assert.match(await solveFails(`--secret id=npmrc,src=${dir}/absent`, 1), /secret "npmrc": cannot read .*absent: no such file/);
  assert.match(await solveFails(`--secret id=npmrc,src=${dir}`, 1), /secret "npmrc": .* is not a regular file/);
  assert.match(await solveFails('--secret id=token,env=PK_UNSET_VARIABLE', 1), /secret "token": environment variable PK_UNSET_VARIABLE is not set/);
  await fs.writeFile(path.join(dir, 'big'), Buffer.alloc(600 * 1024, 65));
  assert.match(await solveFails(`--secret id=npmrc,src=${dir}/big`, 2), /secret "npmrc" is 600 KB, over the 500 KB limit/);
});

test('bad --secret and --ssh specs', async () => {
  const dir = await tempDir('secret-errors-ssh');
  assert.match(await solveFails('--secret src=/etc/hostname', 2), /invalid --secret "src=\/etc\/hostname": id is required/);
  assert.match(await solveFails('--secret id=a,src=x,env=Y', 2), /use either src or env/);
  assert.match(await solveFails('--ssh =x', 2), /invalid --ssh "=x": the id is empty/);
  assert.match(await solveFails(`--ssh default=${dir}/absent`, 1), /--ssh default=.*absent: cannot use .*: no such file/);
  assert.match(await solveFails('--ssh default', 2, { SSH_AUTH_SOCK: '' }), /\$SSH_AUTH_SOCK is not set/);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'a passphrase', '-f', path.join(dir, 'locked')]);
  assert.match(await solveFails(`--ssh default=${dir}/locked`, 2), /protected by a passphrase/);
  await fs.writeFile(path.join(dir, 'junk'), 'hello\n');
  assert.match(await solveFails(`--ssh default=${dir}/junk`, 2), /not an SSH private key/);
});

test('--session: a wrong token or a dead socket fails before any step', async () => {
  const served = await sh('secret-agent serve --detach --secret id=npmrc,env=PK_V', { env: { PK_V: 'x' } });
  assert.is(served.code, 0, served.stderr);
  const rec = JSON.parse(served.stdout.toString()) as { socket: string; pid: number };
  try {
    assert.match(await solveFails(`--session ${rec.socket}`, 1, { PIPEKIT_SESSION_TOKEN: 'not-the-token' }), /refused the token/);
    assert.match(await solveFails(`--session ${rec.socket}`, 2, { PIPEKIT_SESSION_TOKEN: '' }), /PIPEKIT_SESSION_TOKEN is not set/);
    assert.match(await solveFails(`--session ${rec.socket} --secret id=a,env=PK_V`, 2, { PIPEKIT_SESSION_TOKEN: 'x' }), /give --secret and --ssh to secret-agent serve/);
  } finally {
    process.kill(rec.pid);
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.match(await solveFails(`--session ${rec.socket}`, 1, { PIPEKIT_SESSION_TOKEN: 'x' }), /cannot reach the secret-agent session .*is secret-agent serve running/);
});

test.run();

// Black-box: SSH agent forwarding into RUN --mount=type=ssh, judged by a real
// OpenSSH client inside the build container (Debian's ssh-add and the libraries
// it links, copied into a busybox image): it lists the forwarded key and its
// request to delete all keys is refused.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sh, tempDir } from './helpers/cli.ts';

const BOOTSTRAP = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p /etc /tmp && echo root:x:0:0:root:/root:/bin/sh > /etc/passwd && echo root:x:0: > /etc/group"]',
  'ENV PATH=/bin:/usr/bin',
  'COPY sshroot/ /',
];

/** A context with busybox and /usr/bin/ssh-add plus every library ldd names, under sshroot/. */
async function sshContext(lines: string[]): Promise<string> {
  const dir = await tempDir('ssh-ctx');
  await fs.copyFile('/bin/busybox', path.join(dir, 'busybox'));
  const libs = execFileSync('ldd', ['/usr/bin/ssh-add'], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
  for (const f of ['/usr/bin/ssh-add', ...libs]) {
    const to = path.join(dir, 'sshroot', f);
    await fs.mkdir(path.dirname(to), { recursive: true });
    await fs.copyFile(await fs.realpath(f), to);
    await fs.chmod(to, 0o755);
  }
  await fs.writeFile(path.join(dir, 'Dockerfile'), `${[...BOOTSTRAP, ...lines].join('\n')}\n`);
  return dir;
}

async function keygen(dir: string, name: string): Promise<string> {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  return file;
}

const CHECK = 'RUN --mount=type=ssh echo "sock=$SSH_AUTH_SOCK"; ssh-add -l; ssh-add -D; echo "delete-all exit=$?"; ssh-add -l | sed "s/^/still: /"';

function assertForwarded(stderr: string, comment: string): void {
  assert.match(stderr, /sock=\/run\/buildkit\/ssh_agent\.0\n/);
  assert.match(stderr, new RegExp(`\\d+ SHA256:\\S+ ${comment} \\(ED25519\\)\\n`), 'ssh-add -l lists the key');
  assert.match(stderr, /Failed to remove all identities/);
  assert.match(stderr, /delete-all exit=1\n/, 'ssh-add -D is refused');
  assert.match(stderr, new RegExp(`still: \\d+ SHA256:\\S+ ${comment}`), 'the key is still there');
}

test('--ssh default=KEYFILE: an in-memory agent over the key', async () => {
  const ctx = await sshContext([CHECK]);
  const out = await tempDir('ssh-out');
  const key = await keygen(out, 'pk-test-key');
  const r = await sh(`df-parse Dockerfile --store ${out}/store | llb-solve --store ${out}/store --progress plain --ssh default=${key} | export-oci --dest ${out}/image.tar`, { cwd: ctx });
  assert.is(r.code, 0, r.stderr);
  assertForwarded(r.stderr, 'pk-test-key');
  const listing = await sh(`mkdir -p ${out}/layout && tar -xf ${out}/image.tar -C ${out}/layout && for f in ${out}/layout/blobs/sha256/*; do gzip -dc "$f" 2>/dev/null | tar -t 2>/dev/null; done`);
  assert.ok(listing.stdout.toString().includes('usr/bin/ssh-add'), 'layers listed');
  assert.not.match(listing.stdout.toString(), /^run\//m, 'the socket stub is not in a layer');
});

test('--ssh default: the caller\'s ssh-agent, read-only', async () => {
  const ctx = await sshContext([CHECK]);
  const out = await tempDir('ssh-out');
  const key = await keygen(out, 'pk-agent-key');
  const agent = await sh(`ssh-agent -a ${out}/agent.sock -s`);
  const pid = /SSH_AGENT_PID=(\d+)/.exec(agent.stdout.toString())?.[1];
  assert.ok(pid, agent.stderr);
  try {
    const env = { SSH_AUTH_SOCK: `${out}/agent.sock` };
    assert.is((await sh(`ssh-add ${key}`, { env })).code, 0);
    const r = await sh(`df-parse Dockerfile --store ${out}/store | llb-solve --store ${out}/store --progress plain --ssh default > /dev/null`, { cwd: ctx, env });
    assert.is(r.code, 0, r.stderr);
    assertForwarded(r.stderr, 'pk-agent-key');
    assert.match((await sh('ssh-add -l', { env })).stdout.toString(), /pk-agent-key/, 'the real agent kept its key');
  } finally {
    process.kill(Number(pid));
  }
});

test('named agents and targets, through a separately started secret-agent', async () => {
  const ctx = await sshContext([
    'RUN --mount=type=ssh,id=deploy,target=/tmp/deploy.sock SSH_AUTH_SOCK=/tmp/deploy.sock ssh-add -l; ls -l /tmp/deploy.sock',
  ]);
  const out = await tempDir('ssh-out');
  const key = await keygen(out, 'pk-deploy-key');
  const served = await sh(`secret-agent serve --detach --ssh deploy=${key}`);
  assert.is(served.code, 0, served.stderr);
  const rec = JSON.parse(served.stdout.toString()) as { socket: string; token: string; pid: number };
  try {
    const r = await sh(`df-parse Dockerfile --store ${out}/store | llb-solve --store ${out}/store --progress plain --session ${rec.socket} > /dev/null`, {
      cwd: ctx,
      env: { PIPEKIT_SESSION_TOKEN: rec.token },
    });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, /SHA256:\S+ pk-deploy-key \(ED25519\)/);
    assert.match(r.stderr, /srw------- .* \/tmp\/deploy\.sock/, 'socket mode 0600');
  } finally {
    process.kill(rec.pid);
  }
});

test.run();

// End to end through the real pipe (df-parse | llb-solve | export-oci) against
// a busybox base in a registry on 127.0.0.1: the Dockerfile frontend's
// semantics must show in the image's rootfs and config.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sh, tempDir } from './helpers/cli.ts';
import { inspectOciTar, readRootfsFile } from './helpers/image.ts';
import { startRegistry, type TestRegistry } from './helpers/registry.ts';
import { pushBusybox } from './helpers/busybox-image.ts';

let reg: TestRegistry;
let http: Server;
let httpPort = 0;
let daemon: ChildProcess;
let gitPort = 0;
const FILE_BODY = 'downloaded over http\n';
const env = { SOURCE_DATE_EPOCH: '1700000000' };

test.before(async () => {
  reg = await startRegistry();
  await pushBusybox(reg.host, 'base/busybox:1');
  http = createServer((req, res) => {
    if (req.url === '/files/hello.txt') res.end(FILE_BODY);
    else res.writeHead(404).end('no');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  httpPort = (http.address() as { port: number }).port;
  // a bare repository served by git daemon on 127.0.0.1
  const gitRoot = await tempDir('git');
  const work = path.join(gitRoot, 'work');
  await fs.mkdir(path.join(work, 'sub'), { recursive: true });
  await fs.writeFile(path.join(work, 'sub', 'from-git.txt'), 'from git\n');
  const g = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], { cwd: work, stdio: 'pipe' });
  g('init', '-q', '-b', 'main');
  g('add', '.');
  g('commit', '-q', '-m', 'one');
  execFileSync('git', ['clone', '-q', '--bare', work, path.join(gitRoot, 'repo.git')]);
  gitPort = 20000 + Math.floor(Math.random() * 20000);
  daemon = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${gitRoot}`, `--port=${gitPort}`, '--listen=127.0.0.1', gitRoot], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    try {
      execFileSync('git', ['ls-remote', `git://127.0.0.1:${gitPort}/repo.git`], { stdio: 'pipe' });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});

test.after(async () => {
  daemon?.kill();
  await new Promise((r) => http?.close(r));
  await reg?.stop();
});

async function build(ctx: string, dockerfile: string, extra = ''): Promise<{ img: Awaited<ReturnType<typeof inspectOciTar>>; stderr: string }> {
  await fs.writeFile(path.join(ctx, 'Dockerfile'), dockerfile);
  const store = path.join(ctx, '.store');
  const res = await sh(`df-parse Dockerfile --store ${store} ${extra} | llb-solve --store ${store} --progress plain | export-oci --dest ${ctx}/.out.tar`, { cwd: ctx, env });
  assert.is(res.code, 0, res.stderr);
  return { img: await inspectOciTar(`${ctx}/.out.tar`), stderr: res.stderr };
}

test('heredocs, ARG scoping, ONBUILD, --chown by name, --chmod, --link, --parents, --exclude, .dockerignore, ADD url/git/archive', async () => {
  const ctx = await tempDir('fe2e');
  await fs.mkdir(path.join(ctx, 'src', 'pkg', 'a'), { recursive: true });
  await fs.mkdir(path.join(ctx, 'src', 'pkg', 'b'), { recursive: true });
  await fs.writeFile(path.join(ctx, 'src', 'pkg', 'a', 'go.mod'), 'module a\n');
  await fs.writeFile(path.join(ctx, 'src', 'pkg', 'b', 'go.mod'), 'module b\n');
  await fs.writeFile(path.join(ctx, 'src', 'pkg', 'a', 'main.go'), 'package a\n');
  await fs.mkdir(path.join(ctx, 'docs'));
  await fs.writeFile(path.join(ctx, 'docs', 'guide.md'), 'guide\n');
  await fs.writeFile(path.join(ctx, 'docs', 'notes.txt'), 'notes\n');
  await fs.writeFile(path.join(ctx, 'app.conf'), 'conf\n');
  await fs.writeFile(path.join(ctx, 'secret.key'), 'do not ship\n');
  await fs.writeFile(path.join(ctx, '.dockerignore'), '*.key\n.store\n.out.tar\n');
  await fs.mkdir(path.join(ctx, 'arch', 'inner'), { recursive: true });
  await fs.writeFile(path.join(ctx, 'arch', 'inner', 'x.txt'), 'from the archive\n');
  execFileSync('tar', ['-czf', path.join(ctx, 'bundle.tar.gz'), '-C', path.join(ctx, 'arch'), 'inner']);
  const base = `${reg.host}/base/busybox:1`;
  const { img } = await build(ctx, `# syntax=docker/dockerfile:1
ARG GLOBAL=global-value
FROM ${base} AS parent
ONBUILD RUN echo "onbuild ran" > /onbuild.txt
ONBUILD ENV FROM_TRIGGER=yes
FROM parent AS child
ARG GLOBAL
ARG LOCAL=local-$GLOBAL
RUN echo "$GLOBAL $LOCAL" > /args.txt
FROM ${base}
ARG LOCAL
COPY --from=child /args.txt /onbuild.txt /from-child/
RUN echo "unset:[$GLOBAL][$LOCAL]" > /scope.txt
ENV WHO=heredoc
COPY <<EOF /expanded.txt
hello $WHO
EOF
COPY <<'EOF' /literal.txt
hello $WHO
EOF
RUN <<EOT
#!/bin/sh
echo "script says $WHO" > /script.txt
EOT
RUN <<-EOF
	echo tab-stripped > /chomp.txt
	EOF
COPY --chown=nobody:nogroup app.conf /owned/app.conf
COPY --chmod=0751 app.conf /modes/octal
COPY --chmod=u+x,g-r app.conf /modes/symbolic
COPY --link app.conf /linked/app.conf
COPY --parents src/./pkg/*/go.mod /mods/
COPY --exclude=*.md docs /docs/
COPY . /ctx/
ADD http://127.0.0.1:${httpPort}/files/hello.txt /dl/
ADD git://127.0.0.1:${gitPort}/repo.git#main:sub /git/
ADD bundle.tar.gz /unpacked/
CMD ["sh"]
`);
  const root = img.rootfs;
  const read = (p: string) => readRootfsFile(root, p);
  assert.is(await read('from-child/args.txt'), 'global-value local-global-value\n', 'global ARG re-declared in a stage, default expanded');
  assert.is(await read('from-child/onbuild.txt'), 'onbuild ran\n', 'ONBUILD trigger of the parent stage ran in the child');
  assert.is(await read('scope.txt'), 'unset:[][]\n', 'ARGs do not cross stages');
  assert.is(await read('expanded.txt'), 'hello heredoc\n');
  assert.is(await read('literal.txt'), 'hello $WHO\n');
  assert.is(await read('script.txt'), 'script says heredoc\n');
  assert.is(await read('chomp.txt'), 'tab-stripped\n');
  const owned = await fs.stat(path.join(root, 'owned', 'app.conf'));
  assert.equal([owned.uid, owned.gid], [65534, 65534], '--chown names resolved from /etc/passwd and /etc/group');
  assert.is((await fs.stat(path.join(root, 'modes', 'octal'))).mode & 0o7777, 0o751);
  assert.is((await fs.stat(path.join(root, 'modes', 'symbolic'))).mode & 0o7777, 0o704);
  assert.is(await read('linked/app.conf'), 'conf\n');
  assert.equal((await fs.readdir(path.join(root, 'mods', 'pkg'))).sort(), ['a', 'b']);
  assert.equal(await fs.readdir(path.join(root, 'mods', 'pkg', 'a')), ['go.mod'], '--parents keeps only the matches, with their dirs');
  assert.equal((await fs.readdir(path.join(root, 'docs'))).sort(), ['notes.txt'], '--exclude');
  assert.not.ok(await fs.stat(path.join(root, 'ctx', 'secret.key')).catch(() => undefined), '.dockerignore keeps secret.key out');
  assert.ok(await fs.stat(path.join(root, 'ctx', 'app.conf')));
  assert.is(await read('dl/hello.txt'), FILE_BODY);
  assert.is((await fs.stat(path.join(root, 'dl', 'hello.txt'))).mode & 0o777, 0o600, 'ADD from a URL writes mode 0600 like BuildKit');
  assert.is(await read('git/from-git.txt'), 'from git\n');
  assert.is(await read('unpacked/inner/x.txt'), 'from the archive\n', 'local archives are extracted');
  const cfg = img.config;
  assert.ok(cfg.config.Env?.includes('WHO=heredoc'));
  assert.not.ok(cfg.config.Env?.some((e: string) => e.startsWith('LOCAL=')), 'ARG values never enter the image Env');
  const history = cfg.history as { created_by?: string; empty_layer?: boolean }[];
  const hist = history.map((h) => h.created_by);
  assert.ok(hist.includes('RUN |1 LOCAL= /bin/sh -c echo "unset:[$GLOBAL][$LOCAL]" > /scope.txt # buildkit'), hist.join('\n'));
  assert.ok(hist.includes('COPY --chown=nobody:nogroup app.conf /owned/app.conf # buildkit'));
  assert.ok(hist.includes('CMD ["sh"]'));
  const nonEmpty = history.filter((h) => !h.empty_layer).length;
  assert.is(nonEmpty, cfg.rootfs.diff_ids.length, 'one non-empty history entry per layer');
});

test('--target prunes unreached stages (their images are never resolved), platform args, not-found hint for .dockerignore', async () => {
  const ctx = await tempDir('fe2e-target');
  await fs.writeFile(path.join(ctx, 'ignored.txt'), 'x');
  await fs.writeFile(path.join(ctx, '.dockerignore'), 'ignored.txt\n');
  const df = `FROM 127.0.0.1:1/does-not-exist/anywhere:1 AS unused
RUN exit 1
FROM ${reg.host}/base/busybox:1 AS wanted
ARG TARGETPLATFORM
ARG TARGETARCH
ARG BUILDPLATFORM
RUN echo "$TARGETPLATFORM $TARGETARCH $BUILDPLATFORM" > /platform.txt
FROM wanted AS broken
COPY ignored.txt /
`;
  const { img } = await build(ctx, df, '--target wanted');
  assert.match(await readRootfsFile(img.rootfs, 'platform.txt'), /^linux\/\w+ \w+ linux\/\w+\n$/);
  const res = await sh(`df-parse Dockerfile --store ${ctx}/.store --target broken | llb-solve --store ${ctx}/.store --progress plain`, { cwd: ctx, env });
  assert.is(res.code, 1);
  assert.match(res.stderr, /ignored\.txt.*not found: excluded by \.dockerignore/);
});

test('--chown=root:root needs no /etc/passwd: on scratch and with --link (root is uid 0, as in BuildKit)', async () => {
  const ctx = await tempDir('fe2e-root');
  await fs.writeFile(path.join(ctx, 'app.bin'), 'app\n');
  await fs.writeFile(path.join(ctx, '.dockerignore'), '.store\n.out.tar\n');
  const { img } = await build(ctx, 'FROM scratch\nCOPY --chown=root:root app.bin /app/\nCOPY --link --chown=root app.bin /linked/\n');
  for (const f of ['app/app.bin', 'linked/app.bin']) {
    const st = await fs.lstat(path.join(img.rootfs, f));
    assert.equal([st.uid, st.gid], [0, 0], f);
  }
});

test.run();

// Black-box: RUN mounts, network modes and content-based cache keys, through
// the real pipe (df-parse | llb-solve) with runc.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sh, tempDir } from './helpers/cli.ts';
import { busyboxContext, executedSteps, stepLogs as logs, vertices } from './helpers/busybox-context.ts';

async function build(ctx: string, store: string, extra = ''): Promise<{ code: number; out: string; err: string }> {
  const r = await sh(`df-parse Dockerfile --store ${store} | llb-solve --store ${store} --progress rawjson ${extra}`, { cwd: ctx });
  return { code: r.code, out: r.stdout.toString(), err: r.stderr };
}

/** Each layer's entries, in order. */
async function layersOf(out: string): Promise<string[][]> {
  const img = JSON.parse(out.trim().split('\n').pop() as string) as { store: string; layers: { blob: { digest: string } }[] };
  const layers: string[][] = [];
  for (const l of img.layers) layers.push((await sh(`tar -tf ${img.store}/blobs/sha256/${l.blob.digest.slice(7)}`)).stdout.toString().split('\n').filter(Boolean));
  return layers;
}

async function layerFiles(out: string): Promise<string[]> {
  return (await layersOf(out)).flat();
}

test('a cache mount is reused by the next build and never in a layer', async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext('FROM bb\nARG RUNID\nRUN --mount=type=cache,target=/var/cache/app echo $RUNID >> /var/cache/app/log && cat /var/cache/app/log');
  const first = await build(ctx, store, '');
  assert.is(first.code, 0, first.err);
  const r1 = await sh(`df-parse Dockerfile --store ${store} --build-arg RUNID=one | llb-solve --store ${store} --progress rawjson`, { cwd: ctx });
  const r2 = await sh(`df-parse Dockerfile --store ${store} --build-arg RUNID=two | llb-solve --store ${store} --progress rawjson`, { cwd: ctx });
  assert.is(r2.code, 0, r2.stderr);
  assert.match(logs(r2.stderr), /one\ntwo\n/, 'second build sees the first build\'s cache contents');
  const files = await layerFiles(r2.stdout.toString());
  assert.not.ok(files.some((f) => f.includes('var/cache/app/log')), 'cache contents are not in any layer');
  assert.is(r1.code, 0);
});

async function concurrent(sharing: string): Promise<[string, string]> {
  const store = await tempDir('store');
  const mk = (who: string) => busyboxContext(`FROM bb\nRUN --mount=type=cache,target=/c,id=shared-${sharing},sharing=${sharing} echo ${who}-start >> /c/log; sleep 3; echo ${who}-end >> /c/log; cat /c/log`);
  const a = await mk('A');
  const b = await mk('B');
  // warm the base so both builds reach the RUN at about the same time
  await build(a, store);
  await fs.rm(path.join(store, 'cachemounts'), { recursive: true, force: true });
  // both start together; either may reach the cache first
  const pa = build(a, store, '--no-cache');
  const pb = build(b, store, '--no-cache');
  const [ra, rb] = await Promise.all([pa, pb]);
  assert.is(ra.code, 0, ra.err);
  assert.is(rb.code, 0, rb.err);
  return [logs(ra.err), logs(rb.err)];
}

test('sharing=locked serialises two concurrent builds', async () => {
  const [a, b] = await concurrent('locked');
  // the second build waited: the first one's whole run precedes its own
  assert.match(`${a}|${b}`, /A-start\nA-end\nB-start\nB-end\n|B-start\nB-end\nA-start\nA-end\n/);
  assert.not.match(`${a}|${b}`, /(A|B)-start\n(A|B)-start/);
});

test('sharing=private isolates concurrent builds', async () => {
  const [a, b] = await concurrent('private');
  assert.not.match(b, /A-/, 'B got its own copy while A held the cache');
  assert.not.match(a, /B-/);
});

test('bind mount from a stage, tmpfs, and read-write bind writes are discarded', async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext([
    'FROM bb AS tools',
    'RUN mkdir /tools && echo tool-v1 > /tools/version',
    'FROM bb',
    'RUN --mount=type=bind,from=tools,source=/tools,target=/t --mount=type=tmpfs,target=/scratch --mount=type=bind,target=/ctx,rw \\',
    '    cat /t/version > /got && echo x > /scratch/f && echo mutated > /ctx/input.txt && mount | grep " /scratch " | grep -q tmpfs',
  ].join('\n'), { 'input.txt': 'pristine\n' });
  const r = await build(ctx, store);
  assert.is(r.code, 0, r.err);
  const files = await layerFiles(r.out);
  assert.ok(files.includes('got'));
  assert.not.ok(files.some((f) => f.startsWith('scratch') || f.startsWith('t/') || f === 't' || f.startsWith('ctx')), `no mount stubs or tmpfs contents in layers: ${files.filter((f) => !f.startsWith('bin/'))}`);
  assert.is(await fs.readFile(path.join(ctx, 'input.txt'), 'utf8'), 'pristine\n');
});

test("a RUN layer holds what the step changed, as BuildKit's overlay differ leaves it: no stub parents, no same-again entries", async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext([
    'FROM bb',
    'RUN echo nothing changed',
    'RUN chown root:root /etc/passwd && chmod 644 /etc/group',
    'RUN echo changed > /etc/motd',
    'RUN mkdir -p /etc/new && touch /etc/new/f && rm /etc/new/f',
    'RUN mkdir -p /app/sub && echo 1 > /app/a && echo 2 > /app/sub/b',
    // a dir removed and made again: explicit whiteouts (in the order of the names they hide), not an opaque marker
    'RUN rm -rf /app && mkdir /app && echo 3 > /app/c',
  ].join('\n'));
  const r = await build(ctx, store);
  assert.is(r.code, 0, r.err);
  // the bootstrap's COPY and RUN, then the six steps
  const layers = (await layersOf(r.out)).slice(2);
  assert.equal(layers, [[], [], ['etc/', 'etc/motd'], ['etc/', 'etc/new/'], ['app/', 'app/a', 'app/sub/', 'app/sub/b'], ['app/', 'app/.wh.a', 'app/c', 'app/.wh.sub']]);
});

test('a bind mount from the context shows it as BuildKit transfers it: ignored files gone, 0:0, a 0755 root', async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext('FROM bb\nUSER 1000\nRUN --mount=type=bind,target=/ctx stat -c "%a %u:%g %n" /ctx /ctx/owned.txt && ls -A /ctx | grep -v busybox', {
    'owned.txt': 'o\n', '.env': 'secret\n', '.dockerignore': '.env\n',
  });
  await fs.chown(path.join(ctx, 'owned.txt'), 1234, 1234);
  await fs.chmod(ctx, 0o700);
  const r = await build(ctx, store);
  assert.is(r.code, 0, r.err);
  assert.is(logs(r.err), '755 0:0 /ctx\n644 0:0 /ctx/owned.txt\n.dockerignore\nDockerfile\nowned.txt\n');
  assert.is(await fs.readFile(path.join(ctx, '.env'), 'utf8'), 'secret\n');
});

test('--network=none leaves only the loopback interface', async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext('FROM bb\nRUN --network=none cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "');
  const r = await build(ctx, store);
  assert.is(r.code, 0, r.err);
  assert.is(logs(r.err).trim(), 'lo');
});

test('a step runs under the default seccomp profile; --security=insecure without one', async () => {
  const store = await tempDir('store');
  // a user namespace needs no capability, only a syscall the profile refuses
  const probe = 'grep Seccomp: /proc/self/status | tr -d " \\t"; unshare -U true 2>/dev/null && echo userns-made || echo userns-refused';
  const ctx = await busyboxContext(`FROM bb\nRUN ${probe}\nRUN --security=insecure ${probe}`);
  const r = await build(ctx, store, '--allow security.insecure');
  assert.is(r.code, 0, r.err);
  assert.equal(logs(r.err).trim().split('\n'), ['Seccomp:2', 'userns-refused', 'Seccomp:0', 'userns-made']);
});

// a static i386 program (308 bytes, from 12 lines of assembly): write(1, "i386 ok\n") and exit(0) through int 0x80
const I386_HELLO = 'f0VMRgEBAQAAAAAAAAAAAAIAAwABAAAAVIAECDQAAACUAAAAAAAAADQAIAABACgABAADAAEAAABUAAAAVIAECFSABAgnAAAAJwAAAAcAAAABAAAAuAQAAAC7AQAAALlzgAQIuggAAADNgLgBAAAAMdvNgGkzODYgb2sKAC5zaHN0cnRhYgAudGV4dAAuZGF0YQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAALAAAAAQAAAAcAAABUgAQIVAAAAB8AAAAAAAAAAAAAAAEAAAAAAAAAEQAAAAEAAAADAAAAc4AECHMAAAAIAAAAAAAAAAAAAAABAAAAAAAAAAEAAAADAAAAAAAAAAAAAAB7AAAAFwAAAAAAAAAAAAAAAQAAAAAAAAA=';

test('an i386 program runs under the profile (its syscalls are in the filter, as on BuildKit)', async () => {
  if (process.arch !== 'x64') return; // runs natively on x86_64 only
  const store = await tempDir('store');
  const ctx = await busyboxContext('FROM bb\nCOPY hi32 /bin/hi32\nRUN ["/bin/hi32"]');
  await fs.writeFile(path.join(ctx, 'hi32'), Buffer.from(I386_HELLO, 'base64'), { mode: 0o755 });
  const r = await build(ctx, store);
  assert.is(r.code, 0, r.err);
  assert.is(logs(r.err), 'i386 ok\n');
});

test("a step's mounts as BuildKit's: the cgroup hierarchy read-only, /etc/hosts and resolv.conf read-only nosuid nodev noexec", async () => {
  const store = await tempDir('store');
  // mountinfo: mount point (5th field), then per-mount options (6th)
  const ctx = await busyboxContext('FROM bb\nRUN cut -d" " -f5,6 /proc/self/mountinfo | grep -E "^(/sys/fs/cgroup|/etc/hosts |/etc/resolv.conf )" | sort');
  const r = await build(ctx, store);
  assert.is(r.code, 0, r.err);
  const mounts = new Map(logs(r.err).trim().split('\n').map((l) => [l.split(' ')[0], l.split(' ')[1].split(',')]));
  const strict = ['ro', 'nosuid', 'nodev', 'noexec'];
  for (const f of ['/etc/hosts', '/etc/resolv.conf']) assert.ok(strict.every((o) => mounts.get(f)?.includes(o)), `${f}: ${mounts.get(f)}`);
  // cgroup v1 is a tmpfs holding one mount per controller, v2 a single mount: the controllers are what must be read-only
  const cgroups = [...mounts.keys()].filter((m) => m.startsWith('/sys/fs/cgroup'));
  const leaves = cgroups.filter((m) => !cgroups.some((o) => o.startsWith(`${m}/`)));
  assert.ok(leaves.length > 0, 'the cgroup hierarchy is mounted');
  for (const m of leaves) assert.ok(mounts.get(m)?.includes('ro'), `${m}: ${mounts.get(m)}`);
});

test('touching a file keeps the cache; changing one file re-runs only what reads it', async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext('FROM bb\nCOPY a.txt /a.txt\nRUN cat /a.txt > /a.copy\nCOPY b.txt /b.txt\nRUN cat /b.txt > /b.copy', { 'a.txt': 'a\n', 'b.txt': 'b\n' });
  assert.is((await build(ctx, store)).code, 0);
  const later = new Date(Date.now() + 5000);
  await fs.utimes(path.join(ctx, 'a.txt'), later, later);
  const touched = await build(ctx, store);
  assert.equal(executedSteps(touched.err), []);
  await fs.writeFile(path.join(ctx, 'b.txt'), 'B\n');
  const changed = await build(ctx, store);
  assert.equal(executedSteps(changed.err), ['[stage-1 2/3] COPY b.txt /b.txt', '[stage-1 3/3] RUN cat /b.txt > /b.copy'].map((s) => s.replace('2/3', '3/4').replace('3/3', '4/4')));
  const miss = vertices(changed.err).get('[stage-1 3/4] COPY b.txt /b.txt');
  assert.match(miss?.reason ?? '', /\/b\.txt \(changed\)/);
});

test('an unchanged context is known without reading it; a pruned result and later changes still rebuild right', async () => {
  const store = await tempDir('store');
  // big enough that walking it takes longer than asking find what changed
  const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`src/many/f${i}.txt`, `${i}\n`]));
  const ctx = await busyboxContext('FROM bb\nCOPY src /src\nRUN cat /src/a.txt /src/sub/b.txt > /all && cat /all', { 'src/a.txt': 'a\n', 'src/sub/b.txt': 'b\n', ...many });
  // file times are coarse: a context changed in the second before a build is read again by the next
  await new Promise((r) => setTimeout(r, 1100));
  assert.is((await build(ctx, store)).code, 0);
  const unchanged = await build(ctx, store);
  assert.equal(executedSteps(unchanged.err), [], unchanged.err);
  const memo = (await fs.readdir(path.join(store, 'contexts'))).filter((f) => f.endsWith('.sums.json'));
  assert.is(memo.length, 1, 'the context checksums are remembered');
  const saved = JSON.parse(await fs.readFile(path.join(store, 'contexts', memo[0]), 'utf8')) as { findMs?: number };
  assert.ok(saved.findMs, 'find was asked what changed');
  // the remembered checksum still matches, but the result is gone: the COPY reads the files again
  // (prune spares what changed in the last 2 s: it could belong to a build that just started)
  await new Promise((r) => setTimeout(r, 2100));
  assert.is((await sh(`cas-store prune --all --force --store ${store}`)).code, 0);
  const pruned = await build(ctx, store);
  assert.is(pruned.code, 0, pruned.err);
  const copy = '[stage-1 1/2] COPY src /src';
  assert.equal(executedSteps(pruned.err).filter((n) => n.startsWith('[stage-1')), [copy, '[stage-1 2/2] RUN cat /src/a.txt /src/sub/b.txt > /all && cat /all']);
  assert.match(vertices(pruned.err).get(copy)?.reason ?? '', /gone from the store/);
  assert.is(logs(pruned.err), 'a\nb\n');
  for (const [change, want] of [
    [() => fs.writeFile(path.join(ctx, 'src', 'sub', 'b.txt'), 'B\n'), 'a\nB\n'],
    [() => fs.rm(path.join(ctx, 'src', 'a.txt')).then(() => fs.writeFile(path.join(ctx, 'src', 'a.txt'), 'A\n')), 'A\nB\n'],
  ] as [() => Promise<void>, string][]) {
    await change();
    const r = await build(ctx, store);
    assert.is(r.code, 0, r.err);
    assert.is(logs(r.err), want);
  }
});

test('files a COPY --exclude leaves out do not enter its cache key', async () => {
  const store = await tempDir('store');
  const ctx = await busyboxContext('FROM bb\nCOPY --exclude=*.md --exclude=docs . /app\nRUN ls -R /app > /list', {
    'main.c': 'int main;\n', 'README.md': 'readme\n', 'docs/guide.txt': 'guide\n',
  });
  const first = await build(ctx, store);
  assert.is(first.code, 0, first.err);
  await fs.writeFile(path.join(ctx, 'README.md'), 'new readme\n');
  await fs.writeFile(path.join(ctx, 'docs', 'guide.txt'), 'new guide\n');
  const excludedOnly = await build(ctx, store);
  assert.equal(executedSteps(excludedOnly.err), [], 'changing excluded files keeps the cache');
  await fs.writeFile(path.join(ctx, 'main.c'), 'int main2;\n');
  const changed = await build(ctx, store);
  assert.equal(executedSteps(changed.err).length, 2, changed.err);
});

test.run();

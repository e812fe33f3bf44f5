// Exec ops (RUN): the root mount is a writable overlay over the input layers, the
// process runs under the OCI runtime (crun or runc), and the overlay's upper dir becomes the new layer.
import { promises as fs } from 'node:fs';
import { BuildError, PipekitError, canonicalDigest, inUserNamespace, type ExecOp, type Mount } from '@pipekit/wire';
import type { KeyReads, OpHandler, SolveContext, Vertex } from '../context.ts';
import { commitLayer, EMPTY, type Ref } from '../refs.ts';
import { lowerView, openScratchOverlay, openView } from '../view.ts';
import { dropUnchanged } from '../fs/unchanged.ts';
import { stepRoot, type StepRoot } from '../exec/root.ts';
import { acquireCacheMount } from '../exec/cache-mounts.ts';
import { contextBindSource } from '../exec/context-bind.ts';
import { localContentHash } from './local-hash.ts';
import { resolveInRoot } from '../fs/resolve.ts';
import { resolveUser } from '../fs/user.ts';
import { buildSpec, withDefaultPath, type OciMount } from '../exec/spec.ts';
import { newBundle, sharedEtc } from '../exec/bundles.ts';
import { runContainer } from '../exec/container.ts';
import { ensureEmulation } from '../exec/emulation.ts';
import { discard } from '../trash.ts';
import { missingPaths, removeStubs } from '../exec/stubs.ts';
import { secretCacheKeys, secretMount, withSecretEnv } from '../exec/secret-mounts.ts';

const HOSTNAME = 'buildkitsandbox';
// the generated etc files, bound as BuildKit's withROBind binds them
const RO_BIND = ['nosuid', 'noexec', 'nodev', 'rbind', 'ro'];

function describe(args: string[]): string {
  return `process "${args.join(' ')}" did not complete successfully`;
}

/** Mount the non-root mounts; returns OCI mounts and a cleanup. Views stay mounted until cleanup. */
async function extraMounts(ctx: SolveContext, v: Vertex, mounts: Mount[]): Promise<{ oci: OciMount[]; cleanup: () => Promise<void> }> {
  const oci: OciMount[] = [];
  const closers: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  const bind = (m: Mount, source: string): OciMount => ({ destination: m.dest, type: 'bind', source, options: ['rbind', m.readonly ? 'ro' : 'rw'] });
  try {
    for (const m of mounts) {
      if (m.dest === '/') continue;
      const ref: Ref = m.input >= 0 ? v.inputs[m.input] : EMPTY;
      if (m.type === 'tmpfs') {
        const size = m.tmpfs?.size ? [`size=${m.tmpfs.size}`] : [];
        oci.push({ destination: m.dest, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', ...size] });
      } else if (m.type === 'cache') {
        let seedFrom: string | undefined;
        if (m.input >= 0) {
          const view = await openView(ctx.store, ref);
          closers.push(view.close);
          seedFrom = m.selector ? await resolveInRoot(view.root, m.selector) : view.root;
        }
        const handle = await acquireCacheMount(ctx.store, m, seedFrom, ctx.signal);
        closers.push(handle.release);
        oci.push(bind(m, handle.dir));
      } else if (m.type === 'bind' && ref.kind === 'dir') {
        const bound = await contextBindSource(ctx.store, ref.dir, m.selector, m.readonly, ctx.signal);
        closers.push(bound.close);
        oci.push(bind(m, bound.source));
      } else if (m.type === 'bind') {
        // writes to a read-write bind land in a throwaway upper dir
        const view = m.readonly ? await openView(ctx.store, ref) : await openScratchOverlay(ctx.store, ref);
        closers.push(view.close);
        const src = m.selector ? await resolveInRoot(view.root, m.selector) : view.root;
        oci.push(bind(m, src));
      } else {
        // secret file on its own tmpfs, or an ssh agent socket; skipped when optional and not given
        const sm = await secretMount(ctx, m);
        if (sm) {
          closers.push(sm.cleanup);
          oci.push(sm.mount);
        }
      }
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { oci, cleanup };
}

/** The exec op with what its bind mounts read from local directories hashed in (their keys are random). */
async function bindContent(ctx: SolveContext, v: Vertex, e: ExecOp, reads?: KeyReads): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (const m of e.mounts) {
    const ref = m.input >= 0 ? v.inputs[m.input] : undefined;
    if (m.type === 'bind' && m.dest !== '/' && ref?.kind === 'dir') {
      out.push(await localContentHash(ctx.store, ref.dir, m.selector || '/', { followSymlink: true, signal: ctx.signal }, reads));
    } else out.push(null);
  }
  return out;
}

export const execHandler: OpHandler = {
  cacheable: true,
  async cacheKey(ctx, v, reads) {
    const e = v.rec.op.exec as ExecOp;
    const content = await bindContent(ctx, v, e, reads);
    // inputs only read through local bind mounts count by content, not by their (random) key
    const localOnly = new Set(e.mounts.filter((m, i) => content[i] !== null).map((m) => m.input));
    const inputs = v.inputKeys.map((k, i) => (localOnly.has(i) ? null : k));
    // cache mount ids and sharing never change what a step means (as in BuildKit)
    const mounts = e.mounts.map((m) => (m.type === 'cache' ? { ...m, cache: null } : m));
    return canonicalDigest({ kind: 'exec.v1', exec: { ...e, mounts }, platform: v.rec.op.platform, inputs, content, ...(await secretCacheKeys(ctx, e)) });
  },
  async run(ctx, v) {
    const e = v.rec.op.exec as ExecOp;
    if (e.security === 'insecure' && !ctx.allowInsecure) {
      throw new BuildError('RUN --security=insecure needs --allow security.insecure');
    }
    if (e.network === 'host' && !ctx.allowHostNetwork) throw new BuildError('RUN --network=host needs --allow network.host');
    if (v.rec.op.platform) await ensureEmulation(v.rec.op.platform, ctx.hostPlatform);
    const rootMount = e.mounts.find((m) => m.dest === '/');
    if (!rootMount) throw new PipekitError('exec op has no root mount');
    const base = rootMount.input >= 0 ? v.inputs[rootMount.input] : EMPTY;
    const bundle = await newBundle();
    let rw: StepRoot;
    try {
      rw = await stepRoot(ctx.store, base, bundle, e.meta.cwd || '/', (root) => resolveUser(root, e.meta.user));
    } catch (err) {
      await fs.rm(bundle, { recursive: true, force: true });
      throw err;
    }
    let extra: Awaited<ReturnType<typeof extraMounts>> | undefined;
    try {
      const ids = await resolveUser(rw.lookup, e.meta.user);
      const etc = await sharedEtc(HOSTNAME);
      extra = await extraMounts(ctx, v, e.mounts);
      const etcMounts: OciMount[] = [
        { destination: '/etc/hosts', type: 'bind', source: etc.hosts, options: RO_BIND },
        { destination: '/etc/resolv.conf', type: 'bind', source: etc.resolv, options: RO_BIND },
      ];
      const all = [...etcMounts, ...extra.oci];
      const stubs = await missingPaths(rw.lookup, ['/proc', '/dev', '/sys', ...all.map((m) => m.destination)]);
      const spec = buildSpec({
        args: e.meta.args,
        env: await withSecretEnv(ctx, e, withDefaultPath(e.meta.env)),
        cwd: e.meta.cwd || '/',
        ids,
        rootPath: rw.rootPath,
        hostname: e.meta.hostname || HOSTNAME,
        network: e.network,
        insecure: e.security === 'insecure',
        rootless: inUserNamespace(),
        rootMount: rw.rootMount,
        extraMounts: all,
      });
      // a step whose mounts are all made inside the container can start through a runner (see exec/runners.ts)
      const pool = e.security !== 'insecure' && extra.oci.every((m) => m.type === 'tmpfs') ? ctx.runners : undefined;
      const runners = pool && { pool, runner: pool.take(v.rec.digest) };
      const running = runContainer(bundle, spec, (stream, data) => ctx.progress.log(v.rec.digest, stream, data), ctx.signal, runners);
      // while it runs, earlier layers are compressed for the export
      const res = await (ctx.precompress ? ctx.precompress.during(running) : running);
      await removeStubs(rw.stubRoot, stubs);
      const ok = e.meta.validExitCodes.length ? e.meta.validExitCodes : [0];
      if (!ok.includes(res.exitCode)) throw new BuildError(`${describe(e.meta.args)}: exit code: ${res.exitCode}`);
    } catch (err) {
      await extra?.cleanup();
      await rw.abort();
      await fs.rm(bundle, { recursive: true, force: true });
      throw err;
    }
    await extra?.cleanup();
    discard(bundle);
    const { tmpId } = await rw.finish();
    await dropUnchanged(ctx.store.snapshots.dir(tmpId), lowerView(ctx.store, base));
    // packed while the next steps start on its files
    const layer = await commitLayer(ctx.store, tmpId);
    const layers = base.kind === 'layers' ? base.layers : [];
    return [{ kind: 'layers', layers: [...layers, layer] }];
  },
};

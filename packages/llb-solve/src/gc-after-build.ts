// After a build, the store's GC policy runs (buildkitd.toml; BuildKit's
// defaults without one), at most once per interval (`gcInterval`, default 1m,
// as BuildKit throttles GC to once a minute), counted from the store's first
// build. A GC failure is a warning: the build itself succeeded.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { humanSize, loadGcConfig, parseDuration, runGc, type Store } from '@pipekit/cas-store';

export async function gcAfterBuild(store: Store, opts: { configFile?: string; warn: (msg: string) => void; force?: boolean }): Promise<void> {
  try {
    const cfg = await loadGcConfig(store.dir, opts.configFile);
    if (!cfg.enabled) return;
    const stamp = path.join(store.dir, 'run', 'gc.last');
    const interval = cfg.interval !== undefined ? cfg.interval : parseDuration('1m', 'gcInterval');
    const last = (await fs.stat(stamp).catch(() => undefined))?.mtimeMs;
    if (!opts.force && last !== undefined && Date.now() - last < interval) return;
    await fs.writeFile(stamp, new Date().toISOString());
    // a store's first build starts the clock: a GC then, at the end of the
    // pipe's critical path, could only find what builds made in the last few
    // moments (as BuildKit's throttle runs it a while after the first solve)
    if (!opts.force && last === undefined && interval > 0) return;
    const runs = await runGc(store, cfg);
    const freed = runs.reduce((s, r) => s + r.result.freed, 0);
    const n = runs.reduce((s, r) => s + r.result.deleted.length, 0);
    if (n) opts.warn(`gc: removed ${n} cache records (${humanSize(freed)})`);
  } catch (err) {
    opts.warn(`gc after build failed: ${(err as Error).message}`);
  }
}

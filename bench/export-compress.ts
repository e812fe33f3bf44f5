// Benchmark for export-oci's layer compression. Makes a ~120 MB, 5,000-file
// tree (from /usr), packs it as a layer into a temp store, then prints figures (no pass or
// fail): `tar -c | gzip -6` of the same tree, export-oci's gzip on one thread
// and on every core, zstd, and a first and second export of the image (the
// second reuses the stored blob). Run: pnpm exec tsx bench/export-compress.ts
// (or deno run -A bench/export-compress.ts); MB are 10^6 bytes of layer tar.
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { promises as fs } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { BlobStore, packLayer } from '@pipekit/cas-store';
import { CompressPool, compressStream, exportImages, imageRecord, type Codec } from './export-compress-support.ts';

const FILES = 5000;
const TOTAL = 120e6;
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';

async function main(): Promise<void> {
  const root = await fs.mkdtemp(path.join(tmpdir(), 'export-bench-'));
  try {
    const tree = path.join(root, 'tree');
    await makeTree(tree);
    const storeDir = path.join(root, 'store');
    const blobs = new BlobStore(storeDir);
    const layer = await blobs.put(packLayer(tree));
    const mb = layer.size / 1e6;
    console.log(`runtime ${isDeno ? 'deno' : `node ${process.version}`}, ${availableParallelism()} cores; layer tar ${mb.toFixed(1)} MB, ${FILES} files at most`);

    const sh = (cmd: string) => time(async () => void execFileSync('bash', ['-c', cmd], { stdio: ['ignore', 'ignore', 'inherit'] }));
    const gzipCli = await sh(`tar -c -C ${tree} . | gzip -6 > /dev/null`);
    const gzipSize = Number(execFileSync('bash', ['-c', `tar -c -C ${tree} . | gzip -6 | wc -c`]).toString());
    row('tar -c | gzip -6', mb, gzipCli, gzipSize / layer.size, 0);

    const measure = async (codec: Codec, threads: number, level: number) => {
      const pool = new CompressPool({ threads });
      let size = 0;
      const s = await time(async () => {
        for await (const c of compressStream(blobs.open(layer.digest), { codec, level, pool })) size += c.length;
      });
      const cpu = lastCpu;
      await pool.close();
      lastCpu = cpu;
      return { s, ratio: size / layer.size };
    };
    const one = await measure('gzip', 1, 6);
    const oneCpu = lastCpu;
    row('export-oci gzip -6, 1 thread', mb, one.s, one.ratio);
    const all = await measure('gzip', availableParallelism(), 6);
    row(`export-oci gzip -6, ${availableParallelism()} threads`, mb, all.s, all.ratio);
    const allCpu = lastCpu;
    const z = await measure('zstd', availableParallelism(), 3);
    row(`export-oci zstd -3, ${availableParallelism()} threads`, mb, z.s, z.ratio);
    console.log(`gzip speed-up, ${availableParallelism()} threads over 1: ${(one.s / all.s).toFixed(2)}x wall; CPU ${oneCpu.toFixed(2)} s vs ${allCpu.toFixed(2)} s (parallel overhead ${((allCpu / oneCpu - 1) * 100).toFixed(0)}%)`);
    console.log(`export-oci gzip vs tar | gzip -6 (wall): ${(gzipCli / all.s).toFixed(2)}x`);

    const image = imageRecord(storeDir, [{ diffID: layer.digest, size: layer.size, blob: { mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer } }]);
    const first = await time(() => exportImages([image], { type: 'oci', dest: path.join(root, 'a.tar'), storeDir }));
    const second = await time(() => exportImages([image], { type: 'oci', dest: path.join(root, 'b.tar'), storeDir }));
    console.log(`export of the image: first ${first.toFixed(2)} s (compresses), second ${second.toFixed(2)} s (reuses the stored blob)`);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

let lastCpu = 0;
function row(what: string, mb: number, seconds: number, ratio: number, cpu = lastCpu): void {
  const c = cpu ? `  cpu ${cpu.toFixed(2)} s (${(mb / cpu).toFixed(1)} MB/s per core)` : '';
  console.log(`${what.padEnd(36)} ${seconds.toFixed(2).padStart(6)} s  ${(mb / seconds).toFixed(1).padStart(6)} MB/s  size ${(ratio * 100).toFixed(1)}%${c}`);
}

/** Wall seconds; the process's CPU seconds (every thread) go to lastCpu. A busy machine shows in wall >> cpu / threads. */
async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  const c = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(c);
  lastCpu = (used.user + used.system) / 1e6;
  return (performance.now() - t) / 1000;
}

/**
 * 5,000 files, ~120 MB, copied from this machine's /usr (libraries, binaries,
 * docs: what real layers hold), the same selection on every run of a machine.
 */
async function makeTree(dir: string): Promise<void> {
  const picked: string[] = [];
  let bytes = 0;
  const walk = async (d: string): Promise<void> => {
    const names = (await fs.readdir(d, { withFileTypes: true }).catch(() => [])).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of names) {
      if (picked.length >= FILES || bytes >= TOTAL) return;
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const st = await fs.stat(p);
        if (st.size === 0 || st.size > 4e6 || bytes + st.size > TOTAL * 1.02) continue;
        picked.push(p);
        bytes += st.size;
      }
    }
  };
  for (const top of ['/usr/lib', '/usr/share', '/usr/bin']) await walk(top);
  for (const [i, p] of picked.entries()) {
    const to = path.join(dir, `d${i % 50}`, `${i}-${path.basename(p)}`);
    await fs.mkdir(path.dirname(to), { recursive: true });
    await fs.copyFile(p, to);
  }
}

await main();

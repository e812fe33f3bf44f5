import { Store, commitSnapshot, ensureSnapshot, mountOverlay, unmount } from './packages/cas-store/src/index.ts';
import { promises as fs } from 'node:fs';
const store = await Store.open('/tmp/st1');
const a = await store.snapshots.prepare();
await fs.mkdir(a.dir + '/etc'); await fs.writeFile(a.dir + '/etc/x', 'hello'); await fs.symlink('x', a.dir + '/etc/l');
await fs.writeFile(a.dir + '/gone', 'bye');
const la = await commitSnapshot(store, a.id);
console.log(la);
// layer b on top: remove gone, opaque etc
const b = await store.snapshots.prepare(); const w = await store.tempDir('w'); const m = await store.tempDir('m');
await mountOverlay(store.snapshots, { layers: [la.snapshot!], upper: { dir: b.dir, work: w }, target: m });
await fs.rm(m + '/gone'); await fs.rm(m + '/etc', {recursive:true}); await fs.mkdir(m + '/etc'); await fs.writeFile(m+'/etc/y','y');
await unmount(m);
const lb = await commitSnapshot(store, b.id);
console.log(lb);
// roundtrip: unpack b's blob into new snapshot
await fs.rm(`/tmp/st1/layers/by-diffid/${lb.diffID.slice(7)}.json`);
const lb2 = await ensureSnapshot(store, lb.blob, lb.diffID);
console.log(lb2);
const m2 = await store.tempDir('m');
await mountOverlay(store.snapshots, { layers: [la.snapshot!, lb2.snapshot!], target: m2 });
console.log(await fs.readdir(m2), await fs.readdir(m2 + '/etc'));
await unmount(m2);

import { startRegistry } from './registry.ts';
const r = await startRegistry();
console.log('up', r.host, r.dir);
setInterval(() => {}, 1000);

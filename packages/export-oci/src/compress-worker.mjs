// A compression worker: runs block jobs (see block-codec.mjs) and posts results
// back in the order they came. Started by compress-pool.ts as a node:worker_threads
// Worker on Node and as a web Worker on Deno (whose node:worker_threads messaging
// copies slowly); the listener is attached before anything is awaited because
// Deno drops messages that arrive before it.
import { parentPort } from 'node:worker_threads';
import { runBlock } from './block-codec.mjs';

const port = parentPort ?? {
  on: (_event, fn) => {
    globalThis.onmessage = (ev) => fn(ev.data);
  },
  postMessage: (msg, transfer) => globalThis.postMessage(msg, transfer),
};

port.on('message', (msg) => {
  try {
    const res = runBlock(msg.job);
    // transfer needs a buffer of its own
    const out = res.out.byteOffset === 0 && res.out.byteLength === res.out.buffer.byteLength ? res.out : res.out.slice();
    const crc = res.crc;
    port.postMessage({ id: msg.id, out, crc }, [out.buffer]);
  } catch (err) {
    port.postMessage({ id: msg.id, error: String(err && err.message ? err.message : err) });
  }
});

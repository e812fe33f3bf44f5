// A compression worker: runs block jobs (see block-codec.mjs) and posts results
// back in the order they came. Started by compress-pool.ts as a node:worker_threads
// Worker on Node and as a web Worker on Deno (whose node:worker_threads messaging
// copies slowly); the listener is attached before anything is awaited because
// Deno drops messages that arrive before it.
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { runBlock } from './block-codec.mjs';

/**
 * Lower this thread's CPU priority (Linux: a thread is scheduled by its own
 * id), and tell the pool which id, so that it can restore the priority before
 * the thread has to wind down.
 */
function setNice(nice) {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    os.setPriority(tid, nice);
    port.postMessage({ tid });
  } catch {
    // not Linux, or not allowed: run at the process's priority
  }
}

const port = parentPort ?? {
  on: (_event, fn) => {
    globalThis.onmessage = (ev) => fn(ev.data);
  },
  postMessage: (msg, transfer) => globalThis.postMessage(msg, transfer),
};

/** Compress sample data (tar-like: headers, text, zeros) so the codec is compiled before real jobs. */
function warmup({ codec, level }) {
  const sample = new Uint8Array(256 * 1024);
  for (let i = 0; i < sample.length; i++) sample[i] = i % 512 < 100 ? 0 : (i * 31 + (i >> 9)) % 96 + 32;
  try {
    for (let round = 0; round < 2; round++) runBlock({ codec, data: sample, last: round === 1, level });
  } catch {
    // a failing codec fails the real job, with its error
  }
}

port.on('message', (msg) => {
  if (msg.nice !== undefined) return setNice(msg.nice);
  if (msg.warmup) return warmup(msg.warmup);
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

// Seeded input mutators for fuzzing: byte flips, inserts, deletes, chunk
// duplication, splices from other corpus inputs and tokens that exercise the
// parsers' tricky paths. Seeded so a finding can be replayed.
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    // xorshift32
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 0x100000000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

const TOKENS = ['\\\n', '\n', '\r\n', '<<EOF\n', '<<-"EOF"\nx\n\tEOF\n', '${', '}', '$', '"', "'", '[', ']', '["a", 1]', '--', '--mount=type=cache,target=/x',
  '# escape=`\n', '# syntax=docker/dockerfile:1\n', '`', '\\', '\0', '\t', '\u00a0', '\ufeff', '한', '\udc80', 'FROM ', 'RUN ', 'ONBUILD ', 'ENV a=', 'ARG ', 'COPY --from=', ' AS ', '=', ':-', '#', '{"a":'];

export function mutate(rng: Rng, input: Uint8Array, corpus: Uint8Array[]): Uint8Array {
  let b = Buffer.from(input);
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const at = b.length ? rng.int(b.length) : 0;
    switch (rng.int(7)) {
      case 0: // flip a byte
        if (b.length) b[at] ^= 1 << rng.int(8);
        break;
      case 1: // random byte
        b = Buffer.concat([b.subarray(0, at), Buffer.from([rng.int(256)]), b.subarray(at)]);
        break;
      case 2: // delete a run
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rng.int(16))]);
        break;
      case 3: { // duplicate a chunk
        const len = rng.int(64);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
        break;
      }
      case 4: { // splice from another input
        const other = Buffer.from(rng.pick(corpus));
        const from = other.length ? rng.int(other.length) : 0;
        b = Buffer.concat([b.subarray(0, at), other.subarray(from, from + rng.int(200)), b.subarray(at)]);
        break;
      }
      default: // insert a token
        b = Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick(TOKENS)), b.subarray(at)]);
    }
  }
  return b;
}

export function randomBytes(rng: Rng, max = 512): Uint8Array {
  const out = Buffer.alloc(rng.int(max));
  for (let i = 0; i < out.length; i++) out[i] = rng.next() < 0.7 ? 32 + rng.int(95) : rng.int(256);
  return out;
}

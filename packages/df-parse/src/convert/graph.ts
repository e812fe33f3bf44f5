// Collects ops as the Dockerfile is walked. Each op is normalised once and keyed
// by its digest; an op added twice (the same step reached from two stages or
// platforms) is stored once. Insertion order is dependencies-first because an
// op can only name inputs that already exist.
import { normalizedDigest, normalizeOp, WIRE_VERSION, type Input, type Op, type OpMeta, type OpRecord } from '@pipekit/wire';

export class GraphBuilder {
  private ops = new Map<string, OpRecord>();

  add(op: Op, meta: Partial<OpMeta>): Input {
    const norm = normalizeOp(op);
    const digest = normalizedDigest(norm);
    if (!this.ops.has(digest)) {
      this.ops.set(digest, {
        v: WIRE_VERSION,
        type: 'op',
        digest,
        op: norm,
        meta: { name: '', stage: '', command: '', locations: [], ignoreCache: false, ...meta },
      });
    }
    return { digest, index: 0 };
  }

  records(): OpRecord[] {
    return [...this.ops.values()];
  }
}

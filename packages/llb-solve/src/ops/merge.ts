// Merge and diff over layer chains. Merge stacks its inputs' layers (later wins,
// which is what COPY --link needs); diff returns the layers of `upper` above
// `lower` when lower is a base of upper.
import { canonicalDigest, BuildError, type DiffOp, type MergeOp } from '@pipekit/wire';
import type { OpHandler } from '../context.ts';
import { EMPTY, type Ref } from '../refs.ts';

const layersOf = (r: Ref) => {
  if (r.kind !== 'layers') throw new BuildError('merge/diff inputs must be layer snapshots, not a local directory');
  return r.layers;
};

export const mergeHandler: OpHandler = {
  cacheable: true,
  async cacheKey(_ctx, v) {
    return canonicalDigest({ kind: 'merge.v1', merge: v.rec.op.merge, inputs: v.inputKeys });
  },
  async run(_ctx, v) {
    const m = v.rec.op.merge as MergeOp;
    const layers = m.inputs.flatMap((i) => layersOf(i.input >= 0 ? v.inputs[i.input] : EMPTY));
    return [{ kind: 'layers', layers }];
  },
};

export const diffHandler: OpHandler = {
  cacheable: true,
  async cacheKey(_ctx, v) {
    return canonicalDigest({ kind: 'diff.v1', diff: v.rec.op.diff, inputs: v.inputKeys });
  },
  async run(_ctx, v) {
    const d = v.rec.op.diff as DiffOp;
    const lower = layersOf(d.lower.input >= 0 ? v.inputs[d.lower.input] : EMPTY);
    const upper = layersOf(d.upper.input >= 0 ? v.inputs[d.upper.input] : EMPTY);
    const isBase = lower.every((l, i) => upper[i]?.diffID === l.diffID);
    if (!isBase) throw new BuildError('diff: lower is not a base of upper (only layer-prefix diffs are supported)');
    return [{ kind: 'layers', layers: upper.slice(lower.length) }];
  },
};

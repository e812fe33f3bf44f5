// Resolving `--from=` (COPY) and `from=` (RUN --mount) to a filesystem: an
// earlier stage by name or index, a named build context, or an image.
import type { Input } from '@pipekit/wire';
import type { Node } from '../parser/index.ts';
import type { Conv } from './context.ts';
import { lookupNamedContext } from './named-context.ts';
import { suggest } from './specs.ts';
import type { StageState } from './state.ts';

/** An empty filesystem as an op (a stage that is still scratch). */
export function emptyFs(conv: Conv): Input {
  return conv.graph.add(
    { inputs: [], platform: null, file: { actions: [{ input: -1, secondaryInput: -1, output: 0, mkdir: { path: '/', mode: 0o755, makeParents: true, owner: null, timestamp: -1 } }] } },
    { name: '[internal] empty stage' },
  );
}

export async function fromSource(conv: Conv, st: StageState, n: Node, from: string, flagName: string): Promise<Input> {
  if (from === '') conv.fail(n, `${flagName} needs a stage name, stage index or image`, { near: flagName });
  if (from.includes('$')) {
    conv.fail(n, `${flagName}=${from}: variables are not expanded here`, { hint: 'declare a stage for it (FROM ${IMAGE} AS name) and use the stage name', near: from });
  }
  const lower = from.toLowerCase();
  let stage = /^\d+$/.test(from) ? conv.stages[Number(from)] : conv.stages.find((s) => s.name !== '' && s.name === lower);
  if (/^\d+$/.test(from) && !stage) conv.fail(n, `invalid stage index ${from}`, { hint: `this Dockerfile has stages 0 to ${conv.stages.length - 1}`, near: from });
  if (stage && stage.index >= st.index) {
    conv.fail(n, `cannot copy from stage ${JSON.stringify(from)}, it needs to be defined before current stage ${JSON.stringify(st.name || `stage-${st.index}`)}`, { near: from });
  }
  if (stage) {
    const ref = (await conv.stageState(stage.index)).ref;
    return ref ?? emptyFs(conv);
  }
  const named = lookupNamedContext(conv.opts.namedContexts, from);
  if (named?.ctx.kind === 'local') return conv.local(named.name, named.ctx.dir, []);
  const ref = named?.ctx.kind === 'image' ? named.ctx.ref : from;
  const img = await conv.image(ref, st.platform, n).catch((err: Error) => {
    // BuildKit takes a name that is no stage for an image; say both when that fails too
    const earlier = conv.stages.filter((s) => s.index < st.index && s.name !== '').map((s) => s.name);
    const near = suggest(from, earlier);
    const hint = near ? `did you mean the stage ${near}?` : earlier.length ? `stages before this one: ${earlier.join(', ')}` : 'no named stage comes before this one';
    return conv.fail(n, `${flagName}=${from} names no stage, and no image either (${(err as { reason?: string }).reason ?? err.message})`, { hint, near: from, cause: err });
  });
  return conv.graph.add(
    { inputs: [], platform: st.platform, source: { identifier: img.identifier, attrs: {} } },
    { name: `[internal] load ${img.pinned}`, stage: st.name, locations: conv.location(n) },
  );
}

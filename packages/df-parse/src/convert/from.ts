// One stage: FROM (an image, an earlier stage, scratch or a named context), the
// base's ONBUILD triggers, then the stage's instructions in order.
import path from 'node:path';
import { parsePlatform, wholeDirCopy, type ImageConfig, type Input, type Platform } from '@pipekit/wire';
import type { Node } from '../parser/index.ts';
import type { Conv } from './context.ts';
import { dispatchCopy } from './dispatch-copy.ts';
import { dispatchMeta } from './dispatch-meta.ts';
import { dispatchRun } from './dispatch-run.ts';
import { checkFlags } from './flags.ts';
import { lookupNamedContext } from './named-context.ts';
import { countsAsStep, StepNamer } from './naming.ts';
import { parseTriggers } from './onbuild.ts';
import { INSTRUCTION_FLAGS } from './specs.ts';
import { findStage, type Stage } from './stages.ts';
import { cloneState, DEFAULT_PATH, emptyConfig, type StageState } from './state.ts';

function baseConfig(img: ImageConfig, p: Platform): ImageConfig {
  const cfg: ImageConfig = {
    architecture: img.architecture || p.architecture,
    os: img.os || p.os,
    ...(img.variant ? { variant: img.variant } : {}),
    ...(img.author ? { author: img.author } : {}),
    config: { ...(img.config ?? {}) },
    rootfs: { type: 'layers', diff_ids: [...(img.rootfs?.diff_ids ?? [])] },
    history: [...(img.history ?? [])],
  };
  if (cfg.config.Env) cfg.config.Env = [...cfg.config.Env];
  return cfg;
}

function freshState(stage: Stage, platform: Platform): StageState {
  return { name: stage.name, index: stage.index, ref: null, env: [], args: [], cwd: '/', user: '', platform, config: emptyConfig(platform), cmdSet: false };
}

/** The names of $VARs in a FROM word that no global ARG declares. */
function undeclared(conv: Conv, word: string): string[] {
  const names = [...word.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
  return names.filter((v) => !conv.globalArgs.has(v));
}

async function dispatch(conv: Conv, st: StageState, n: Node, namer: StepNamer): Promise<void> {
  if (n.value === 'run') await dispatchRun(conv, st, n, namer);
  else if (n.value === 'copy' || n.value === 'add') await dispatchCopy(conv, st, n, namer, n.value === 'add');
  else dispatchMeta(conv, st, n, namer);
}

export async function convertStage(conv: Conv, stage: Stage): Promise<StageState> {
  const n = stage.from;
  const flags = checkFlags('from', n.flags, INSTRUCTION_FLAGS.from, conv.failer(n));
  const globals = (k: string) => conv.globalArgs.get(k);
  for (const w of [n.next[0].value, flags.str('platform') ?? '']) {
    for (const v of undeclared(conv, w)) conv.shared.lint.warn('UndefinedArgInFrom', `FROM argument '${v}' is not declared`, n.startLine);
  }
  const imageName = conv.expand(n.next[0].value, globals, n);
  if (imageName === '') conv.fail(n, `base name (${n.next[0].value}) should not be blank`, { hint: 'give the ARG it uses a default, or pass --build-arg', near: n.next[0].value });
  let platform = conv.platform;
  const pf = flags.str('platform');
  if (pf !== undefined) {
    const v = conv.expand(pf, globals, n);
    if (v === '') conv.fail(n, `empty platform value from expression ${pf}`, { near: '--platform' });
    try {
      platform = parsePlatform(v);
    } catch (err) {
      conv.fail(n, `failed to parse platform ${pf}: ${(err as Error).message}`, { near: '--platform', cause: err });
    }
  }
  const label = conv.stages.length === 1 ? '' : stage.name || `stage-${stage.index}`;
  const multi = conv.shared.multiPlatform ? platform : null;
  const body = stage.body;
  const counted = (nodes: Node[]) => nodes.filter(countsAsStep).length;

  // a named context standing in for the whole stage
  const forStage = stage.name ? lookupNamedContext(conv.opts.namedContexts, stage.name) : undefined;
  const base = forStage ? undefined : findStage(conv.stages, imageName, stage.index);
  const named = forStage ?? (base ? undefined : lookupNamedContext(conv.opts.namedContexts, imageName));
  let st: StageState;
  let triggers: Node[] = [];
  let fromStep: { pinned: string; identifier: string } | { local: Input } | null = null;
  if (base) {
    st = cloneState(await conv.stageState(base.index));
    triggers = parseTriggers(conv, n, st.config.config.OnBuild ?? []);
  } else {
    st = freshState(stage, platform);
    if (named?.ctx.kind === 'local') {
      fromStep = { local: conv.local(named.name, named.ctx.dir, []) };
    } else if (named || imageName !== 'scratch') {
      const ref = named?.ctx.kind === 'image' ? named.ctx.ref : imageName;
      const img = await conv.image(ref, platform, n);
      st.config = baseConfig(img.config, platform);
      triggers = parseTriggers(conv, n, st.config.config.OnBuild ?? []);
      const hasLayers = (img.config.rootfs?.diff_ids ?? []).length > 0 || (img.config.history ?? []).some((h) => !h.empty_layer);
      if (hasLayers) fromStep = { pinned: img.pinned, identifier: img.identifier };
    }
  }
  delete st.config.config.OnBuild;
  st.name = stage.name;
  st.index = stage.index;
  st.args = [];
  st.cmdSet = false;
  const fromImage = !base && (named !== undefined || imageName !== 'scratch');
  const namer = new StepNamer(counted(body) + counted(triggers) + (fromImage ? 1 : 0), label, multi, () => st.env);
  if (fromStep && 'local' in fromStep) {
    // a directory as a base: its files become the stage's first layer
    st.ref = conv.graph.add(
      { inputs: [fromStep.local], platform: null, file: { actions: [{ input: -1, secondaryInput: 0, output: 0, copy: wholeDirCopy('/') }] } },
      { name: namer.next(`FROM ${named?.name}`), stage: stage.name, command: n.original.trim(), locations: conv.location(n) },
    );
  } else if (fromStep) {
    st.ref = conv.graph.add(
      { inputs: [], platform, source: { identifier: fromStep.identifier, attrs: {} } },
      { name: namer.next(`FROM ${fromStep.pinned}`), stage: stage.name, command: n.original.trim(), locations: conv.location(n) },
    );
  } else if (fromImage) namer.next('FROM');
  if (!base) {
    // the base image's Env, WorkingDir and User shape every later step
    const c = st.config.config;
    if (!(c.Env ?? []).some((e) => e.startsWith('PATH=')) && platform.os !== 'windows') c.Env = [...(c.Env ?? []), DEFAULT_PATH];
    st.env = [...(c.Env ?? [])];
    if (c.WorkingDir) c.WorkingDir = path.posix.join('/', c.WorkingDir);
    st.cwd = c.WorkingDir || '/';
    st.user = c.User ?? '';
  }
  if (forStage) return st; // the context replaces the stage's instructions
  for (const node of [...triggers, ...body]) await dispatch(conv, st, node, namer);
  return st;
}

// Dockerfile -> build graph records. Stages are converted lazily from the target,
// so stages it does not need add nothing to the graph.
import { formatPlatform, parsePlatform, WIRE_VERSION, type AnyRecord, type ImageConfig, type Platform } from '@pipekit/wire';
import { parseDockerfile, type Node } from '../parser/index.ts';
import { Conv, type ConvertOptions } from './context.ts';
import { dispatchCopy } from './dispatch-copy.ts';
import { dispatchMeta } from './dispatch-meta.ts';
import { dispatchRun } from './dispatch-run.ts';
import { flag, parseFlags } from './flags.ts';
import { StepNamer } from './naming.ts';
import { findStage, splitStages, type Stage } from './stages.ts';
import { DEFAULT_PATH, emptyConfig, type StageState } from './state.ts';

const KNOWN = new Set(['from', 'run', 'cmd', 'entrypoint', 'copy', 'add', 'env', 'arg', 'label', 'expose', 'workdir', 'user',
  'volume', 'shell', 'stopsignal', 'healthcheck', 'onbuild', 'maintainer']);

function platformArgs(prefix: 'BUILD' | 'TARGET', p: Platform): [string, string][] {
  return [
    [`${prefix}PLATFORM`, formatPlatform(p)],
    [`${prefix}OS`, p.os],
    [`${prefix}ARCH`, p.architecture],
    [`${prefix}VARIANT`, p.variant === 'v8' && p.architecture === 'arm64' ? '' : p.variant],
  ];
}

function baseConfig(img: ImageConfig, p: Platform): ImageConfig {
  const cfg: ImageConfig = {
    architecture: img.architecture || p.architecture,
    os: img.os || p.os,
    ...(img.variant ? { variant: img.variant } : {}),
    config: { ...(img.config ?? {}) },
    rootfs: { type: 'layers', diff_ids: [...(img.rootfs?.diff_ids ?? [])] },
    history: [...(img.history ?? [])],
  };
  if (!(cfg.config.Env ?? []).some((e) => e.startsWith('PATH='))) cfg.config.Env = [DEFAULT_PATH, ...(cfg.config.Env ?? [])];
  return cfg;
}

async function convertStage(conv: Conv, stage: Stage): Promise<StageState> {
  const n = stage.from;
  const flags = parseFlags(n.flags, ['platform'], (m) => conv.fail(n, m));
  const globals = (k: string) => conv.globalArgs.get(k);
  const imageName = conv.expand(n.next[0].value, globals, n);
  if (imageName === '') conv.fail(n, `base name (${n.next[0].value}) should not be blank`);
  const pf = flag(flags, 'platform');
  const platform = pf ? parsePlatform(conv.expand(pf, globals, n)) : conv.opts.platform;
  const base = findStage(conv.stages, imageName, stage.index);
  const fromImage = !base && imageName !== 'scratch';
  const namer = new StepNamer(stage, fromImage, conv.stages.length === 1);
  let st: StageState;
  if (base) {
    const parent = await conv.stageState(base.index);
    st = structuredClone(parent);
    st.args = new Map();
    st.cmdSet = false;
  } else {
    st = {
      name: stage.name, index: stage.index, ref: null, env: [DEFAULT_PATH], args: new Map(), cwd: '/', user: '',
      shell: ['/bin/sh', '-c'], platform, config: emptyConfig(platform), cmdSet: false,
    };
    if (fromImage) {
      const img = await conv.image(imageName, platform, n);
      st.config = baseConfig(img.config, platform);
      const c = st.config.config;
      st.env = [...(c.Env ?? [])];
      st.cwd = c.WorkingDir || '/';
      st.user = c.User ?? '';
      if (c.Shell?.length) st.shell = [...c.Shell];
      st.ref = conv.graph.add(
        { inputs: [], platform, source: { identifier: `docker-image://${img.pinned}`, attrs: {} } },
        { name: namer.next(`FROM ${img.pinned}`), stage: stage.name, command: `FROM ${imageName}`, locations: conv.location(n) },
      );
    }
  }
  st.name = stage.name;
  st.index = stage.index;
  for (const node of stage.body) {
    if (node.value === 'run') await dispatchRun(conv, st, node, namer);
    else if (node.value === 'copy' || node.value === 'add') await dispatchCopy(conv, st, node, namer, node.value === 'add');
    else dispatchMeta(conv, st, node, namer);
  }
  return st;
}

export type ConvertResult = { records: AnyRecord[]; warnings: string[] };

export async function convertDockerfile(opts: ConvertOptions): Promise<ConvertResult> {
  const parsed = parseDockerfile(opts.text, { file: opts.file });
  const conv = new Conv(opts, parsed.directives.escape);
  const children: Node[] = parsed.root.children;
  for (const n of children) if (!KNOWN.has(n.value)) conv.fail(n, `unknown instruction: ${n.value.toUpperCase()}`);
  const { globalArgs, stages } = splitStages(children, (n, m) => conv.fail(n, m));
  conv.stages = stages;
  for (const [k, v] of [...platformArgs('BUILD', opts.buildPlatform), ...platformArgs('TARGET', opts.platform)]) conv.globalArgs.set(k, v);
  for (const n of globalArgs) {
    for (const w of n.next) {
      const eq = w.value.indexOf('=');
      const name = eq < 0 ? w.value : w.value.slice(0, eq);
      let value: string | undefined = eq < 0 ? undefined : conv.expand(w.value.slice(eq + 1), (k) => conv.globalArgs.get(k), n);
      if (opts.buildArgs.has(name)) {
        value = opts.buildArgs.get(name);
        conv.usedArgs.add(name);
      }
      conv.globalArgs.set(name, value);
    }
  }
  let target: Stage = stages[stages.length - 1];
  if (opts.target) {
    const t = stages.find((s) => s.name === opts.target?.toLowerCase());
    if (!t) {
      const names = stages.map((s) => s.name).filter(Boolean);
      return conv.fail(undefined, `target stage ${JSON.stringify(opts.target)} could not be found${names.length ? ` (stages: ${names.join(', ')})` : ''}`);
    }
    target = t;
  }
  conv.globalArgs.set('TARGETSTAGE', target.name || 'default');
  const memo = new Map<number, Promise<StageState>>();
  conv.stageState = (i) => {
    let p = memo.get(i);
    if (!p) {
      p = convertStage(conv, stages[i]);
      memo.set(i, p);
    }
    return p;
  };
  const st = await conv.stageState(target.index);
  st.config.created = opts.created;
  const warnings: string[] = [];
  const unused = [...opts.buildArgs.keys()].filter((k) => !conv.usedArgs.has(k) && !conv.globalArgs.has(k));
  if (unused.length) warnings.push(`One or more build-args [${unused.join(' ')}] were not consumed`);
  const records: AnyRecord[] = [
    { v: WIRE_VERSION, type: 'source', file: opts.file, data: opts.text },
    ...conv.graph.records(),
    { v: WIRE_VERSION, type: 'result', target: target.name, platform: st.platform, input: st.ref, config: st.config },
  ];
  return { records, warnings };
}



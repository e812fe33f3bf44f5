// Dockerfile -> build graph records. The file is parsed and checked once (every
// instruction and flag, directives, lint rules), then converted once per target
// platform. Stages are converted lazily from the target, so stages it does not
// need add nothing to the graph and their images are never resolved.
import { WIRE_VERSION, type AnyRecord, type ResultRecord } from '@pipekit/wire';
import { parseDockerfile, type Node } from '../parser/index.ts';
import { evalGlobalArgs, platformArgs } from './args.ts';
import { Conv, type ConvertOptions, type Shared } from './context.ts';
import { DockerfileError } from './errors.ts';
import { checkFlags } from './flags.ts';
import { convertStage } from './from.ts';
import { GraphBuilder } from './graph.ts';
import { Linter } from './lint.ts';
import { INSTRUCTION_FLAGS, INSTRUCTIONS, suggest } from './specs.ts';
import { splitStages, type Stage } from './stages.ts';
import type { StageState } from './state.ts';
import { unsupportedSyntax } from './syntax.ts';

export type { ConvertOptions } from './context.ts';
/** `stages`: indexes of the stages converted (for the first platform): what the target reaches. */
export type ConvertResult = { records: AnyRecord[]; warnings: string[]; stages: number[] };

/** Build args BuildKit knows without an ARG; never reported as unused. */
const BUILTIN_ARGS = /^(BUILDKIT_.*|(HTTP|HTTPS|FTP|NO|ALL)_PROXY|SOURCE_DATE_EPOCH|(BUILD|TARGET)(PLATFORM|OS|ARCH|VARIANT|OSVERSION))$/i;

function directiveLine(lines: string[], name: string): number {
  const re = new RegExp(`^\\s*#\\s*${name}\\s*=`, 'i');
  return lines.findIndex((l) => re.test(l)) + 1;
}

function locatedFail(opts: ConvertOptions, lines: string[], line: number, msg: string, hint?: string): never {
  throw new DockerfileError(opts.file, line, 1, line > 0 ? (lines[line - 1] ?? '') : '', msg, { hint });
}

/** Every instruction known and its flags valid, whichever stage it is in. */
function validate(conv: Conv, n: Node): void {
  const spec = INSTRUCTION_FLAGS[n.value];
  if (!spec) {
    const word = n.original.trim().split(/\s/, 1)[0] ?? n.value;
    const near = suggest(n.value, INSTRUCTIONS);
    conv.fail(n, `unknown instruction: ${word.toUpperCase()}`, { hint: near ? `did you mean ${near.toUpperCase()}?` : `known instructions: ${INSTRUCTIONS.map((i) => i.toUpperCase()).join(', ')}`, near: word });
  }
  checkFlags(n.value, n.flags, spec, conv.failer(n));
  if (n.value === 'onbuild' && n.sub) validate(conv, { ...n.sub, startLine: n.startLine, endLine: n.endLine });
}

export async function convertDockerfile(opts: ConvertOptions): Promise<ConvertResult> {
  const lines = opts.text.split(/\r?\n/);
  const parsed = parseDockerfile(opts.text, { file: opts.file });
  const why = unsupportedSyntax(parsed.directives.syntax);
  if (why) locatedFail(opts, lines, directiveLine(lines, 'syntax'), why, 'remove the line or use # syntax=docker/dockerfile:1');
  const check = opts.buildArgs.get('BUILDKIT_DOCKERFILE_CHECK') ?? parsed.directives.check;
  const lint = new Linter(check, (m) => locatedFail(opts, lines, directiveLine(lines, 'check'), m, 'write # check=skip=Rule1,Rule2;error=true'));
  const shared: Shared = {
    opts, lines, lint, graph: new GraphBuilder(), images: new Map(), locals: new Map(),
    escape: parsed.directives.escape, multiPlatform: opts.platforms.length > 1,
  };
  const children: Node[] = parsed.root.children;
  const probe = new Conv(shared, opts.platforms[0]);
  for (const n of children) validate(probe, n);
  lint.checkFile(children, parsed.warnings);
  const { globalArgs, stages } = splitStages(children, (n, m, hint) => probe.fail(n, m, { hint }));

  let target: Stage = stages[stages.length - 1];
  if (opts.target) {
    const t = stages.find((s) => s.name === opts.target?.toLowerCase());
    if (!t) {
      const names = stages.map((s) => s.name).filter(Boolean);
      const near = suggest(opts.target, names);
      const hint = near ? `did you mean ${near}?` : names.length ? `stages: ${names.join(', ')}` : 'no stage has a name (FROM <image> AS <name>)';
      throw new DockerfileError(opts.file, 0, 0, '', `target stage ${JSON.stringify(opts.target)} could not be found`, { hint });
    }
    target = t;
  }

  const results: ResultRecord[] = [];
  let converted: number[] = [];
  const used = new Set<string>();
  const declared = new Set<string>();
  for (const platform of opts.platforms) {
    const conv = new Conv(shared, platform);
    conv.stages = stages;
    evalGlobalArgs(conv, globalArgs, opts.buildPlatform);
    conv.globalArgs.set('TARGETSTAGE', target.name || 'default');
    const memo = new Map<number, Promise<StageState>>();
    // stages only refer to earlier ones, so this recursion always ends
    conv.stageState = (i) => {
      let p = memo.get(i);
      if (!p) {
        p = convertStage(conv, stages[i]);
        memo.set(i, p);
      }
      return p;
    };
    const st = await conv.stageState(target.index);
    if (results.length === 0) converted = [...memo.keys()].sort((a, b) => a - b);
    const config = structuredClone(st.config);
    if (opts.platformExplicit) {
      config.os = platform.os;
      config.architecture = platform.architecture;
      if (platform.variant && !(platform.architecture === 'arm64' && platform.variant === 'v8')) config.variant = platform.variant;
      else delete config.variant;
    }
    config.created = opts.created;
    results.push({ v: WIRE_VERSION, type: 'result', target: target.name, platform: st.platform, input: st.ref, config });
    for (const a of conv.usedArgs) used.add(a);
    for (const k of conv.globalArgs.keys()) declared.add(k);
    for (const [k] of platformArgs('TARGET', platform)) declared.add(k);
  }
  if (lint.asError && lint.warnings.length) {
    const w = lint.warnings[0];
    locatedFail(opts, lines, w.line, `lint violation found for rules: ${lint.rules().join(', ')}`, lint.format(opts.file).join('\n'));
  }
  const warnings = lint.format(opts.file);
  const unused = [...opts.buildArgs.keys()].filter((k) => !used.has(k) && !declared.has(k) && !BUILTIN_ARGS.test(k));
  if (unused.length) warnings.push(`one or more build-args [${unused.join(' ')}] were not consumed`);
  const records: AnyRecord[] = [
    { v: WIRE_VERSION, type: 'source', file: opts.file, data: opts.text },
    ...shared.graph.records(),
    ...results,
  ];
  return { records, warnings, stages: converted };
}


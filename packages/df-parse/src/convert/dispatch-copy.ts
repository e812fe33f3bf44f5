// COPY and ADD: one file op whose copy actions read from the build context, a
// stage or an image, into the current filesystem.
import path from 'node:path';
import type { ChownOpt, CopyAction, FileAction, Input, UserOpt } from '@pipekit/wire';
import type { Node } from '../parser/index.ts';
import type { Conv } from './context.ts';
import { flag, parseFlags } from './flags.ts';
import { commandText, type StepNamer } from './naming.ts';
import { findStage } from './stages.ts';
import { getEnv, type StageState } from './state.ts';

function chownOpt(conv: Conv, n: Node, spec: string, baseInput: number): ChownOpt {
  const [u, g] = spec.split(':', 2);
  const one = (s: string): UserOpt => {
    if (/^\d+$/.test(s)) return { id: Number(s), name: '', input: -1 };
    if (baseInput < 0) conv.fail(n, `--chown=${spec}: names need an /etc/passwd, and the stage is empty (use numeric ids)`);
    return { id: 0, name: s, input: baseInput };
  };
  if (!u) conv.fail(n, `invalid --chown=${spec}`);
  return { user: one(u), group: g !== undefined && g !== '' ? one(g) : null };
}

/** Dest relative to WORKDIR, keeping a trailing slash (it means "into this dir"). */
export function destPath(cwd: string, dest: string): string {
  const trailing = dest.endsWith('/') || dest === '.' || dest === '' || dest.endsWith('/.');
  let p = dest.startsWith('/') ? dest : path.posix.join(cwd, dest);
  p = path.posix.normalize(p);
  if (trailing && !p.endsWith('/')) p += '/';
  return p;
}

export async function dispatchCopy(conv: Conv, st: StageState, n: Node, namer: StepNamer, isAdd: boolean): Promise<void> {
  const allowed = isAdd ? ['chown', 'chmod', 'link', 'exclude', 'checksum', 'keep-git-dir', 'unpack'] : ['from', 'chown', 'chmod', 'link', 'parents', 'exclude'];
  const flags = parseFlags(n.flags, allowed, (m) => conv.fail(n, m));
  const cmd = isAdd ? 'ADD' : 'COPY';
  if (n.heredocs.length > 0) conv.fail(n, `${cmd} with heredocs is not supported yet by this frontend`);
  const env = (k: string) => getEnv(st.env, k);
  const words = n.next.map((x) => (n.json ? x.value : conv.expand(x.value, env, n)));
  if (words.length < 2) conv.fail(n, `${cmd} requires at least two arguments, but only one was provided. Destination could not be determined`);
  const srcs = words.slice(0, -1);
  const dest = destPath(st.cwd, words[words.length - 1]);
  if (srcs.length > 1 && !dest.endsWith('/')) {
    conv.fail(n, `When using ${cmd} with more than one source file, the destination must be a directory and end with a /`);
  }
  for (const s of srcs) if (/^(https?|git):\/\//.test(s) || s.startsWith('git@')) conv.fail(n, `${cmd} from a URL is not supported yet by this frontend: ${s}`);

  const from = flag(flags, 'from');
  let srcInput: Input;
  if (from !== undefined) {
    if (from.includes('$')) conv.fail(n, `--from=${from}: variables are not expanded here; use a named stage`);
    const stage = findStage(conv.stages, from, st.index);
    if (stage) {
      const ref = (await conv.stageState(stage.index)).ref;
      srcInput = ref ?? conv.graph.add({ inputs: [], platform: null, file: { actions: [{ input: -1, secondaryInput: -1, output: 0, mkdir: { path: '/', mode: 0o755, makeParents: true, owner: null, timestamp: -1 } }] } }, { name: '[internal] empty stage' });
    } else {
      const img = await conv.image(from, st.platform, n);
      srcInput = conv.graph.add({ inputs: [], platform: st.platform, source: { identifier: `docker-image://${img.pinned}`, attrs: {} } }, { name: `[internal] load ${img.pinned}`, stage: st.name });
    }
  } else srcInput = conv.context();

  const inputs: Input[] = st.ref ? [st.ref, srcInput] : [srcInput];
  const base = st.ref ? 0 : -1;
  const secondary = st.ref ? 1 : 0;
  const chown = flag(flags, 'chown');
  const owner = chown ? chownOpt(conv, n, conv.expand(chown, env, n), base) : null;
  const chmod = flag(flags, 'chmod');
  let mode = -1;
  let modeStr = '';
  if (chmod) {
    if (/^[0-7]+$/.test(chmod)) {
      mode = parseInt(chmod, 8);
      if (mode > 0o7777) conv.fail(n, `invalid --chmod=${chmod}: octal mode out of range`);
    } else modeStr = chmod;
  }
  const actions: FileAction[] = srcs.map((s, i) => {
    const copy: Partial<CopyAction> = {
      src: path.posix.join('/', s), dest, owner, mode, modeStr,
      followSymlink: true, dirCopyContents: true, createDestPath: true,
      allowWildcard: true, allowEmptyWildcard: true, attemptUnpack: isAdd,
      excludePatterns: flags.get('exclude') ?? [],
    };
    const input = i === 0 ? base : inputs.length + i - 1;
    return { input, secondaryInput: secondary, output: i === srcs.length - 1 ? 0 : -1, copy: copy as CopyAction };
  });
  const text = commandText(n);
  st.ref = conv.graph.add({ inputs, platform: null, file: { actions } }, { name: namer.next(text), stage: st.name, command: text, locations: conv.location(n) });
  st.config.history.push({ created: conv.opts.created, created_by: `${cmd} ${srcs.join(' ')} ${dest} # buildkit`, comment: 'buildkit.dockerfile.v0' });
}

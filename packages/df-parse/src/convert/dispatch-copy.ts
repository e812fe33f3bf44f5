// COPY and ADD: one file op whose copy actions read from the build context, a
// stage, an image, a named context, an inline heredoc document, a URL or a git
// repository, into the current filesystem (or, with --link, into scratch merged
// on top). Follows BuildKit's dispatchCopy, history string included.
import { Buffer } from 'node:buffer';
import type { ChownOpt, CopyAction, FileAction, Input } from '@pipekit/wire';
import { parseHeredoc, chompHeredocContent, type Node } from '../parser/index.ts';
import { ShellLex } from '../shell/index.ts';
import type { Conv } from './context.ts';
import { destPath, hasWildcard, parseChmod, srcPath } from './copy-opts.ts';
import { history, ownerOf } from './dispatch-meta.ts';
import { checkFlags, type FlagSpec } from './flags.ts';
import { commandOf, displayText, type StepNamer } from './naming.ts';
import { gitSource, httpFilename, httpSource, isHttpSource, parseGitRef } from './remote-source.ts';
import { fromSource } from './stage-ref.ts';
import { getEnv, type StageState } from './state.ts';

const COPY_FLAGS: FlagSpec = { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'list' };
const ADD_FLAGS: FlagSpec = { chown: 'string', chmod: 'string', link: 'bool', exclude: 'list', checksum: 'string', 'keep-git-dir': 'bool', unpack: 'bool' };

type Src = { input: Input; copy: Partial<CopyAction> };

export async function dispatchCopy(conv: Conv, st: StageState, n: Node, namer: StepNamer, isAdd: boolean): Promise<void> {
  const cmd = isAdd ? 'ADD' : 'COPY';
  const flags = checkFlags(n.value, n.flags, isAdd ? ADD_FLAGS : COPY_FLAGS, conv.failer(n));
  const env = (k: string) => getEnv(st.env, k);
  const x = (w: string) => conv.expand(w, env, n, st);
  const raw = n.next.map((w) => w.value);
  if (raw.length < 2) conv.fail(n, `${cmd} requires at least two arguments, but only one was provided. Destination could not be determined`, { hint: `write ${cmd} <src>... <dest>` });
  if (!n.json && parseHeredoc(raw[raw.length - 1])) conv.fail(n, `${cmd} cannot accept a heredoc as a destination`);
  const destRaw = n.json ? raw[raw.length - 1] : x(raw[raw.length - 1]);
  const dest = destPath(st.cwd, destRaw);
  const chown = flags.has('chown') ? x(flags.str('chown') ?? '') : '';
  const chmodRaw = flags.has('chmod') ? x(flags.str('chmod') ?? '') : '';
  let mode = -1;
  let modeStr = '';
  if (chmodRaw) {
    const m = parseChmod(chmodRaw);
    if (typeof m === 'string') conv.fail(n, m, { near: '--chmod' });
    ({ mode, modeStr } = m);
  }
  const excludes = flags.list('exclude').map(x);
  const checksum = flags.has('checksum') ? x(flags.str('checksum') ?? '') : '';
  const parents = flags.bool('parents');
  const unpack = flags.has('unpack') ? flags.bool('unpack') : undefined;
  const link = flags.bool('link') && !chmodRaw;

  // sources in order; heredoc markers become inline documents
  const docs = [...n.heredocs];
  const srcWords: { path?: string; doc?: (typeof docs)[number] }[] = [];
  for (const w of raw.slice(0, -1)) {
    if (!n.json && parseHeredoc(w)) {
      const doc = docs.shift();
      if (!doc) conv.fail(n, `heredoc ${w} has no body`, { near: w });
      srcWords.push({ doc });
    } else srcWords.push({ path: n.json ? w : x(w) });
  }
  const paths = srcWords.filter((s) => s.path !== undefined).map((s) => s.path as string);
  if (srcWords.length > 1 && !dest.endsWith('/')) {
    conv.fail(n, `When using ${cmd} with more than one source file, the destination must be a directory and end with a /`, { near: raw[raw.length - 1] });
  }
  if (checksum) {
    if (paths.length !== 1) conv.fail(n, 'checksum can\'t be specified for multiple sources', { near: '--checksum' });
    if (!isHttpSource(paths[0]) && !parseGitRef(paths[0])) conv.fail(n, 'checksum can\'t be specified for non-HTTP(S) sources', { near: '--checksum' });
    if (isHttpSource(paths[0]) && !/^sha(256|384|512):[0-9a-f]+$/.test(checksum)) conv.fail(n, `invalid checksum ${JSON.stringify(checksum)}: expected sha256:<hex>`, { near: '--checksum' });
  }

  const name = displayText(n, conv.lex, env);
  const stepName = namer.next(name);
  const owner: ChownOpt | null = chown ? ownerOf(chown, link || !st.ref ? -1 : 0) : null;
  const common = { owner, mode, modeStr, excludePatterns: excludes };
  const from = flags.str('from');
  const sources: Src[] = [];
  for (const s of srcWords) {
    if (s.doc) {
      const doc = s.doc;
      let data = doc.chomp ? chompHeredocContent(doc.content) : doc.content;
      if (doc.expand) {
        const lex = new ShellLex('\\', { skipProcessQuotes: true });
        try {
          data = lex.processWord(data, env);
        } catch (err) {
          conv.fail(n, `heredoc ${doc.name}: ${(err as Error).message}`, { cause: err });
        }
      }
      const file = conv.graph.add(
        { inputs: [], platform: st.platform, file: { actions: [{ input: -1, secondaryInput: -1, output: 0, mkfile: { path: `/${doc.name}`, mode: 0o644, data: Buffer.from(data).toString('base64'), owner: null, timestamp: conv.opts.epoch ?? -1 } }] } },
        { name: '[internal] preparing inline document' },
      );
      sources.push({ input: file, copy: { ...common, src: `/${doc.name}`, createDestPath: true } });
      continue;
    }
    const p = s.path as string;
    const git = parseGitRef(p);
    if (git && from === undefined) {
      if (!isAdd) conv.fail(n, 'source can\'t be a git ref for COPY', { hint: 'use ADD for git repositories', near: p });
      sources.push({ input: gitSource(conv.graph, git, flags.bool('keep-git-dir'), stepName), copy: { ...common, src: '/', dirCopyContents: true, createDestPath: true } });
    } else if (isHttpSource(p)) {
      if (!isAdd) conv.fail(n, 'source can\'t be a URL for COPY', { hint: 'use ADD for URLs', near: p });
      const f = httpFilename(p);
      sources.push({ input: httpSource(conv.graph, p, f, checksum, null, stepName), copy: { ...common, src: `/${f}`, createDestPath: true, attemptUnpack: unpack === true } });
    } else {
      let src = p;
      let include: string[] = [];
      let required: string[] = [];
      if (parents) {
        const pivot = src.indexOf('/./');
        const pattern = pivot < 0 ? src : src.slice(pivot + 3);
        src = pivot < 0 ? '/' : src.slice(0, pivot);
        const pat = srcPath(pattern).replace(/^\//, '');
        include = [pat];
        if (!hasWildcard(pat)) required = [pat];
      }
      const input = from !== undefined ? await fromSource(conv, st, n, from, '--from') : conv.context();
      sources.push({
        input,
        copy: {
          ...common, src: srcPath(src), followSymlink: true, dirCopyContents: true, createDestPath: true,
          allowWildcard: true, allowEmptyWildcard: true, attemptUnpack: unpack ?? isAdd, includePatterns: include, requiredPaths: required,
        },
      });
    }
  }

  // one file op: the base (unless --link) plus each source, actions chained
  const base = link ? null : st.ref;
  const inputs: Input[] = base ? [base] : [];
  const actions: FileAction[] = sources.map((s, i) => {
    let idx = inputs.findIndex((inp) => inp.digest === s.input.digest && inp.index === s.input.index);
    if (idx < 0) idx = inputs.push(s.input) - 1;
    return { input: i === 0 ? (base ? 0 : -1) : -1, secondaryInput: idx, output: -1, copy: { ...s.copy, dest } as CopyAction };
  });
  actions.forEach((a, i) => {
    if (i > 0) a.input = inputs.length + i - 1;
    if (i === actions.length - 1) a.output = 0;
  });
  const meta = { stage: st.name, command: commandOf(n), locations: conv.location(n) };
  const fileOp = conv.graph.add({ inputs, platform: link ? st.platform : null, file: { actions } }, { name: stepName, ...meta });
  if (link) {
    const layer = fileOp;
    st.ref = st.ref
      ? conv.graph.add({ inputs: [st.ref, layer], platform: null, merge: { inputs: [{ input: 0 }, { input: 1 }] } }, { name: namer.same(`LINK ${name}`), ...meta })
      : layer;
  } else st.ref = fileOp;

  const parts = [cmd];
  if (parents) parts.push('--parents');
  if (chown) parts.push(`--chown=${chown}`);
  if (chmodRaw) parts.push(`--chmod=${chmodRaw}`);
  parts.push(...paths, ...srcWords.filter((s) => s.doc).map((s) => `<<${s.doc?.name}`), destRaw);
  history(conv, st, `${parts.join(' ')} # buildkit`, true);
}

// `ADD git@host:repo.git#ref:subdir` / `git://` / `https://....git`: a git
// source. The ref is resolved to a commit with ls-remote (that commit is the
// cache key), fetched shallowly into the store, and `.git` is dropped unless
// git.keepgitdir is set. The subdir, if any, is what the copy reads.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { canonicalDigest, RemoteError, type SourceOp } from '@pipekit/wire';
import type { SolveContext, Vertex } from '../context.ts';
import type { Ref } from '../refs.ts';

type GitAttrs = { url: string; ref: string; subdir: string; keep: boolean };
const commits = new WeakMap<Vertex, Promise<string>>();

function git(args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new RemoteError(`git ${args[0]} failed: ${String(stderr).trim() || err.message}`, { cause: err }));
      else resolve(String(stdout));
    });
  });
}

function attrs(v: Vertex): GitAttrs {
  const src = v.rec.op.source as SourceOp;
  const hash = src.identifier.indexOf('#');
  const fragment = hash < 0 ? '' : src.identifier.slice(hash + 1);
  const colon = fragment.indexOf(':');
  const url = src.attrs['git.fullurl'] || `https://${src.identifier.slice('git://'.length, hash < 0 ? undefined : hash)}`;
  return { url, ref: colon < 0 ? fragment : fragment.slice(0, colon), subdir: colon < 0 ? '' : fragment.slice(colon + 1), keep: src.attrs['git.keepgitdir'] === 'true' };
}

async function resolveCommit(a: GitAttrs): Promise<string> {
  if (/^[0-9a-f]{40}$/.test(a.ref)) return a.ref;
  const out = await git(['ls-remote', a.url, ...(a.ref ? [a.ref, `refs/heads/${a.ref}`, `refs/tags/${a.ref}`] : ['HEAD'])]);
  const lines = out.split('\n').filter(Boolean).map((l) => l.split('\t'));
  // an annotated tag's peeled commit (^{}) wins over the tag object
  const pick = lines.find((l) => l[1].endsWith('^{}')) ?? lines[0];
  if (!pick) throw new RemoteError(`git: ${a.url} has no ref ${JSON.stringify(a.ref || 'HEAD')}`);
  return pick[0];
}

function commitOf(v: Vertex): Promise<string> {
  let p = commits.get(v);
  if (!p) {
    p = resolveCommit(attrs(v));
    commits.set(v, p);
  }
  return p;
}

export const gitSource = {
  async cacheKey(_ctx: SolveContext, v: Vertex): Promise<string> {
    const a = attrs(v);
    return canonicalDigest({ kind: 'git.v1', commit: await commitOf(v), subdir: a.subdir, keepGitDir: a.keep });
  },
  async run(ctx: SolveContext, v: Vertex): Promise<Ref[]> {
    const a = attrs(v);
    const commit = await commitOf(v);
    const dir = path.join(ctx.store.dir, 'git', `${createHash('sha256').update(a.url).digest('hex').slice(0, 16)}-${commit.slice(0, 16)}${a.keep ? '-git' : ''}`);
    if (!(await fs.stat(dir).then(() => true, () => false))) {
      const tmp = `${dir}.${process.pid}.tmp`;
      await fs.rm(tmp, { recursive: true, force: true });
      await fs.mkdir(tmp, { recursive: true });
      try {
        await git(['init', '-q'], tmp);
        await git(['fetch', '-q', '--depth', '1', a.url, a.ref && !/^[0-9a-f]{40}$/.test(a.ref) ? a.ref : commit], tmp).catch(() => git(['fetch', '-q', a.url], tmp));
        await git(['-c', 'advice.detachedHead=false', 'checkout', '-q', commit], tmp);
        if (!a.keep) await fs.rm(path.join(tmp, '.git'), { recursive: true, force: true });
        await fs.rename(tmp, dir);
      } catch (err) {
        await fs.rm(tmp, { recursive: true, force: true });
        throw err;
      }
    }
    const sub = a.subdir ? path.join(dir, path.posix.normalize(`/${a.subdir}`)) : dir;
    if (!(await fs.stat(sub).then((s) => s.isDirectory(), () => false))) throw new RemoteError(`git: ${a.url}@${commit.slice(0, 12)} has no directory ${JSON.stringify(a.subdir)}`);
    return [{ kind: 'dir', dir: sub, exclude: [] }];
  },
};

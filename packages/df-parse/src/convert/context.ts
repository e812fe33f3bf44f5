// Shared conversion context for one target platform: the parsed file, the graph
// being built (shared across platforms), argument scopes, base-image resolution
// (memoised), build contexts, lint warnings and located errors.
import type { ImageConfig, Input, Platform, SourceLocation } from '@pipekit/wire';
import { formatPlatform } from '@pipekit/wire';
import type { Node } from '../parser/index.ts';
import { ShellLex } from '../shell/index.ts';
import { DockerfileError } from './errors.ts';
import type { GraphBuilder } from './graph.ts';
import type { Linter } from './lint.ts';
import type { Stage } from './stages.ts';
import type { StageState } from './state.ts';
import { undefinedVarMessages } from './undefined-var.ts';

/** A base image pinned to a manifest: `identifier` is the source op's, `pinned` its display ref. */
export type ResolvedImage = { pinned: string; identifier: string; config: ImageConfig };
export type ImageResolver = (ref: string, platform: Platform) => Promise<ResolvedImage>;
/** `--build-context name=DIR|docker-image://REF|oci-layout://DIR[:tag]` */
export type NamedContext = { kind: 'local'; dir: string } | { kind: 'image'; ref: string };

export type ConvertOptions = {
  /** file name used in messages and the source record */
  file: string;
  text: string;
  contextDir: string;
  target?: string;
  buildArgs: Map<string, string>;
  /** one conversion (and one result) per platform */
  platforms: Platform[];
  /** --platform was given: the result config takes the target platform (else the base image's) */
  platformExplicit?: boolean;
  buildPlatform: Platform;
  /** ISO time for history entries (SOURCE_DATE_EPOCH or now) */
  created: string;
  /** SOURCE_DATE_EPOCH in seconds, if set: WORKDIR and inline files get it as mtime */
  epoch?: number;
  /** .dockerignore patterns of the main context */
  excludePatterns: string[];
  namedContexts?: Map<string, NamedContext>;
  resolveImage: ImageResolver;
};

/** What all platforms share: the graph, the resolver cache, the source text, warnings. */
export type Shared = {
  opts: ConvertOptions;
  lines: string[];
  graph: GraphBuilder;
  lint: Linter;
  images: Map<string, Promise<ResolvedImage>>;
  locals: Map<string, Input>;
  escape: string;
  multiPlatform: boolean;
};

export type FailOptions = { hint?: string; near?: string; cause?: unknown };

export class Conv {
  readonly shared: Shared;
  readonly opts: ConvertOptions;
  readonly platform: Platform;
  readonly lex: ShellLex;
  globalArgs = new Map<string, string | undefined>();
  stages: Stage[] = [];
  /** converts a stage on first use (set by the converter); `from` is where it was needed */
  stageState: (index: number) => Promise<StageState> = () => Promise.reject(new Error('no stages'));
  usedArgs = new Set<string>();

  constructor(shared: Shared, platform: Platform) {
    this.shared = shared;
    this.opts = shared.opts;
    this.platform = platform;
    this.lex = new ShellLex(shared.escape);
  }

  get graph(): GraphBuilder {
    return this.shared.graph;
  }

  fail(n: Pick<Node, 'startLine'> | undefined, msg: string, o: FailOptions = {}): never {
    const line = n?.startLine ?? 0;
    const src = line > 0 ? (this.shared.lines[line - 1] ?? '') : '';
    // the message names the instruction's column; the caret goes under the offending word
    const start = src.length - src.trimStart().length;
    const idx = o.near ? src.indexOf(o.near) : -1;
    const col = [...src.slice(0, start)].length + 1;
    const caret = idx < 0 ? col : [...src.slice(0, idx)].length + 1;
    throw new DockerfileError(this.opts.file, line, col, src, msg, { cause: o.cause, hint: o.hint, caretColumn: caret });
  }

  /** A fail function bound to one instruction, for helpers that do not know where they are. */
  failer(n: Node): (msg: string, hint?: string, near?: string) => never {
    return (msg, hint, near) => this.fail(n, msg, { hint, near });
  }

  location(n: Node): SourceLocation[] {
    if (n.startLine <= 0) return [];
    return [{ file: this.opts.file, startLine: n.startLine, startColumn: 1, endLine: n.endLine, endColumn: 1 }];
  }

  image(ref: string, platform: Platform, n: Node): Promise<ResolvedImage> {
    const key = `${ref}|${formatPlatform(platform)}`;
    let p = this.shared.images.get(key);
    if (!p) {
      p = this.opts.resolveImage(ref, platform);
      this.shared.images.set(key, p);
    }
    return p.catch((err: Error) => this.fail(n, `failed to resolve base image ${ref}: ${err.message}`, { cause: err }));
  }

  /** A local directory as a source op (the main build context, or a named one). */
  local(name: string, dir: string, exclude: string[]): Input {
    let inp = this.shared.locals.get(name);
    if (!inp) {
      const attrs: Record<string, string> = { 'local.dir': dir, 'local.sharedkeyhint': name };
      if (exclude.length) attrs['local.excludepatterns'] = JSON.stringify(exclude);
      inp = this.graph.add({ inputs: [], platform: null, source: { identifier: `local://${name}`, attrs } }, { name: `[internal] load build context${name === 'context' ? '' : ` ${name}`}` });
      this.shared.locals.set(name, inp);
    }
    return inp;
  }

  /** The main build context. */
  context(): Input {
    return this.local('context', this.opts.contextDir, this.opts.excludePatterns);
  }

  /** Expand $VARS in `word`, quotes removed; with the stage given, names it does not define are linted (UndefinedVar). */
  expand(word: string, env: (k: string) => string | undefined, n: Node, st?: StageState): string {
    try {
      if (!st) return this.lex.processWord(word, env);
      const r = this.lex.processWordWithMatches(word, env);
      for (const msg of undefinedVarMessages(r.unmatched, st)) this.shared.lint.warn('UndefinedVar', msg, n.startLine);
      return r.result;
    } catch (err) {
      return this.fail(n, (err as Error).message, { cause: err });
    }
  }

  /** Expand and split into words (EXPOSE, shell-like lists); linted as expand() is. */
  expandWords(word: string, env: (k: string) => string | undefined, n: Node, st?: StageState): string[] {
    if (st) this.expand(word, env, n, st);
    try {
      return this.lex.processWords(word, env);
    } catch (err) {
      return this.fail(n, (err as Error).message, { cause: err });
    }
  }
}

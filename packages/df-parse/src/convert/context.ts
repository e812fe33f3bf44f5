// Shared conversion context: the parsed file, the graph being built, argument
// scopes, base-image resolution (memoised) and located errors.
import path from 'node:path';
import { resolveImage, type ResolvedBaseImage, type Store } from '@pipekit/cas-store';
import { formatPlatform, type Input, type Platform, type SourceLocation } from '@pipekit/wire';
import type { Node } from '../parser/index.ts';
import { ShellLex } from '../shell/index.ts';
import { DockerfileError } from './errors.ts';
import { GraphBuilder } from './graph.ts';
import type { Stage } from './stages.ts';
import type { StageState } from './state.ts';

export type ConvertOptions = {
  file: string;
  text: string;
  contextDir: string;
  target?: string;
  buildArgs: Map<string, string>;
  platform: Platform;
  buildPlatform: Platform;
  store: Store;
  insecureRegistries?: string[];
  /** ISO time for history entries (SOURCE_DATE_EPOCH or now) */
  created: string;
  excludePatterns: string[];
};

export class Conv {
  readonly opts: ConvertOptions;
  readonly lines: string[];
  readonly graph = new GraphBuilder();
  lex: ShellLex;
  globalArgs = new Map<string, string | undefined>();
  stages: Stage[] = [];
  /** converts a stage on first use (set by the converter) */
  stageState: (index: number) => Promise<StageState> = () => Promise.reject(new Error('no stages'));
  usedArgs = new Set<string>();
  private images = new Map<string, Promise<ResolvedBaseImage>>();
  private local?: Input;

  constructor(opts: ConvertOptions, escape: string) {
    this.opts = opts;
    this.lines = opts.text.split(/\r?\n/);
    this.lex = new ShellLex(escape);
  }

  fail(n: Pick<Node, 'startLine'> | undefined, msg: string, cause?: unknown): never {
    const line = n?.startLine ?? 0;
    const src = line > 0 ? (this.lines[line - 1] ?? '') : '';
    const col = src.length - src.trimStart().length + 1;
    throw new DockerfileError(this.opts.file, line, col, src, msg, { cause });
  }

  location(n: Node): SourceLocation[] {
    return [{ file: this.opts.file, startLine: n.startLine, startColumn: 1, endLine: n.endLine, endColumn: 1 }];
  }

  image(ref: string, platform: Platform, n: Node): Promise<ResolvedBaseImage> {
    const key = `${ref}|${formatPlatform(platform)}`;
    let p = this.images.get(key);
    if (!p) {
      p = resolveImage(this.opts.store, ref, platform, { insecureRegistries: this.opts.insecureRegistries }).catch((err: Error) =>
        this.fail(n, `failed to resolve base image ${ref}: ${err.message}`, err),
      );
      this.images.set(key, p);
    }
    return p;
  }

  /** The build context as a local source (one per build). */
  context(): Input {
    if (!this.local) {
      const attrs: Record<string, string> = { 'local.dir': path.resolve(this.opts.contextDir), 'local.sharedkeyhint': 'context' };
      if (this.opts.excludePatterns.length) attrs['local.excludepatterns'] = JSON.stringify(this.opts.excludePatterns);
      this.local = this.graph.add({ inputs: [], platform: null, source: { identifier: 'local://context', attrs } }, { name: '[internal] load build context' });
    }
    return this.local;
  }

  /** Expand $VARS in `word` with a stage's env (or the global args). */
  expand(word: string, env: (k: string) => string | undefined, n: Node): string {
    try {
      return this.lex.processWord(word, env);
    } catch (err) {
      return this.fail(n, (err as Error).message, err);
    }
  }
}

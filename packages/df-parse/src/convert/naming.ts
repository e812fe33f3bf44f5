// Progress names as BuildKit builds them (prefixCommand): `[stage i/n] CMD args`,
// with the platform first in multi-platform builds and `ONBUILD ` before
// triggered steps. n counts the steps that make vertices: FROM of an image,
// ADD, COPY, RUN, WORKDIR. The text is the instruction with variables expanded.
import { formatPlatform, type Platform } from '@pipekit/wire';
import type { Node } from '../parser/index.ts';
import type { ShellLex } from '../shell/index.ts';

const COUNTED = new Set(['add', 'copy', 'run', 'workdir']);

export function countsAsStep(n: Node): boolean {
  return COUNTED.has(n.value);
}

export class StepNamer {
  private total: number;
  private i = 0;
  private label: string;
  constructor(total: number, stageLabel: string, platform: Platform | null) {
    this.total = total;
    this.label = (platform ? `${formatPlatform(platform)} ` : '') + (stageLabel ? `${stageLabel} ` : '');
  }

  next(text: string): string {
    this.i++;
    if (this.total === 0) return text;
    const width = String(this.total).length;
    return `[${this.label}${String(this.i).padStart(width)}/${this.total}] ${text}`;
  }

  /** The same number again (COPY --link names its copy and its merge alike). */
  same(text: string): string {
    this.i--;
    return this.next(text);
  }
}

/** The instruction as written, trimmed (the `com.docker.dockerfile.v1.command` description). */
export function commandOf(n: Node): string {
  return n.original.trim();
}

/** Keyword upper-cased, variables expanded (BuildKit's uppercaseCmd(processCmdEnv(...))). */
export function displayText(n: Node, lex: ShellLex, env: (k: string) => string | undefined): string {
  const orig = commandOf(n);
  let text = orig;
  try {
    text = lex.processWord(orig, env);
  } catch {
    // a command that does not expand is shown as written
  }
  const sp = text.indexOf(' ');
  return sp < 0 ? text.toUpperCase() : `${text.slice(0, sp).toUpperCase()}${text.slice(sp)}`;
}

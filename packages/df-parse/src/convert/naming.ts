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

/** `->arm64` when the stage's TARGET* args name another platform than it runs on (cross builds). */
function targetSuffix(base: Platform, env: string[]): string {
  const get = (k: string) => env.find((e) => e.startsWith(`${k}=`))?.slice(k.length + 1);
  const tp = get('TARGETPLATFORM');
  let os = get('TARGETOS');
  let arch = get('TARGETARCH');
  let variant = get('TARGETVARIANT') ?? '';
  if (tp) [os, arch, variant = ''] = tp.split('/');
  if (os === undefined && arch === undefined) return '';
  os ||= base.os;
  arch ||= base.architecture;
  if (os === base.os && arch !== base.architecture) return `->${arch}${variant ? `/${variant}` : ''}`;
  if (os !== base.os) return `->${[os, arch, variant].filter(Boolean).join('/')}`;
  return '';
}

export class StepNamer {
  private total: number;
  private i = 0;
  private stage: string;
  private platform: Platform | null;
  private env: () => string[];
  /** `platform` only in multi-platform builds; `env` is the stage env at naming time */
  constructor(total: number, stageLabel: string, platform: Platform | null, env: () => string[] = () => []) {
    this.total = total;
    this.stage = stageLabel ? `${stageLabel} ` : '';
    this.platform = platform;
    this.env = env;
  }

  next(text: string): string {
    this.i++;
    if (this.total === 0) return text;
    const width = String(this.total).length;
    const p = this.platform ? `${formatPlatform(this.platform)}${targetSuffix(this.platform, this.env())} ` : '';
    return `[${p}${this.stage}${String(this.i).padStart(width)}/${this.total}] ${text}`;
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

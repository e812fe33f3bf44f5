// BuildKit's Dockerfile checks (`# check=skip=A,B|all;error=true`): a subset of
// its lint rules with its messages. Warnings go to stderr; with error=true any
// warning fails the conversion, as `docker build --check` does.
import type { Node } from '../parser/index.ts';

export type LintWarning = { rule: string; message: string; line: number };

/** Rules that look at the whole file. */
export class Linter {
  readonly warnings: LintWarning[] = [];
  private skip = new Set<string>();
  private skipAll = false;
  readonly asError: boolean = false;
  private seen = new Set<string>();

  /** `check` is the directive value (or BUILDKIT_DOCKERFILE_CHECK); returns an error message for a bad one. */
  constructor(check?: string, onBad?: (msg: string) => never) {
    for (const part of (check ?? '').split(';')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
      const value = eq < 0 ? '' : part.slice(eq + 1).trim();
      if (key === 'skip') {
        for (const r of value.split(',').map((s) => s.trim()).filter(Boolean)) {
          if (r.toLowerCase() === 'all') this.skipAll = true;
          else this.skip.add(r.toLowerCase());
        }
      } else if (key === 'error') {
        if (!/^(true|false)$/i.test(value)) onBad?.(`invalid check directive: error=${value}: expected true or false`);
        this.asError = value.toLowerCase() === 'true';
      } else if (key !== 'experimental') onBad?.(`invalid check directive: unknown key ${JSON.stringify(key)} (expected skip, error)`);
    }
  }

  warn(rule: string, message: string, line: number): void {
    if (this.skipAll || this.skip.has(rule.toLowerCase())) return;
    const key = `${rule}\0${message}\0${line}`;
    if (this.seen.has(key)) return; // one warning per place, whatever the platform count
    this.seen.add(key);
    this.warnings.push({ rule, message, line });
  }

  /** The checks that need only the parsed instructions. */
  checkFile(children: Node[], parserWarnings: { message: string; line: number }[]): void {
    for (const w of parserWarnings) this.warn('NoEmptyContinuation', 'Empty continuation line', w.line);
    const keyword = (n: Node) => n.original.trimStart().split(/\s/, 1)[0] ?? '';
    const upper = children.filter((n) => keyword(n) === keyword(n).toUpperCase()).length;
    const lower = children.filter((n) => keyword(n) === keyword(n).toLowerCase()).length;
    const majority = upper >= lower ? 'uppercase' : 'lowercase';
    for (const n of children) {
      const k = keyword(n);
      const ok = majority === 'uppercase' ? k === k.toUpperCase() : k === k.toLowerCase();
      if (!ok) this.warn('ConsistentInstructionCasing', `Command '${k}' should match the case of the command majority (${majority})`, n.startLine);
    }
    const seen = new Map<string, Node>();
    let stageHasWorkdir = false;
    for (const n of children) {
      if (n.value === 'from') {
        seen.clear();
        stageHasWorkdir = false;
        this.checkFrom(n, keyword(n));
        continue;
      }
      if (['cmd', 'entrypoint', 'healthcheck'].includes(n.value)) {
        const prev = seen.get(n.value);
        if (prev) {
          const up = n.value.toUpperCase();
          this.warn('MultipleInstructionsDisallowed', `Multiple ${up} instructions should not be used in the same stage because only the last one will be used`, prev.startLine);
        }
        seen.set(n.value, n);
      }
      if ((n.value === 'cmd' || n.value === 'entrypoint') && !n.json && n.next.length > 0) {
        this.warn('JSONArgsRecommended', `JSON arguments recommended for ${n.value.toUpperCase()} to prevent unintended behavior related to OS signals`, n.startLine);
      }
      if (n.value === 'maintainer') this.warn('MaintainerDeprecated', 'Maintainer instruction is deprecated in favor of using label', n.startLine);
      if ((n.value === 'env' || n.value === 'label') && n.next.length >= 3 && n.next[2].value === '') {
        const up = n.value.toUpperCase();
        this.warn('LegacyKeyValueFormat', `"${up} key=value" should be used instead of legacy "${up} key value" format`, n.startLine);
      }
      if (n.value === 'workdir') {
        const p = n.next[0]?.value ?? '';
        if (!stageHasWorkdir && !p.startsWith('/') && !p.startsWith('$')) {
          this.warn('WorkdirRelativePath', `Relative workdir ${JSON.stringify(p)} can have unexpected results if the base image changes`, n.startLine);
        }
        stageHasWorkdir = true;
      }
      if (n.value === 'arg' || n.value === 'env') this.checkSecrets(n);
    }
  }

  private checkFrom(n: Node, fromWord: string): void {
    const words = n.next.map((x) => x.value);
    if (words.length === 3) {
      const as = words[1];
      const fromUpper = fromWord === fromWord.toUpperCase();
      const asUpper = as === as.toUpperCase();
      if (fromUpper !== asUpper) this.warn('FromAsCasing', `'${as}' and '${fromWord}' keywords' casing do not match`, n.startLine);
      const name = words[2];
      if (name !== name.toLowerCase()) this.warn('StageNameCasing', `Stage name '${name}' should be lowercase`, n.startLine);
      if (['scratch', 'context'].includes(name.toLowerCase())) {
        this.warn('ReservedStageName', `Stage name should not use the same name as reserved stage ${JSON.stringify(name.toLowerCase())}`, n.startLine);
      }
    }
    for (const f of n.flags) {
      if (!f.startsWith('--platform=')) continue;
      const v = f.slice('--platform='.length);
      if (v === '$TARGETPLATFORM' || v === '${TARGETPLATFORM}') {
        this.warn('RedundantTargetPlatform', 'Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior', n.startLine);
      } else if (!v.includes('$')) {
        this.warn('FromPlatformFlagConstDisallowed', `FROM --platform flag should not use constant value ${JSON.stringify(v)}`, n.startLine);
      }
    }
  }

  private checkSecrets(n: Node): void {
    const re = /(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)/i;
    const allow = /public|file|multi|^(?:path|tag)$/i;
    const names = n.value === 'arg' ? n.next.map((w) => w.value.split('=')[0]) : n.next.filter((_, i) => i % 3 === 0).map((w) => w.value);
    for (const name of names) {
      if (re.test(name) && !allow.test(name)) {
        this.warn('SecretsUsedInArgOrEnv', `Do not use ARG or ENV instructions for sensitive data (${n.value.toUpperCase()} ${JSON.stringify(name)})`, n.startLine);
      }
    }
  }

  format(file: string): string[] {
    return this.warnings.map((w) => `${file}:${w.line}: ${w.rule}: ${w.message}`);
  }

  /** Rule names that fired, for `error=true`. */
  rules(): string[] {
    return [...new Set(this.warnings.map((w) => w.rule))];
  }
}

// .dockerignore / --exclude / --parents patterns with moby/patternmatcher
// semantics (not gitignore's): `*` and `?` stay within one path segment, `**`
// crosses any number, a pattern also matches everything below a matching
// directory, `!` re-includes, and the last matching pattern wins.

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';
type Pattern = { text: string; exclusion: boolean; type: MatchType; re?: RegExp; /** a path taken as it is, not as a pattern */ literal?: true };

const SPECIAL = new Set(['.', '+', '(', ')', '|', '{', '}', '$', '^']);

function compile(text: string): Pattern {
  const exclusion = text.startsWith('!');
  const cleaned = exclusion ? text.slice(1) : text;
  let re = '^';
  let type: MatchType = 'exact';
  const chars = [...cleaned];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') i++; // `**/` is `**`
        if (i + 1 >= chars.length) {
          // `**` at the end matches everything below
          if (type === 'exact') type = 'prefix';
          else {
            re += '.*';
            type = 'regexp';
          }
        } else {
          re += '(.*/)?';
          type = 'regexp';
        }
        if (i <= 2 && re === '^(.*/)?' && chars[0] === '*') type = 'suffix';
      } else {
        re += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      type = 'regexp';
    } else if (SPECIAL.has(ch)) re += `\\${ch}`;
    else if (ch === '\\') {
      if (i + 1 < chars.length) re += `\\${chars[++i]}`;
      else re += '\\\\';
    } else if (ch === '[' || ch === ']') {
      re += ch;
      type = 'regexp';
    } else re += ch;
  }
  const p: Pattern = { text: cleaned, exclusion, type };
  if (type === 'regexp' || type === 'suffix') {
    try {
      p.re = new RegExp(`${re}$`, 's');
    } catch {
      p.re = /^$^/; // a malformed class matches nothing (Go reports ErrBadPattern)
    }
  }
  return p;
}

function matchOne(p: Pattern, file: string): boolean {
  switch (p.type) {
    case 'exact':
      return file === p.text;
    case 'prefix':
      return file.startsWith(p.text.slice(0, -2));
    case 'suffix': {
      const suffix = p.text.slice(2);
      if (suffix.includes('*') || suffix.includes('?') || suffix.includes('[')) return (p.re as RegExp).test(file);
      if (file.endsWith(suffix)) return true;
      return suffix.startsWith('/') && file === suffix.slice(1);
    }
    default:
      return (p.re as RegExp).test(file);
  }
}

export class PatternMatcher {
  private patterns: Pattern[];
  readonly hasExclusions: boolean;
  private readonly literals: string[];

  /** `literals`: paths left out as they are (no pattern syntax), after the patterns, so no `!` brings them back. */
  constructor(patterns: readonly string[], literals: readonly string[] = []) {
    this.patterns = patterns
      .map((t) => t.trim())
      .filter((t) => t !== '' && t !== '!')
      .map((t) => {
        const neg = t.startsWith('!');
        let body = neg ? t.slice(1) : t;
        body = body.split('/').filter((s) => s !== '' && s !== '.').join('/') || '.';
        return compile(neg ? `!${body}` : body);
      });
    for (const l of literals) this.patterns.push({ text: l.split('/').filter((s) => s !== '' && s !== '.').join('/'), exclusion: false, type: 'exact', literal: true });
    this.hasExclusions = this.patterns.some((p) => p.exclusion);
    this.literals = this.patterns.flatMap((p) => (p.literal ? [p.text] : []));
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** The patterns as matched, one per line: equal texts match the same paths. */
  get text(): string {
    // a literal path is marked: as a pattern, the same text may match other paths
    return this.patterns.map((p) => (p.literal ? `\0${p.text}` : p.exclusion ? `!${p.text}` : p.text)).join('\n');
  }

  /**
   * Entries left out with everything below them, when nothing is re-included:
   * literal paths (`node_modules`, `build/out`) and literal names at any depth
   * (`**\/.git`). Other patterns are not listed (the list may be short, never wrong).
   */
  wholeDirs(): { paths: string[]; names: string[] } {
    const out = { paths: [] as string[], names: [] as string[] };
    if (this.hasExclusions) return out;
    const literal = (s: string) => s !== '' && s !== '.' && !/[*?[\]\\]/.test(s);
    for (const p of this.patterns) {
      if (p.type === 'exact' && (p.literal || literal(p.text))) out.paths.push(p.text);
      else if (p.type === 'suffix' && p.text.startsWith('**/') && !p.text.slice(3).includes('/') && literal(p.text.slice(3))) out.names.push(p.text.slice(3));
    }
    return out;
  }

  /** Whether `file` is a literal path or below one: left out with everything below it, whatever a `!` re-includes. */
  prunes(file: string): boolean {
    // asked of every entry a walk meets: nothing to do without literal paths
    if (!this.literals.length) return false;
    const f = file.split('/').filter((s) => s !== '' && s !== '.').join('/');
    return this.literals.some((l) => f === l || f.startsWith(`${l}/`));
  }

  /** Whether `file` (relative, `/`-separated) or one of its parent dirs is matched, last pattern winning. */
  matches(file: string): boolean {
    const parts = file.split('/').filter((s) => s !== '' && s !== '.');
    const f = parts.join('/');
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      let m = matchOne(p, f);
      for (let i = 1; !m && i < parts.length; i++) m = matchOne(p, parts.slice(0, i).join('/'));
      if (m) matched = !p.exclusion;
    }
    return matched;
  }
}

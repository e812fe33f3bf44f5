// .dockerignore / --exclude / --parents patterns with moby/patternmatcher
// semantics (not gitignore's): `*` and `?` stay within one path segment, `**`
// crosses any number, a pattern also matches everything below a matching
// directory, `!` re-includes, and the last matching pattern wins.

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';
type Pattern = { text: string; exclusion: boolean; type: MatchType; re?: RegExp };

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

  constructor(patterns: readonly string[]) {
    this.patterns = patterns
      .map((t) => t.trim())
      .filter((t) => t !== '' && t !== '!')
      .map((t) => {
        const neg = t.startsWith('!');
        let body = neg ? t.slice(1) : t;
        body = body.split('/').filter((s) => s !== '' && s !== '.').join('/') || '.';
        return compile(neg ? `!${body}` : body);
      });
    this.hasExclusions = this.patterns.some((p) => p.exclusion);
  }

  get empty(): boolean {
    return this.patterns.length === 0;
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

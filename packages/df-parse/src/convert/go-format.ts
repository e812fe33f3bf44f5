// The few Go fmt renderings BuildKit puts into image history: `%q` of a string
// slice (`["a" "b"]`), `%v` of one (`[a b]`), time.Duration's String(), and `%q`
// of an int (a quoted rune). History strings must match byte for byte.
import { goQuote } from '../parser/index.ts';

/** fmt %q of []string */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map((s) => goQuote(s)).join(' ')}]`;
}

/** fmt %v of []string */
export function goList(list: readonly string[]): string {
  return `[${list.join(' ')}]`;
}

const SHORT: Record<number, string> = { 7: 'a', 8: 'b', 12: 'f', 10: 'n', 13: 'r', 9: 't', 11: 'v' };

/** fmt %q of an int: strconv.QuoteRune */
export function goQuoteRune(n: number): string {
  if (n === 0x27) return "'\\''";
  if (n === 0x5c) return "'\\\\'";
  if (SHORT[n]) return `'\\${SHORT[n]}'`;
  if (n < 0x20 || n === 0x7f) return `'\\x${n.toString(16).padStart(2, '0')}'`;
  if (n < 0x7f) return `'${String.fromCharCode(n)}'`;
  // beyond ASCII, reuse the string quoting rules (printable runes stay as they are)
  const q = goQuote(String.fromCodePoint(n));
  return `'${q.slice(1, -1)}'`;
}

function frac(v: number, div: number): string {
  const whole = Math.floor(v / div);
  const digits = String(div).length - 1;
  const rest = String(v - whole * div).padStart(digits, '0').replace(/0+$/, '');
  return rest ? `${whole}.${rest}` : String(whole);
}

/** time.Duration(ns).String() */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let u = Math.abs(ns);
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${frac(u, 1e3)}µs`;
  if (u < 1e9) return `${sign}${frac(u, 1e6)}ms`;
  const h = Math.floor(u / 3600e9);
  u -= h * 3600e9;
  const m = Math.floor(u / 60e9);
  u -= m * 60e9;
  const s = `${frac(u, 1e9)}s`;
  return sign + (h > 0 ? `${h}h${m}m${s}` : m > 0 ? `${m}m${s}` : s);
}

/** time.ParseDuration for the units HEALTHCHECK flags use; undefined when invalid. */
export function parseGoDuration(v: string): number | undefined {
  const units: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  if (v === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let used = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v))) {
    total += Number(m[1]) * units[m[2]];
    used = re.lastIndex;
  }
  if (v === '' || used !== v.length) return undefined;
  return Math.round(total);
}

// /proc/self/mountinfo, parsed: each mount's point and filesystem type, in the
// kernel's order (a later mount on the same point hides an earlier one).
// Fields: id parent major:minor root point options [optional...] - type source super-options.

export type MountEntry = { point: string; type: string };

/** Octal escapes (`\040` for a space) undone, as the kernel writes points. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    // optional fields start at the 7th; the separator ends them
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length <= sep + 1) continue;
    out.push({ point: unescape(f[4]), type: f[sep + 1] });
  }
  return out;
}

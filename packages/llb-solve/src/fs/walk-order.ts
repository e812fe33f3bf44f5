// The order in which a tree walk visits paths, as layer packing and the
// content checksum both walk: depth first, each dir's names in code-unit order.

/** Negative when `a` comes before `b` in a walk of their tree (paths relative to its root, '' for the root). */
export function walkOrder(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  return pa.length - pb.length;
}

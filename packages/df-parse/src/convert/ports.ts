// EXPOSE port specs the way docker's nat.ParsePortSpecs reads them: PORT,
// PORT/proto, ranges (8000-8002), and the ip:host:container forms (linted).
import type { Node } from '../parser/index.ts';
import type { Conv } from './context.ts';

export function parsePorts(conv: Conv, n: Node, words: string[]): string[] {
  const out: string[] = [];
  for (const raw of words) {
    let spec = raw;
    const slash = spec.lastIndexOf('/');
    let proto = 'tcp';
    if (slash >= 0) {
      proto = spec.slice(slash + 1);
      spec = spec.slice(0, slash);
      if (proto !== proto.toLowerCase()) conv.shared.lint.warn('ExposeProtoCasing', `Defined protocol '${raw}' in EXPOSE instruction should be lowercase`, n.startLine);
      proto = proto.toLowerCase();
    }
    if (spec.includes(':')) {
      conv.shared.lint.warn('ExposeInvalidFormat', `EXPOSE instruction should not define an IP address or host-port mapping, found '${raw}'`, n.startLine);
      spec = spec.slice(spec.lastIndexOf(':') + 1);
    }
    if (!['tcp', 'udp', 'sctp'].includes(proto)) conv.fail(n, `invalid proto: ${proto}`, { hint: 'EXPOSE takes PORT[/tcp|udp|sctp]', near: raw });
    const m = /^(\d+)(?:-(\d+))?$/.exec(spec);
    if (!m) conv.fail(n, `invalid containerPort: ${spec}`, { hint: 'EXPOSE takes PORT, PORT/proto or START-END', near: raw });
    const a = Number(m[1]);
    const b = Number(m[2] ?? m[1]);
    if (a > 65535 || b > 65535 || b < a) conv.fail(n, `invalid port range: ${spec}`, { near: raw });
    for (let p = a; p <= b; p++) out.push(`${p}/${proto}`);
  }
  return out;
}

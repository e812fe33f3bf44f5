// Users and groups as the image defines them: names are looked up in the
// rootfs's /etc/passwd and /etc/group (never the host's).
import { promises as fs } from 'node:fs';
import { BuildError } from '@pipekit/wire';
import { resolveInRoot } from './resolve.ts';
import type { LayeredRoot } from './layered.ts';

/** A mounted rootfs (host path) or a layer chain read without mounting it. */
export type RootFs = string | LayeredRoot;

export type Ids = { uid: number; gid: number; additionalGids: number[]; home: string };

async function readTable(root: RootFs, file: string): Promise<string[][]> {
  const text = typeof root === 'string'
    ? await fs.readFile(await resolveInRoot(root, file), 'utf8').catch(() => '')
    : root.readText(file) ?? '';
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

const isNum = (s: string) => /^\d+$/.test(s);

export async function lookupUid(root: RootFs, name: string): Promise<number> {
  if (isNum(name)) return Number(name);
  const row = (await readTable(root, '/etc/passwd')).find((r) => r[0] === name);
  if (!row) throw new BuildError(`unable to find user ${name}: no matching entries in passwd file`);
  return Number(row[2]);
}

export async function lookupGid(root: RootFs, name: string): Promise<number> {
  if (isNum(name)) return Number(name);
  const row = (await readTable(root, '/etc/group')).find((r) => r[0] === name);
  if (!row) throw new BuildError(`unable to find group ${name}: no matching entries in group file`);
  return Number(row[2]);
}

/** Resolve a USER string (`name`, `uid`, `name:group`, `uid:gid`) against the rootfs. */
export async function resolveUser(root: RootFs, spec: string): Promise<Ids> {
  if (spec === '') spec = 'root';
  const [u, g] = spec.split(':', 2);
  const passwd = await readTable(root, '/etc/passwd');
  const row = passwd.find((r) => (isNum(u) ? r[2] === u : r[0] === u));
  // root needs no passwd entry (scratch images have none)
  if (!row && u === 'root' && g === undefined) return { uid: 0, gid: 0, additionalGids: [], home: '/root' };
  if (!row && !isNum(u)) throw new BuildError(`unable to find user ${u}: no matching entries in passwd file`);
  const uid = isNum(u) ? Number(u) : Number(row?.[2]);
  let gid = row ? Number(row[3]) : 0;
  if (g !== undefined) gid = await lookupGid(root, g);
  const additionalGids: number[] = [];
  if (g === undefined && row) {
    for (const grp of await readTable(root, '/etc/group')) {
      const members = (grp[3] ?? '').split(',');
      if (members.includes(row[0]) && Number(grp[2]) !== gid) additionalGids.push(Number(grp[2]));
    }
  }
  return { uid, gid, additionalGids, home: row?.[5] || '/' };
}

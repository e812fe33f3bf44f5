// LLB op types, mirroring BuildKit's ops.proto with string enums. Every field is
// always present (zero values kept): `normalizeOp` fills defaults and rejects
// unknown fields, so an op has exactly one canonical encoding and one digest.
import { sha256Hex } from './canonical.ts';
import { WireFormatError } from './errors.ts';
import { shapeOf, type Shape } from './shape.ts';

export type Input = { digest: string; index: number };
export type Platform = { os: string; architecture: string; variant: string };

export type SourceOp = { identifier: string; attrs: Record<string, string> };

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';
export type SecretOpt = { id: string; uid: number; gid: number; mode: number; optional: boolean };
export type Mount = {
  /** index into op.inputs; -1 = scratch */
  input: number;
  /** sub-path of the input that is mounted */
  selector: string;
  dest: string;
  /** output index this mount produces; -1 = none */
  output: number;
  readonly: boolean;
  type: MountType;
  cache: { id: string; sharing: CacheSharing } | null;
  tmpfs: { size: number } | null;
  secret: SecretOpt | null;
  ssh: SecretOpt | null;
};
export type ExecOp = {
  meta: { args: string[]; env: string[]; cwd: string; user: string; hostname: string; validExitCodes: number[] };
  mounts: Mount[];
  network: 'sandbox' | 'host' | 'none';
  security: 'sandbox' | 'insecure';
  secretEnv: { id: string; name: string; optional: boolean }[];
};

/** Owner by numeric id (name '') or by name looked up in /etc/passwd of op.inputs[input]. */
export type UserOpt = { id: number; name: string; input: number };
export type ChownOpt = { user: UserOpt | null; group: UserOpt | null };
export type CopyAction = {
  src: string;
  dest: string;
  owner: ChownOpt | null;
  /** -1 keeps the source mode */
  mode: number;
  modeStr: string;
  followSymlink: boolean;
  dirCopyContents: boolean;
  attemptUnpack: boolean;
  createDestPath: boolean;
  allowWildcard: boolean;
  allowEmptyWildcard: boolean;
  /** unix seconds; -1 keeps the source mtime */
  timestamp: number;
  includePatterns: string[];
  excludePatterns: string[];
  requiredPaths: string[];
  alwaysReplaceExistingDestPaths: boolean;
};
/** A copy of the whole of a source directory into `dest` (made with its parents): every other field at its default. */
export function wholeDirCopy(dest: string): CopyAction {
  return {
    src: '/', dest, owner: null, mode: -1, modeStr: '', followSymlink: true, dirCopyContents: true, attemptUnpack: false, createDestPath: true,
    allowWildcard: false, allowEmptyWildcard: false, timestamp: -1, includePatterns: [], excludePatterns: [], requiredPaths: [], alwaysReplaceExistingDestPaths: false,
  };
}

export type MkdirAction = { path: string; mode: number; makeParents: boolean; owner: ChownOpt | null; timestamp: number };
/** data is base64 */
export type MkfileAction = { path: string; mode: number; data: string; owner: ChownOpt | null; timestamp: number };
export type RmAction = { path: string; allowNotFound: boolean; allowWildcard: boolean };
export type SymlinkAction = { oldpath: string; newpath: string; owner: ChownOpt | null; timestamp: number };
export type FileAction = {
  /** the tree the action changes: < inputs.length = op input; >= = output of action (n - inputs.length); -1 = scratch */
  input: number;
  /** the tree a copy reads from (same numbering); -1 otherwise */
  secondaryInput: number;
  /** 0 on the last action, -1 on the others */
  output: number;
  copy?: CopyAction;
  mkdir?: MkdirAction;
  mkfile?: MkfileAction;
  rm?: RmAction;
  symlink?: SymlinkAction;
};
export type FileOp = { actions: FileAction[] };
export type MergeOp = { inputs: { input: number }[] };
export type DiffOp = { lower: { input: number }; upper: { input: number } };

export type OpKind = 'source' | 'exec' | 'file' | 'merge' | 'diff';
export const OP_KINDS: readonly OpKind[] = ['source', 'exec', 'file', 'merge', 'diff'];

export type Op = {
  inputs: Input[];
  platform: Platform | null;
  source?: SourceOp;
  exec?: ExecOp;
  file?: FileOp;
  merge?: MergeOp;
  diff?: DiffOp;
};

export function opKind(op: Op): OpKind {
  const kinds = OP_KINDS.filter((k) => op[k] !== undefined);
  if (kinds.length !== 1) throw new WireFormatError(`an op must have exactly one of ${OP_KINDS.join('/')}, got ${kinds.length}`);
  return kinds[0];
}

const user: Shape = { nullable: { id: { int: 0 }, name: { str: '' }, input: { int: -1 } } };
const chown: Shape = { nullable: { user, group: user } };
const secretOpt: Shape = {
  nullable: { id: { str: '' }, uid: { int: 0 }, gid: { int: 0 }, mode: { int: 0o400 }, optional: { bool: false } },
};
const strs: Shape = { list: { str: '' } };

const SHAPES: Record<OpKind, Shape> = {
  source: { obj: { identifier: { str: '' }, attrs: { map: { str: '' } } } },
  exec: {
    obj: {
      meta: {
        obj: {
          args: strs, env: strs, cwd: { str: '/' }, user: { str: '' }, hostname: { str: '' },
          validExitCodes: { list: { int: 0 } },
        },
      },
      mounts: {
        list: {
          obj: {
            input: { int: -1 }, selector: { str: '' }, dest: { str: '' }, output: { int: -1 },
            readonly: { bool: false }, type: { oneOf: ['bind', 'cache', 'tmpfs', 'secret', 'ssh'] },
            cache: { nullable: { id: { str: '' }, sharing: { oneOf: ['shared', 'private', 'locked'] } } },
            tmpfs: { nullable: { size: { int: 0 } } },
            secret: secretOpt, ssh: secretOpt,
          },
        },
      },
      network: { oneOf: ['sandbox', 'host', 'none'] },
      security: { oneOf: ['sandbox', 'insecure'] },
      secretEnv: { list: { obj: { id: { str: '' }, name: { str: '' }, optional: { bool: false } } } },
    },
  },
  file: {
    obj: {
      actions: {
        list: {
          obj: {
            input: { int: -1 }, secondaryInput: { int: -1 }, output: { int: -1 },
            copy: {
              optional: {
                src: { str: '' }, dest: { str: '' }, owner: chown, mode: { int: -1 }, modeStr: { str: '' },
                followSymlink: { bool: false }, dirCopyContents: { bool: false }, attemptUnpack: { bool: false },
                createDestPath: { bool: false }, allowWildcard: { bool: false }, allowEmptyWildcard: { bool: false },
                timestamp: { int: -1 }, includePatterns: strs, excludePatterns: strs, requiredPaths: strs,
                alwaysReplaceExistingDestPaths: { bool: false },
              },
            },
            mkdir: {
              optional: { path: { str: '' }, mode: { int: 0o755 }, makeParents: { bool: false }, owner: chown, timestamp: { int: -1 } },
            },
            mkfile: {
              optional: { path: { str: '' }, mode: { int: 0o644 }, data: { str: '' }, owner: chown, timestamp: { int: -1 } },
            },
            rm: { optional: { path: { str: '' }, allowNotFound: { bool: false }, allowWildcard: { bool: false } } },
            symlink: { optional: { oldpath: { str: '' }, newpath: { str: '' }, owner: chown, timestamp: { int: -1 } } },
          },
        },
      },
    },
  },
  merge: { obj: { inputs: { list: { obj: { input: { int: -1 } } } } } },
  diff: { obj: { lower: { obj: { input: { int: -1 } } }, upper: { obj: { input: { int: -1 } } } } },
};

const ENVELOPE: Shape = {
  obj: {
    inputs: { list: { obj: { digest: { digest: true }, index: { int: 0 } } } },
    platform: { nullable: { os: { str: '' }, architecture: { str: '' }, variant: { str: '' } } },
  },
};

/** Fill defaults, check types, reject unknown fields. Throws WireFormatError naming the path. */
export function normalizeOp(raw: unknown): Op {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new WireFormatError('op: expected an object');
  const r = raw as Record<string, unknown>;
  const present = OP_KINDS.filter((k) => r[k] !== undefined && r[k] !== null);
  const unknown = Object.keys(r).filter((k) => !['inputs', 'platform', ...OP_KINDS].includes(k));
  if (unknown.length) throw new WireFormatError(`op: unknown field ${JSON.stringify(unknown[0])} (known kinds: ${OP_KINDS.join(', ')})`);
  if (present.length !== 1) throw new WireFormatError(`op: needs exactly one of ${OP_KINDS.join('/')}, found ${present.length}`);
  const kind = present[0];
  const env = shapeOf(ENVELOPE, { inputs: r.inputs ?? [], platform: r.platform ?? null }, 'op') as Op;
  const body = shapeOf(SHAPES[kind], r[kind], `op.${kind}`);
  if (kind === 'file') checkFileActions(body as FileOp);
  // keys in sorted order (diff, exec, file < inputs < merge < platform < source)
  const out: Record<string, unknown> = {};
  for (const k of [kind, 'inputs', 'platform'].sort()) out[k] = k === kind ? body : k === 'inputs' ? env.inputs : env.platform;
  return out as Op;
}

function checkFileActions(f: FileOp): void {
  f.actions.forEach((a, i) => {
    const kinds = ['copy', 'mkdir', 'mkfile', 'rm', 'symlink'].filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    if (kinds.length !== 1) throw new WireFormatError(`op.file.actions[${i}]: needs exactly one of copy/mkdir/mkfile/rm/symlink`);
  });
}

/** The op's identity: sha256 of its canonical (normalised) encoding. */
export function opDigest(op: Op): string {
  return normalizedDigest(normalizeOp(op));
}

/**
 * Digest of an op that normalizeOp returned: its keys are sorted at every
 * level and it holds only JSON values, so JSON.stringify gives exactly the
 * canonical encoding (a test keeps the two equal) without another pass.
 */
export function normalizedDigest(norm: Op): string {
  return `sha256:${sha256Hex(JSON.stringify(norm))}`;
}

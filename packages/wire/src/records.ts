// Record types on the wire, version 1. Every record has `v` and `type`.
//   df-parse  -> source?, op*, result+     (the build graph)
//   llb-solve -> image+                    (solved results: layers in the store + config)
import type { Input, Op, Platform } from './ops.ts';

export const WIRE_VERSION = 1;

export type SourceLocation = { file: string; startLine: number; startColumn: number; endLine: number; endColumn: number };

/** Outside the digest: naming and provenance only. */
export type OpMeta = {
  /** progress name, e.g. "[build 2/4] RUN make" */
  name: string;
  /** stage the op belongs to ('' for internal ops) */
  stage: string;
  /** original instruction text, e.g. "RUN make" */
  command: string;
  locations: SourceLocation[];
  /** image config fields this step changed (for history) are not here: history rides in the result config */
  ignoreCache: boolean;
};

export type SourceRecord = { v: 1; type: 'source'; file: string; data: string };
export type OpRecord = { v: 1; type: 'op'; digest: string; op: Op; meta: OpMeta };

export type HistoryEntry = { created?: string; created_by?: string; author?: string; comment?: string; empty_layer?: boolean };
export type ImageConfigBody = {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  Shell?: string[];
  Healthcheck?: Record<string, unknown>;
  OnBuild?: string[] | null;
};
/** OCI image config (the JSON that becomes the config blob). */
export type ImageConfig = {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config: ImageConfigBody;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history: HistoryEntry[];
};

/** The graph's answer for one target and platform; `input` null means an empty (scratch) filesystem. */
export type ResultRecord = {
  v: 1;
  type: 'result';
  target: string;
  platform: Platform;
  input: Input | null;
  /** config without the result's own layers: rootfs.diff_ids lists only base-image layers */
  config: ImageConfig;
};

export type Descriptor = { mediaType: string; digest: string; size: number; annotations?: Record<string, string> };
export type Layer = {
  /** sha256 of the uncompressed layer tar */
  diffID: string;
  /** size of the uncompressed tar */
  size: number;
  /** the stored blob holding this layer: uncompressed or gzip tar */
  blob: Descriptor;
};
/** A solved image: everything export-oci needs, with the store it lives in. */
export type ImageRecord = {
  v: 1;
  type: 'image';
  target: string;
  platform: Platform;
  /** absolute path of the cas-store holding the blobs */
  store: string;
  layers: Layer[];
  /** final config; rootfs.diff_ids equals layers' diffIDs */
  config: ImageConfig;
};

export type AnyRecord = SourceRecord | OpRecord | ResultRecord | ImageRecord;
export const RECORD_TYPES = ['source', 'op', 'result', 'image'] as const;

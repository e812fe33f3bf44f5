// What an op output is while solving: a chain of stored layers, or (for a local
// source) a directory on this machine.
import type { LayerEntry } from '@pipekit/cas-store';

export type LayersRef = { kind: 'layers'; layers: LayerEntry[] };
export type DirRef = { kind: 'dir'; dir: string; exclude: string[] };
export type Ref = LayersRef | DirRef;

export const EMPTY: LayersRef = { kind: 'layers', layers: [] };

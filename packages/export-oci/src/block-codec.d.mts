// Types for block-codec.mjs (plain JavaScript so workers load it on Node and Deno).
export declare const WINDOW: number;
export type BlockJob = { codec: 'gzip' | 'zstd'; data: Uint8Array; dict?: Uint8Array; last: boolean; level: number };
export type BlockResult = { out: Uint8Array; crc: number };
export declare function deflateBlock(data: Uint8Array, dict: Uint8Array | undefined, last: boolean, level: number): Uint8Array;
export declare function crc32(data: Uint8Array, crc?: number): number;
export declare function zstdBlock(data: Uint8Array, level: number): Uint8Array;
export declare function runBlock(job: BlockJob): BlockResult;

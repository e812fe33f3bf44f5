export * from './canonical.ts';
export * from './errors.ts';
export * from './ndjson.ts';
export * from './ops.ts';
export * from './records.ts';
export * from './read.ts';
export * from './platform.ts';
export * from './cli.ts';

export * from './run.ts';
export * from './convert/convert.ts';
export * from './convert/errors.ts';

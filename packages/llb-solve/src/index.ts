export * from './run.ts';
export * from './solver.ts';
export * from './step-error.ts';
export * from './progress/events.ts';
export * from './progress/renderers.ts';
export * from './progress/plain.ts';
export * from './progress/tty.ts';
export * from './explain.ts';

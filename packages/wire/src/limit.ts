// Bounds how many filesystem calls are in flight. Tree walks await one call at
// a time otherwise, leaving libuv's pool idle; only leaf calls take a slot
// (never a recursive walk), so nesting cannot deadlock.
export type Limit = <T>(fn: () => Promise<T>) => Promise<T>;

export function limiter(n: number): Limit {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

/** Shared by the tree walks of one process. */
export const fsLimit = limiter(64);

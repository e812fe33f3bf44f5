// Picks the renderer for --progress / BUILDKIT_PROGRESS.
import process from 'node:process';
import { UsageError } from '@pipekit/wire';
import type { Renderer, SolveStatus } from './events.ts';
import { PlainRenderer } from './plain.ts';
import { TtyRenderer } from './tty.ts';

export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'rawjson', 'quiet'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

class RawJsonRenderer implements Renderer {
  private write: (s: string) => void;
  constructor(write: (s: string) => void) {
    this.write = write;
  }
  update(s: SolveStatus): void {
    this.write(`${JSON.stringify(s)}\n`);
  }
  close(): void {}
}

class QuietRenderer implements Renderer {
  update(): void {}
  close(): void {}
}

export type Terminal = { rows: () => number; cols: () => number };

export function createRenderer(mode: string | undefined, write: (s: string) => void, isTty: boolean | (() => boolean), term?: Terminal, opts: { explain?: boolean } = {}): Renderer {
  const m = (mode || 'auto') as ProgressMode;
  if (!PROGRESS_MODES.includes(m)) throw new UsageError(`unknown progress mode ${JSON.stringify(mode)}: expected ${PROGRESS_MODES.join('|')}`);
  if (m === 'rawjson') return new RawJsonRenderer(write);
  if (m === 'quiet') return new QuietRenderer();
  if (m === 'plain') return new PlainRenderer(write, opts);
  // auto or tty: whether stderr is a terminal decides, asked only now
  const tty = typeof isTty === 'function' ? isTty() : isTty;
  if (m === 'tty' && !tty) throw new UsageError('--progress tty needs a terminal on stderr');
  if (tty) {
    return new TtyRenderer({
      write,
      rows: term?.rows ?? (() => 24),
      cols: term?.cols ?? (() => 80),
      color: !process.env.NO_COLOR,
    });
  }
  return new PlainRenderer(write, opts);
}

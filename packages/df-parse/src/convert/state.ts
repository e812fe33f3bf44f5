// The per-stage build state while converting: the current filesystem (an op
// output, null = scratch), the env/cwd/user RUN steps see, and the image config.
import type { ImageConfig, Input, Platform } from '@pipekit/wire';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type StageState = {
  name: string;
  index: number;
  ref: Input | null;
  /** env for RUN: image Env plus stage ARG values */
  env: string[];
  /** ARGs declared in this stage with their values (undefined = declared without value) */
  args: Map<string, string | undefined>;
  cwd: string;
  user: string;
  shell: string[];
  platform: Platform;
  config: ImageConfig;
  /** CMD set in this stage (ENTRYPOINT then keeps it) */
  cmdSet: boolean;
};

export function emptyConfig(p: Platform): ImageConfig {
  return {
    architecture: p.architecture,
    os: p.os,
    ...(p.variant ? { variant: p.variant } : {}),
    config: { Env: [DEFAULT_PATH], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
}

export function getEnv(env: string[], key: string): string | undefined {
  for (let i = env.length - 1; i >= 0; i--) {
    const eq = env[i].indexOf('=');
    if (env[i].slice(0, eq) === key) return env[i].slice(eq + 1);
  }
  return undefined;
}

/** Set KEY=VALUE, replacing an earlier entry in place (docker keeps the order). */
export function setEnv(env: string[], key: string, value: string): string[] {
  const out = [...env];
  const i = out.findIndex((e) => e.slice(0, e.indexOf('=')) === key);
  if (i >= 0) out[i] = `${key}=${value}`;
  else out.push(`${key}=${value}`);
  return out;
}

// The per-stage build state while converting: the current filesystem (an op
// output, null = scratch), the env/cwd/user RUN steps see, the declared ARGs and
// the image config being written.
import type { ImageConfig, Input, Platform } from '@pipekit/wire';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type StageState = {
  name: string;
  index: number;
  ref: Input | null;
  /** env for RUN: image Env plus stage ARG values */
  env: string[];
  /** ARGs declared in this stage, in order (value undefined = declared without one) */
  args: { key: string; value: string | undefined }[];
  cwd: string;
  user: string;
  platform: Platform;
  config: ImageConfig;
  /** CMD set in this stage (ENTRYPOINT then keeps it) */
  cmdSet: boolean;
};

export function emptyConfig(p: Platform): ImageConfig {
  return {
    architecture: p.architecture,
    os: p.os,
    ...(p.variant && !(p.architecture === 'arm64' && p.variant === 'v8') ? { variant: p.variant } : {}),
    config: { Env: p.os === 'windows' ? [] : [DEFAULT_PATH], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
}

/** A child stage's starting point: copies of everything it may change. */
export function cloneState(s: StageState): StageState {
  const c = s.config;
  return {
    ...s,
    env: [...s.env],
    args: [],
    cmdSet: false,
    config: {
      ...c,
      config: { ...c.config, ...(c.config.Env ? { Env: [...c.config.Env] } : {}) },
      rootfs: { type: 'layers', diff_ids: [...c.rootfs.diff_ids] },
      history: [...c.history],
    },
  };
}

export function getEnv(env: string[], key: string): string | undefined {
  for (let i = env.length - 1; i >= 0; i--) {
    const e = env[i];
    if (e.length > key.length && e.charCodeAt(key.length) === 61 && e.startsWith(key)) return e.slice(key.length + 1);
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

/** The shell a shell-form RUN/CMD/ENTRYPOINT uses: SHELL, else the platform default. */
export function shellOf(st: StageState): string[] {
  if (st.config.config.Shell?.length) return [...st.config.config.Shell];
  return st.platform.os === 'windows' ? ['cmd', '/S', '/C'] : ['/bin/sh', '-c'];
}

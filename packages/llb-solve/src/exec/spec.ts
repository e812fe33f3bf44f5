// The OCI runtime spec for one RUN step, close to what BuildKit hands runc:
// containerd's default capabilities and masked paths, hostname buildkitsandbox,
// generated /etc/hosts and /etc/resolv.conf, the cgroup hierarchy read-only,
// host network unless `none`, the default seccomp profile. --security=insecure
// gives the step every capability it needs and no seccomp filter, as BuildKit's
// insecure mode does.
import type { Ids } from '../fs/user.ts';
import { defaultSeccomp } from './seccomp.ts';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export type OciMount = { destination: string; type: string; source: string; options: string[] };

export type SpecInput = {
  args: string[];
  env: string[];
  cwd: string;
  ids: Ids;
  rootPath: string;
  hostname: string;
  network: 'sandbox' | 'host' | 'none';
  insecure: boolean;
  extraMounts: OciMount[];
  /** mounted at / before everything else (the step's root overlay, made in the container's namespace) */
  rootMount?: OciMount;
  /** in a user namespace: no cgroup settings, /sys bound from the host unless the step has its own netns */
  rootless?: boolean;
};

export function withDefaultPath(env: string[]): string[] {
  return env.some((e) => e.startsWith('PATH=')) ? env : [`PATH=${DEFAULT_PATH}`, ...env];
}

export function buildSpec(s: SpecInput): Record<string, unknown> {
  const caps = s.insecure ? [...CAPS, 'CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_SYS_PTRACE', 'CAP_SYS_MODULE'] : CAPS;
  const namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (s.network === 'none') namespaces.push({ type: 'network' });
  const mounts: OciMount[] = [
    ...(s.rootMount ? [s.rootMount] : []),
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    s.rootless && s.network !== 'none'
      ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
      : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', s.insecure ? 'rw' : 'ro'] },
    // BuildKit's withCGroup (writable under --security=insecure); a user namespace cannot mount the host's hierarchy
    ...(s.rootless ? [] : [{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [s.insecure ? 'rw' : 'ro', 'nosuid', 'noexec', 'nodev'] }]),
    ...s.extraMounts,
  ];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: s.ids.uid, gid: s.ids.gid, additionalGids: s.ids.additionalGids },
      args: s.args,
      env: s.env,
      cwd: s.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: false,
    },
    root: { path: s.rootPath, readonly: false },
    hostname: s.hostname,
    mounts,
    linux: {
      namespaces,
      ...(s.rootless ? {} : { resources: { devices: [{ allow: false, access: 'rwm' }] } }),
      maskedPaths: s.insecure
        ? []
        : ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
          '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: s.insecure ? [] : ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      ...(s.insecure ? {} : { seccomp: defaultSeccomp(caps) }),
    },
  };
}

export function hostsFile(hostname: string): string {
  return `127.0.0.1\tlocalhost ${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
}

// The seccomp profile of a RUN step: the default profile of Docker and
// containerd, which BuildKit applies to every step not run with
// --security=insecure. An allowlist; anything else fails with EPERM. clone3
// fails with ENOSYS instead, so that a libc falls back to clone, whose
// namespace flags need CAP_SYS_ADMIN. Some syscalls come with a capability
// (chroot with CAP_SYS_CHROOT, ...), and some exist only on some architectures.
// Names the runtime's libseccomp does not know are skipped (a newer
// syscall then fails with ENOSYS).
//
// One difference: on x86_64 the filter covers x86_64 and i386, not also the
// x32 ABI (as containerd lists it). runc compiles each architecture into the
// filter as every container starts, ~8 ms of CPU per step here (of ~25 for
// the whole filter; crun loads one compiled once, see seccomp-bpf.ts), and x32
// programs are all but absent from images: one would be refused outright.
import process from 'node:process';

const ALLOWED = `
  accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32 clock_adjtime
  clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep
  clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1
  epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit
  exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2
  fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat
  fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue futex_time64 futex_wait
  futex_waitv futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid
  getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom
  getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt
  get_thread_area gettid gettimeofday getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init
  inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64
  ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self
  lchown lchown32 lgetxattr link linkat listen listmount listxattr listxattrat llistxattr _llseek lremovexattr lseek
  lsetxattr lstat lstat64 madvise map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod
  mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
  mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap mseal msgctl msgget msgrcv msgsnd msync
  munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_open
  pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv
  preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink
  readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr removexattrat rename
  renameat renameat2 restart_syscall riscv_hwprobe rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask
  rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo
  sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler
  sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam
  sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile
  sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32
  setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32
  setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr setxattrat
  shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall socketpair
  splice stat stat64 statfs statfs64 statmount statx symlink symlinkat sync sync_file_range syncfs sysinfo tee
  tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64
  timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate truncate64
  ugetrlimit umask uname unlink unlinkat uretprobe utime utimensat utimensat_time64 utimes vfork vmsplice wait4
  waitid waitpid write writev
`.trim().split(/\s+/);

/** Allowed only with a capability in the bounding set. */
const WITH_CAP: Record<string, string[]> = {
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
  CAP_SYS_ADMIN: [
    'bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie', 'mount', 'mount_setattr',
    'move_mount', 'open_tree', 'perf_event_open', 'quotactl', 'quotactl_fd', 'setdomainname', 'sethostname', 'setns', 'syslog', 'umount',
    'umount2', 'unshare',
  ],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_CHROOT: ['chroot'],
  CAP_SYS_MODULE: ['delete_module', 'init_module', 'finit_module'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: ['kcmp', 'pidfd_getfd', 'process_madvise'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'],
  CAP_SYS_TTY_CONFIG: ['vhangup'],
  CAP_SYS_NICE: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'],
  CAP_SYSLOG: ['syslog'],
  CAP_BPF: ['bpf'],
  CAP_PERFMON: ['perf_event_open'],
};

/** By Node's process.arch: the filter's architectures (the native one and those it can also run), and syscalls of its own. */
const ARCHES: Record<string, { arches: string[]; extra: string[] }> = {
  x64: { arches: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], extra: ['arch_prctl', 'modify_ldt'] },
  ia32: { arches: ['SCMP_ARCH_X86'], extra: ['modify_ldt'] },
  arm64: { arches: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'], extra: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'] },
  arm: { arches: ['SCMP_ARCH_ARM'], extra: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'] },
  ppc64: { arches: ['SCMP_ARCH_PPC64LE'], extra: ['sync_file_range2', 'swapcontext'] },
  s390x: { arches: ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'], extra: ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'] },
  riscv64: { arches: ['SCMP_ARCH_RISCV64'], extra: ['riscv_flush_icache'] },
};

// CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP
const NEW_NAMESPACES = 0x7e020000;
const ENOSYS = 38;
// socket families refused: AF_ALG (38) and AF_VSOCK (40)
const SOCKET_RULES = [{ op: 'SCMP_CMP_LT', value: 38 }, { op: 'SCMP_CMP_EQ', value: 39 }, { op: 'SCMP_CMP_GT', value: 40 }];
// the personalities a program may switch to: PER_LINUX, PER_LINUX32, UNAME26 with each, and the query (0xffffffff)
const PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

type Arg = { index: number; value: number; valueTwo: number; op: string };
export type SeccompRule = { names: string[]; action: string; errnoRet?: number; args?: Arg[] };
export type SeccompProfile = { defaultAction: string; defaultErrnoRet: number; architectures: string[]; syscalls: SeccompRule[] };

const arg0 = (op: string, value: number): Arg => ({ index: 0, value, valueTwo: 0, op });

/** The default profile for a step whose bounding set is `caps`, on the host architecture `arch`. */
export function defaultSeccomp(caps: readonly string[], arch: string = process.arch): SeccompProfile {
  const { arches, extra } = ARCHES[arch] ?? { arches: [], extra: [] };
  const admin = caps.includes('CAP_SYS_ADMIN');
  const clone = arch === 's390x' ? 1 : 0; // s390 passes clone's flags second
  const syscalls: SeccompRule[] = [
    { names: [...ALLOWED, 'process_vm_readv', 'process_vm_writev', 'ptrace', ...extra], action: 'SCMP_ACT_ALLOW' },
    ...SOCKET_RULES.map(({ op, value }) => ({ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [arg0(op, value)] })),
    ...PERSONALITIES.map((p) => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [arg0('SCMP_CMP_EQ', p)] })),
  ];
  const withCaps = [...new Set(caps.flatMap((c) => WITH_CAP[c] ?? []))];
  if (withCaps.length) syscalls.push({ names: withCaps, action: 'SCMP_ACT_ALLOW' });
  if (!admin) {
    syscalls.push(
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: clone, value: NEW_NAMESPACES, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
    );
  }
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: arches, syscalls };
}

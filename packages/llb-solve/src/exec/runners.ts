// Runners: runtime wrappers started ahead of the RUN steps that will use them
// (see wire's runnerCommand). A step's container otherwise starts through
// setpriv, unshare and a shell (~5 ms), then crun makes the step's cgroups and
// moves the container into them, which on cgroup v1 waits for an RCU grace
// period (7-21 ms here). A runner has done all of that by the time its step is
// due, so the step costs crun's own start: ~8 ms against ~15-25.
//
// They are used where that is known to be right: crun, as root, on a cgroup v1
// layout (where cgroups are directories to make and join), for steps whose
// mounts are all made inside the container (the root overlay by the runner
// itself, tmpfs by crun): a runner's mount namespace is a copy made when it
// started, without what this process mounted since. Other steps start as before.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { inUserNamespace, opKind, parseMountinfo, RUNNER_READY, runnerCommand, type Graph, type OciRuntime, type SpawnResult } from '@pipekit/wire';
import { DEVICE_RULES, removeStepCgroups, v1Hierarchies } from './step-cgroups.ts';

// see fillSoon
const FILL_DELAY_MS = 15;

type Io = { onStdout: (d: Uint8Array) => void; onStderr: (d: Uint8Array) => void; signal: AbortSignal };

/** One runner: a wrapper in its cgroups, waiting on stdin for the step it starts. */
export class Runner {
  readonly id = `pk-${process.pid}-${randomBytes(6).toString('hex')}`;
  private readonly child: ChildProcess;
  private io?: Io;
  private ready = false;
  /** told to start a step (or to end) */
  private told = false;
  private head: Buffer | undefined = Buffer.alloc(0);
  private early: { stream: 1 | 2; data: Buffer }[] = [];
  private readonly exit: Promise<number>;
  /** set once the runner's process has ended and its cgroups are removed */
  readonly gone: Promise<void>;
  private readonly afterGo: () => void;

  /** `afterGo` is called once the runner was told to start its step */
  constructor(rt: OciRuntime, hierarchies: string[], afterGo: () => void = () => undefined) {
    this.afterGo = afterGo;
    const c = runnerCommand(rt, this.id, hierarchies, DEVICE_RULES);
    const child = spawn(c.cmd, c.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdin?.on('error', () => undefined);
    child.stdout?.on('data', (d: Buffer) => this.stdout(d));
    child.stderr?.on('data', (d: Buffer) => this.forward(2, d));
    // a failure to spawn is an exit before the ready line
    this.exit = new Promise((resolve) => {
      child.on('error', () => resolve(-1));
      child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
    this.gone = this.exit.then(() => removeStepCgroups(this.id, hierarchies));
  }

  private stdout(d: Buffer): void {
    if (this.ready || this.head === undefined) return this.forward(1, d);
    this.head = Buffer.concat([this.head, d]);
    if (this.head.length < RUNNER_READY.length) return;
    const head = this.head;
    this.head = undefined;
    this.ready = head.subarray(0, RUNNER_READY.length).toString() === RUNNER_READY;
    const rest = this.ready ? head.subarray(RUNNER_READY.length) : head;
    if (rest.length) this.forward(1, rest);
  }

  private forward(stream: 1 | 2, data: Buffer): void {
    // before the ready line, output is the runner's own (a failure to start); kept until the step is known
    if (!this.io || !this.ready) this.early.push({ stream, data });
    else if (stream === 1) this.io.onStdout(data);
    else this.io.onStderr(data);
  }

  /**
   * Start the step: crun runs `bundle` with its root overlay mounted with
   * `rootOptions`. Undefined when the runner failed before it could (nothing of
   * the step ran: the caller starts it the usual way).
   */
  async run(bundle: string, rootOptions: string[], io: Io): Promise<SpawnResult | undefined> {
    const opts = rootOptions.join(',');
    // the two lines must stay two lines
    if (/\n/.test(bundle + opts)) return this.discard();
    const child = this.child;
    this.told = true;
    this.io = io;
    // what came after the ready line while the runner waited (nothing, normally)
    if (this.ready) for (const e of this.early.splice(0)) this.forward(e.stream, e.data);
    child.stdin?.end(`${bundle}\n${opts}\n`);
    this.afterGo();
    const kill = () => child.kill('SIGKILL');
    if (io.signal.aborted) kill();
    else io.signal.addEventListener('abort', kill, { once: true });
    const code = await this.exit;
    io.signal.removeEventListener('abort', kill);
    // never ready: it failed before the step began
    return this.ready ? { code, stdout: '', stderr: '' } : undefined;
  }

  /** End a runner that will not be used (its stdin closed, it exits). */
  async discard(): Promise<undefined> {
    this.told = true;
    this.child.stdin?.end();
    return undefined;
  }

  /** Not told to start a step, nor to end. */
  get waiting(): boolean {
    return !this.told;
  }

  /** Kill it, wherever it is. */
  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** Can runners start this process's steps? */
export function runnersSupported(rt: OciRuntime, cgroupText: string, mountinfo: string): string[] | undefined {
  if (rt.name !== 'crun' || inUserNamespace()) return undefined;
  const hierarchies = v1Hierarchies(cgroupText);
  if (hierarchies.length === 0) return undefined;
  // a hybrid layout's cgroup2 is hidden from crun only where it refuses it (rt.hybrid)
  const unified = parseMountinfo(mountinfo).some((m) => m.point === '/sys/fs/cgroup/unified' && m.type === 'cgroup2');
  return unified && !rt.hybrid ? undefined : hierarchies;
}

/** An exec op a runner can start: every mount but the root made inside the container. */
export function runnerStep(graph: Graph, digest: string): boolean {
  const op = graph.ops.get(digest)?.op;
  const e = op && opKind(op) === 'exec' ? op.exec : undefined;
  return Boolean(e && e.security !== 'insecure' && e.mounts.every((m) => m.dest === '/' || m.type === 'tmpfs'));
}

/**
 * Runners for one solve: started for the exec steps still to come that a
 * runner can start, up to `max` waiting at once; a build whose steps are all
 * cached starts none. One starts when a step misses the cache with such a step
 * among those after it (see missed()); more as exec steps start, one every
 * FILL_DELAY_MS (spawning one holds this thread for ~2-4 ms).
 */
export class RunnerPool {
  private idle: Runner[] = [];
  private all = new Set<Runner>();
  private toCome: Set<string>;
  private closed = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly rt: OciRuntime;
  private readonly hierarchies: string[];
  private readonly max: number;

  /** the ops that take each op's output */
  private readonly dependents: Map<string, string[]>;
  private first = true;

  constructor(rt: OciRuntime, hierarchies: string[], toCome: Iterable<string>, max: number, graph?: Graph) {
    this.rt = rt;
    this.hierarchies = hierarchies;
    this.max = max;
    this.toCome = new Set(toCome);
    this.dependents = new Map();
    for (const [digest, rec] of graph?.ops ?? []) {
      for (const i of rec.op.inputs) this.dependents.set(i.digest, [...(this.dependents.get(i.digest) ?? []), digest]);
    }
  }

  /** The pool for `graph`, or undefined where runners are not used. */
  static for(graph: Graph, rt: OciRuntime, max: number): RunnerPool | undefined {
    const read = (f: string) => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    const hierarchies = runnersSupported(rt, read('/proc/self/cgroup'), read('/proc/self/mountinfo'));
    if (!hierarchies) return undefined;
    const steps = [...graph.ops.keys()].filter((d) => runnerStep(graph, d));
    return steps.length ? new RunnerPool(rt, hierarchies, steps, max, graph) : undefined;
  }

  /**
   * Step `digest` missed the cache: the steps that take its output will miss
   * too. The build's first such miss with a runner step among them starts one
   * runner at once, so that it is ready by the time the first of them is due
   * (~25 ms: spawned, in its cgroups); the others start as steps start.
   */
  missed(digest: string): void {
    if (!this.first || this.closed || this.toCome.has(digest)) return;
    const seen = new Set<string>();
    const queue = [digest];
    while (queue.length) {
      for (const d of this.dependents.get(queue.pop() as string) ?? []) {
        if (seen.has(d)) continue;
        if (this.toCome.has(d)) {
          this.first = false;
          this.spawnOne();
          return;
        }
        seen.add(d);
        queue.push(d);
      }
    }
  }

  /** A step was found in the cache: no runner for it. */
  skipped(digest: string): void {
    this.toCome.delete(digest);
  }

  /** A runner for exec step `digest`, if one is waiting. */
  take(digest: string): Runner | undefined {
    this.first = false;
    this.toCome.delete(digest);
    const r = this.idle.shift();
    // runners for the steps to come start once this step's container is on its way (see
    // afterGo): spawning one first would delay this step
    if (!r) this.fillSoon();
    return r;
  }

  /**
   * Start one more runner a little later, and so on while more are wanted:
   * spawning one holds this thread for a few ms, which should not delay a
   * step's start (the one just told to go, a sibling due now), nor stack up.
   */
  private fillSoon(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed || this.idle.length >= Math.min(this.max, this.toCome.size)) return;
      this.spawnOne();
      this.fillSoon();
    }, FILL_DELAY_MS);
  }

  private spawnOne(): void {
    const r = new Runner(this.rt, this.hierarchies, () => this.fillSoon());
    this.all.add(r);
    void r.gone.then(() => this.all.delete(r));
    this.idle.push(r);
  }

  /** End the waiting runners; resolves once every runner is gone, its cgroups removed. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.idle = [];
    // waiting ones, and any taken for a step that then did not start
    for (const r of this.all) if (r.waiting) void r.discard();
    await Promise.all([...this.all].map((r) => r.gone));
  }

  /** No more runners: one failed before it could start its step (the steps start the usual way). */
  disable(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const r of this.idle.splice(0)) void r.discard();
  }

  /** Kill every runner (the build was canceled). */
  kill(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const r of this.all) r.kill();
  }
}

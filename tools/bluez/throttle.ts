// CPU throttling of one process to 1/N of a CPU, to approach an ESP32 with the real interpreter
// (issue 12: the ESP32 runs the interpreter ~30x slower than this machine, range 20-50x).
// Preferred: the kernel's CFS bandwidth control (cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us, or
// cgroup v2 cpu.max): the process may run `period / N` of every `period`, whenever it is runnable.
// Fallback: a SIGSTOP/SIGCONT duty cycle driven from here (coarser: Node's timers).
// The math is pure (test/bluez/throttle.test.ts); apply() touches /sys/fs/cgroup or sends signals.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** CFS refuses a quota under 1 ms (kernel/sched/core.c min_cfs_quota_period). */
export const MIN_QUOTA_US = 1000;
export const DEFAULT_PERIOD_US = 100000;

/** Validates a factor given on the command line: a finite number >= 1. */
export function parseFactor(s: string | undefined): number | null {
  if (s === undefined || !/^\d+(\.\d+)?$/.test(s.trim())) return null;
  const n = Number(s);
  return Number.isFinite(n) && n >= 1 ? n : null;
}

/** The CFS quota for 1/factor of one CPU; the period grows when the quota would be under 1 ms. */
export function cfsQuota(factor: number, periodUs = DEFAULT_PERIOD_US): { periodUs: number; quotaUs: number } {
  if (!(factor >= 1) || !Number.isFinite(factor)) throw new RangeError(`factor ${factor}: a number >= 1`);
  let period = periodUs;
  if (period / factor < MIN_QUOTA_US) period = Math.ceil(MIN_QUOTA_US * factor);
  if (period > 1000000) throw new RangeError(`factor ${factor} needs a CFS period over 1 s (quota >= ${MIN_QUOTA_US} us)`);
  return { periodUs: period, quotaUs: Math.round(period / factor) };
}

/** The SIGSTOP/SIGCONT duty cycle for 1/factor: run `runMs`, stop `stopMs`, every `periodMs`. */
export function dutyCycle(factor: number, periodMs = 100): { runMs: number; stopMs: number } {
  if (!(factor >= 1) || !Number.isFinite(factor)) throw new RangeError(`factor ${factor}: a number >= 1`);
  if (!(periodMs > 0)) throw new RangeError(`period ${periodMs}: > 0 ms`);
  const runMs = periodMs / factor;
  return { runMs, stopMs: periodMs - runMs };
}

/** The slowdown a measurement shows: throttled wall time over unthrottled, for the same CPU work. */
export function measuredFactor(baseMs: number, throttledMs: number): number {
  if (!(baseMs > 0) || !(throttledMs >= 0)) throw new RangeError('times must be positive');
  return throttledMs / baseMs;
}

export type ThrottleKind = 'cgroup-v1' | 'cgroup-v2' | 'signals';

/** Which mechanism this machine allows (a writable cpu controller, else signals). */
export function detect(root = '/sys/fs/cgroup'): { kind: ThrottleKind; base: string } {
  const v1 = path.join(root, 'cpu');
  if (existsSync(path.join(v1, 'cpu.cfs_quota_us'))) {
    try {
      const probe = path.join(v1, `ffs-bluez-probe-${process.pid}`);
      mkdirSync(probe);
      rmdirSync(probe);
      return { kind: 'cgroup-v1', base: v1 };
    } catch {
      /* not writable */
    }
  }
  try {
    if (readFileSync(path.join(root, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu')) {
      const probe = path.join(root, `ffs-bluez-probe-${process.pid}`);
      mkdirSync(probe);
      rmdirSync(probe);
      return { kind: 'cgroup-v2', base: root };
    }
  } catch {
    /* no v2 cpu controller, or not writable */
  }
  return { kind: 'signals', base: '' };
}

export interface Throttle {
  kind: ThrottleKind;
  factor: number;
  describe: string;
  /** put a process under it (its threads with it) */
  add(pid: number): void;
  stop(): void;
}

/**
 * Throttle to 1/factor of one CPU. With a cgroup, `shares` (v1 cpu.shares; v2 cpu.weight = shares/10)
 * gives the process priority when the machine is busy, so that its quota, not the load, sets its speed.
 */
export function makeThrottle(factor: number, opts: { name: string; shares?: number; periodMs?: number } = { name: 'ffs-bluez' }): Throttle {
  const d = detect();
  const shares = opts.shares ?? 8192;
  if (d.kind === 'signals') {
    const { runMs, stopMs } = dutyCycle(factor, opts.periodMs ?? 100);
    const pids = new Set<number>();
    let timer: NodeJS.Timeout | null = null;
    let running = true;
    const sig = (s: NodeJS.Signals) => {
      for (const p of pids) {
        try {
          process.kill(p, s);
        } catch {
          pids.delete(p);
        }
      }
    };
    const tick = () => {
      running = !running;
      sig(running ? 'SIGCONT' : 'SIGSTOP');
      timer = setTimeout(tick, running ? runMs : stopMs);
    };
    return {
      kind: 'signals', factor,
      describe: `SIGSTOP/SIGCONT duty cycle: run ${runMs.toFixed(1)} ms, stop ${stopMs.toFixed(1)} ms`,
      add(pid) {
        pids.add(pid);
        if (factor > 1 && !timer) timer = setTimeout(tick, runMs);
      },
      stop() {
        if (timer) clearTimeout(timer);
        timer = null;
        sig('SIGCONT');
        pids.clear();
      },
    };
  }
  const dir = path.join(d.base, `${opts.name}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const { periodUs, quotaUs } = cfsQuota(factor);
  if (d.kind === 'cgroup-v1') {
    writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(periodUs));
    writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), factor === 1 ? '-1' : String(quotaUs));
    writeFileSync(path.join(dir, 'cpu.shares'), String(shares));
  } else {
    writeFileSync(path.join(dir, 'cpu.max'), factor === 1 ? `max ${periodUs}` : `${quotaUs} ${periodUs}`);
    writeFileSync(path.join(dir, 'cpu.weight'), String(Math.max(1, Math.min(10000, Math.round(shares / 10)))));
  }
  const parent = d.base;
  const members = new Set<number>();
  return {
    kind: d.kind, factor,
    describe: factor === 1
      ? `${d.kind} ${dir}: no quota (shares ${shares})`
      : `${d.kind} ${dir}: ${quotaUs} us of every ${periodUs} us (shares ${shares})`,
    add(pid) {
      writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
      members.add(pid);
    },
    stop() {
      for (const p of members) {
        try {
          writeFileSync(path.join(parent, 'cgroup.procs'), String(p));
        } catch {
          /* gone */
        }
      }
      try {
        rmdirSync(dir);
      } catch {
        /* a member still exiting: the kernel frees it once empty; a later run uses another name */
      }
    },
  };
}

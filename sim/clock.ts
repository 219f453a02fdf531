// VirtualClock: the one scheduler for every simulated board and world actor (see sim/ARCHITECTURE.md).
// Timers fire in (time, insertion) order on virtual milliseconds. While real I/O is in flight (a TLS
// socket on loopback) the owner takes a hold: virtual time stands still until it is released, and a
// real-time watchdog names any hold that never releases.

export type RunResult = 'stopped' | 'until' | 'idle';

export interface RunOptions {
  /** stop (returning 'until') before any timer later than this virtual time; time is set to it */
  until?: number;
  /** checked before every timer; true ends the run with 'stopped' */
  stop?: () => boolean;
  /** pace virtual time to the wall clock (true = 1x, a number = speed factor) */
  realtime?: boolean | number;
}

export interface ClockOptions {
  /** real milliseconds a hold may stay outstanding while virtual time waits on it (default 20000) */
  holdWatchdogMs?: number;
}

interface Timer {
  t: number;
  seq: number;
  id: number;
  fn: () => void;
  owner: string | undefined;
  live: boolean;
  /** what the callback computes (CpuScheduler.tag), e.g. 'p256.ecdh' */
  tag?: string;
  /** its CPU time was already taken (the timer was moved to the end of that time) */
  charged?: boolean;
}

/**
 * Device time (sim/cpu/model.ts): owners (boards) whose computations take virtual time. An owner is
 * busy until the end of its last computation: its timers that come due meanwhile wait, as they do on
 * the single-threaded interpreter. A callback's CPU time is taken either before it runs (a timer whose
 * tag has a known cost: it runs, and shows its effects, at the end of that time) or while it runs
 * (charge(): the owner's now() moves on inside the callback, so what it sends is stamped later).
 */
export interface CpuScheduler {
  /** a timer is set for `owner` while a callback tagged `parent` runs: the tag of the new timer */
  tag(owner: string, parent: string | undefined): string | undefined;
  /** virtual ms of CPU the owner spends before this timer's callback shows its effects */
  cost(owner: string, tag: string): number;
}

interface Hold {
  label: string;
  since: number;
}

/** Thrown by run() when a hold outlives the watchdog: names every outstanding hold. */
export class HoldTimeoutError extends Error {
  constructor(readonly labels: string[], waitedMs: number, at: number) {
    super(
      `sim: real I/O hold${labels.length > 1 ? 's' : ''} ${labels.map((l) => JSON.stringify(l)).join(', ')} ` +
        `not released after ${waitedMs} ms of real time (virtual time stands still at ${(at / 1000).toFixed(3)}s)`,
    );
    this.name = 'HoldTimeoutError';
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

export class VirtualClock {
  private t = 0;
  private heap: Timer[] = [];
  private byId = new Map<number, Timer>();
  private byOwner = new Map<string, Set<number>>();
  private nextId = 1;
  private seq = 0;
  private dead = 0; // cancelled entries still in the heap
  private holds = new Map<number, Hold>();
  private nextHold = 1;
  private wake: (() => void) | null = null;
  private running = false;
  readonly holdWatchdogMs: number;
  /** timers fired since creation (for statistics and benchmarks) */
  fired = 0;
  /** real milliseconds run() spent with virtual time standing still, waiting for holds to release */
  heldRealMs = 0;
  /** device time: set by sim/cpu/model.ts (absent: computations take no virtual time) */
  cpu: CpuScheduler | null = null;
  /** virtual ms each owner's CPU is busy until */
  private busy = new Map<string, number>();
  /** CPU time charged inside the running callback, per owner */
  private skew = new Map<string, number>();
  /** where each owner's last callback with charged CPU time ended (its hardware events come after) */
  private doneAt = new Map<string, number>();
  /** the owner whose code runs now (its skew is what now() adds) */
  private computing: string | undefined;
  /** tag of the timer whose callback runs now */
  private runningTag: string | undefined;
  /** virtual ms of CPU time charged so far, per owner (statistics) */
  readonly cpuMs = new Map<string, number>();

  constructor(opts: ClockOptions = {}) {
    this.holdWatchdogMs = opts.holdWatchdogMs ?? 20000;
  }

  /** Virtual milliseconds since the simulation started (inside a computation: where it has got to). */
  now(): number {
    const k = this.computing !== undefined ? this.skew.get(this.computing) : undefined;
    return k ? this.t + k : this.t;
  }

  /** The owner's CPU is busy until this virtual time (now or earlier: idle). */
  busyUntil(owner: string): number {
    return this.busy.get(owner) ?? 0;
  }

  /**
   * `owner` computes for `ms` virtual ms right now, inside the running callback: its now() moves on by
   * ms (what it sends is stamped later) and its timers wait until the computation ends.
   */
  charge(owner: string, ms: number): void {
    if (!(ms > 0)) return;
    const k = (this.skew.get(owner) ?? 0) + ms;
    this.skew.set(owner, k);
    this.cpuMs.set(owner, (this.cpuMs.get(owner) ?? 0) + ms);
    if (this.t + k > this.busyUntil(owner)) this.busy.set(owner, this.t + k);
  }

  /** The owner stopped computing (a power cut): nothing of it is busy any more. */
  idle(owner: string): void {
    this.busy.delete(owner);
  }

  /** Run fn as `owner`'s code (now() includes its charged CPU time); returns fn's result. */
  as<T>(owner: string, fn: () => T): T {
    const prev = this.computing;
    this.computing = owner;
    try {
      return fn();
    } finally {
      this.computing = prev;
    }
  }

  /** The tag of the callback running now (CpuScheduler). */
  currentTag(): string | undefined {
    return this.runningTag;
  }

  /** Call fn once, ms virtual milliseconds from now. owner = board id or actor name (for cancelOwner). */
  setTimer(fn: () => void, ms: number, owner?: string): number {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: Timer = { t: this.now() + delay, seq: this.seq++, id: this.nextId++, fn, owner, live: true };
    if (this.cpu && owner !== undefined) timer.tag = this.cpu.tag(owner, this.runningTag);
    this.byId.set(timer.id, timer);
    if (owner !== undefined) {
      let set = this.byOwner.get(owner);
      if (!set) this.byOwner.set(owner, (set = new Set()));
      set.add(timer.id);
    }
    this.push(timer);
    this.kick();
    return timer.id;
  }

  /** Cancel one timer (unknown or already fired ids are ignored: the board emulation keeps its own books). */
  clearTimer(id: number): void {
    const timer = this.byId.get(id);
    if (timer) this.kill(timer);
  }

  /** Drop every timer of an owner (a power cut). Returns how many were cancelled. */
  cancelOwner(owner: string): number {
    const set = this.byOwner.get(owner);
    if (!set) return 0;
    let n = 0;
    for (const id of [...set]) {
      const timer = this.byId.get(id);
      if (timer) {
        this.kill(timer);
        n++;
      }
    }
    this.byOwner.delete(owner);
    return n;
  }

  /** Timers still pending (of one owner, or all). */
  pending(owner?: string): number {
    if (owner === undefined) return this.byId.size;
    return this.byOwner.get(owner)?.size ?? 0;
  }

  /** Virtual time of the next pending timer, or undefined. */
  nextTime(): number | undefined {
    const top = this.peek();
    return top ? top.t : undefined;
  }

  /**
   * Real I/O is in flight: virtual time may not advance past now until release() is called.
   * Timers already due at the current instant still run. release() is idempotent.
   */
  hold(label: string): () => void {
    const id = this.nextHold++;
    this.holds.set(id, { label, since: Date.now() });
    return () => {
      if (this.holds.delete(id)) this.kick();
    };
  }

  /** Labels of the holds outstanding right now. */
  heldBy(): string[] {
    return [...this.holds.values()].map((h) => h.label);
  }

  /** Run timers until stop() says so, the until time is reached, or nothing is left to do. */
  async run(opts: RunOptions = {}): Promise<RunResult> {
    if (this.running) throw new Error('sim: VirtualClock.run() is already running');
    this.running = true;
    const speed = opts.realtime === true ? 1 : typeof opts.realtime === 'number' ? opts.realtime : 0;
    const realStart = Date.now();
    const virtStart = this.t;
    let sinceYield = 0;
    try {
      for (;;) {
        if (opts.stop && opts.stop()) return 'stopped';
        const next = this.peek();
        if (this.holds.size > 0 && (!next || next.t > this.t)) {
          await this.waitForHolds();
          continue;
        }
        if (!next) return 'idle';
        if (opts.until !== undefined && next.t > opts.until) {
          if (opts.until > this.t) this.t = opts.until;
          return 'until';
        }
        if (speed > 0) {
          const wait = (next.t - virtStart) / speed - (Date.now() - realStart);
          if (wait >= 1) {
            await this.sleep(wait);
            continue; // something may have changed (real I/O, stop)
          }
        }
        this.pop();
        if (next.owner !== undefined && (this.cpu || this.busy.size) && this.later(next)) continue;
        this.byId.delete(next.id);
        if (next.owner !== undefined) this.byOwner.get(next.owner)?.delete(next.id);
        next.live = false;
        this.t = next.t;
        this.fired++;
        this.computing = next.owner;
        this.runningTag = next.tag;
        try {
          next.fn();
        } finally {
          this.settle();
        }
        if (++sinceYield >= 2000) {
          // let real I/O, signals and the host's own tasks breathe
          sinceYield = 0;
          await new Promise<void>((r) => setImmediate(r));
        }
      }
    } finally {
      this.running = false;
      this.wake = null;
    }
  }

  // ---- internals ----

  /** Device time: move a popped timer to the end of its owner's busy time or of its own CPU time. */
  private later(timer: Timer): boolean {
    const owner = timer.owner!;
    if (owner.endsWith(':hw')) {
      // a hardware event (power cut, button) set while the board computed inside one callback: that
      // callback ran to its end in one go, so the event comes after it, not at a time it already passed
      const done = this.doneAt.get(owner.slice(0, -3)) ?? 0;
      if (done <= timer.t) return false;
      timer.t = done;
      timer.seq = this.seq++;
      this.push(timer);
      return true;
    }
    const busy = this.busyUntil(owner);
    let until = busy > timer.t ? busy : 0;
    if (!until && this.cpu && timer.tag !== undefined && !timer.charged) {
      timer.charged = true;
      const cost = this.cpu.cost(owner, timer.tag);
      if (cost > 0) {
        until = timer.t + cost;
        this.busy.set(owner, until);
        this.cpuMs.set(owner, (this.cpuMs.get(owner) ?? 0) + cost);
      }
    }
    if (!until) return false;
    timer.t = until;
    timer.seq = this.seq++;
    this.push(timer);
    return true;
  }

  /** After a callback: its charged CPU time becomes busy time; now() is the clock's again. */
  private settle(): void {
    this.computing = undefined;
    this.runningTag = undefined;
    if (this.skew.size) {
      for (const [owner, k] of this.skew) this.doneAt.set(owner, this.t + k);
      this.skew.clear();
    }
  }

  private kick(): void {
    const w = this.wake;
    if (w) {
      this.wake = null;
      w();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async waitForHolds(): Promise<void> {
    const started = Date.now();
    try {
      while (this.holds.size > 0) {
        const next = this.peek();
        if (next && next.t <= this.t) return;
        const left = this.holdWatchdogMs - (Date.now() - started);
        if (left <= 0) throw new HoldTimeoutError(this.heldBy(), this.holdWatchdogMs, this.t);
        await this.sleep(left);
      }
    } finally {
      this.heldRealMs += Date.now() - started;
    }
  }

  private kill(timer: Timer): void {
    if (!timer.live) return;
    timer.live = false;
    this.byId.delete(timer.id);
    if (timer.owner !== undefined) this.byOwner.get(timer.owner)?.delete(timer.id);
    this.dead++;
    if (this.dead > 64 && this.dead > this.heap.length / 2) this.compact();
  }

  private compact(): void {
    const live = this.heap.filter((t) => t.live);
    live.sort((a, b) => (before(a, b) ? -1 : 1));
    this.heap = live; // a sorted array is a valid heap
    this.dead = 0;
  }

  private peek(): Timer | undefined {
    while (this.heap.length > 0 && !this.heap[0].live) {
      this.pop();
      this.dead--;
    }
    return this.heap[0];
  }

  private push(timer: Timer): void {
    const h = this.heap;
    let i = h.length;
    h.push(timer);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(timer, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = timer;
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(h[r], h[l]) ? r : l;
        if (!before(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

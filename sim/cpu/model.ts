// Device time: what the firmware computes costs virtual time, as on the board.
//
// The costs are the calibration table (sim/cpu/calibration.json, made by sim/cpu/calibrate.ts on the
// real interpreter: CPU ms of each operation on the measuring machine) times a board factor:
//   --cpu esp32   (default) factor 30: an ESP32 runs the interpreter ~30x slower than the measuring
//                 machine runs the Linux build (estimate, range 20-50x; docs/SIMULATOR.md "Device time")
//   --cpu host    factor 1: the real interpreter on the measuring machine
//   --cpu-factor N  any factor > 0
// Nothing is measured on V8. The emulated board is costed where the firmware calls into it:
//   - boot: evaluating the app (Storage `.bootcde` and the app it loads)            costsMs.boot
//   - every firmware callback (a timer, a radio/network/pin event)                  costsMs.callback
//   - each native SHA-256 call (with the JavaScript of HMAC/DRBG around it)          sha256.call + sha256.byte x length
//   - each native AES block (with the JavaScript of CMAC/CCM around it)              aes.call
//   - each slice of a sliced P-256 operation (key pair, ECDH, verify, sign)          p256.<op>.slice
//   - each TLS handshake (native mbedTLS; charged when the socket's connect callback runs) tls.handshake
//   - each JSON.parse (the DSS bodies, records read from Storage)                       json.call + json.byte x length
// A P-256 slice is recognised at the bundle's function boundaries without touching the bundle: the
// stack of the setTimeout that schedules it runs through firmware/crypto/p256.ts's `defer` call (mapped
// with dist/firmware.js.map), and the exported function that started it (ecdhSliced, verifySliced...)
// names the operation. While a board computes, its timers and the events the world delivers to it wait
// (sim/clock.ts CpuScheduler), as on the single-threaded interpreter.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sourceMapJs from 'source-map-js';
import type { CpuScheduler, VirtualClock } from '../clock';
import type { Board } from '../board/board';
import { cryptoModule } from '../board/crypto';

const { SourceMapConsumer } = sourceMapJs;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const CALIBRATION_FORMAT = 'ffs-cpu-calibration/1';
/** The committed table; FFS_CPU_CALIBRATION names another file (tests, a re-measured table). */
export const CALIBRATION_PATH = process.env.FFS_CPU_CALIBRATION || path.join(root, 'sim', 'cpu', 'calibration.json');

/** Board profiles: the factor over the calibration (the measuring machine's real interpreter). */
export const CPU_PROFILES: Record<string, { factor: number; about: string }> = {
  esp32: { factor: 30, about: 'ESP32 (240 MHz Xtensa LX6) running Espruino 2v29: ~30x the measuring machine, range 20-50x' },
  host: { factor: 1, about: 'the real interpreter on the measuring machine' },
};

export const COST_KEYS = [
  'boot', 'callback', 'sha256.call', 'sha256.byte', 'aes.call',
  'p256.keygen.slice', 'p256.ecdh.slice', 'p256.verify.slice', 'p256.sign.slice',
  'tls.handshake', 'json.call', 'json.byte',
] as const;
export type CostKey = (typeof COST_KEYS)[number];

export interface Calibration {
  format: string;
  firmwareVersion: string;
  measured: Record<string, unknown>;
  /** real-interpreter CPU ms on the measuring machine */
  costsMs: Record<CostKey, number>;
  p256TotalsMs?: Record<string, number>;
  /** JsVars per stage measured on the interpreter (sim/trace.ts, the timeline's summary) */
  memory?: { total: number; stages: Array<{ stage: string; jsVars: number; note: string }> };
  raw?: unknown;
}

/** A bad --cpu, --cpu-factor or calibration file: one line, exit 2. */
export class CpuConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CpuConfigError';
  }
}

export interface CpuSpec {
  /** 'esp32', 'host' or 'factor' */
  name: string;
  factor: number;
}

/** --cpu NAME / --cpu-factor N (strings as typed) to a spec; throws CpuConfigError. */
export function parseCpuSpec(cpu?: string, factor?: string): CpuSpec {
  if (factor !== undefined) {
    const f = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(factor) ? Number(factor) : NaN;
    if (!Number.isFinite(f) || f <= 0) throw new CpuConfigError(`--cpu-factor: expected a number > 0, got ${JSON.stringify(factor)}`);
    if (cpu !== undefined) throw new CpuConfigError('--cpu and --cpu-factor: give one of them');
    return { name: 'factor', factor: f };
  }
  const name = cpu ?? 'esp32';
  const p = CPU_PROFILES[name];
  if (!p) throw new CpuConfigError(`--cpu: unknown board ${JSON.stringify(name)} (known: ${Object.keys(CPU_PROFILES).join(', ')}; or --cpu-factor N)`);
  return { name, factor: p.factor };
}

/** The firmware version this tree builds (firmware/version.ts FIRMWARE_VERSION). */
export function firmwareVersion(): string {
  const src = readFileSync(path.join(root, 'firmware', 'version.ts'), 'utf8');
  const m = /FIRMWARE_VERSION\s*=\s*'([^']+)'/.exec(src);
  return m ? m[1] : 'unknown';
}

/** Load and check the calibration table; throws CpuConfigError (one line) when unusable. */
export function loadCalibration(file = CALIBRATION_PATH, version = firmwareVersion()): Calibration {
  const rel = path.relative(process.cwd(), file) || file;
  if (!existsSync(file)) throw new CpuConfigError(`${rel}: calibration file missing (make it with: node --import tsx sim/cpu/calibrate.ts)`);
  let doc: any;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CpuConfigError(`${rel}: calibration file is not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object' || doc.format !== CALIBRATION_FORMAT) {
    throw new CpuConfigError(`${rel}: not a calibration table (format ${JSON.stringify(doc && doc.format)}, expected ${JSON.stringify(CALIBRATION_FORMAT)})`);
  }
  const bad = COST_KEYS.filter((k) => !(doc.costsMs && typeof doc.costsMs[k] === 'number' && Number.isFinite(doc.costsMs[k]) && doc.costsMs[k] >= 0));
  if (bad.length) throw new CpuConfigError(`${rel}: costsMs.${bad[0]}: expected a number of ms >= 0${bad.length > 1 ? ` (and ${bad.length - 1} more)` : ''}`);
  if (doc.firmwareVersion !== version) {
    throw new CpuConfigError(`${rel}: measured on firmware ${JSON.stringify(doc.firmwareVersion)}, this is ${JSON.stringify(version)}: re-run node --import tsx sim/cpu/calibrate.ts`);
  }
  return doc as Calibration;
}

// ---------------------------------------------------------------------------------------------
// Recognising P-256 slices from a stack (firmware frames mapped to the TypeScript source)
// ---------------------------------------------------------------------------------------------

const P256 = 'firmware/crypto/p256.ts';
const OPS: Record<string, string> = { generateKeyPairSliced: 'keygen', ecdhSliced: 'ecdh', verifySliced: 'verify', signSliced: 'sign' };

interface Frame { source: string; line: number }

class AppFrames {
  private consumer: InstanceType<typeof SourceMapConsumer> | null = null;
  private byRaw = new Map<string, Frame | null>();
  private lines = new Map<string, string[]>();
  /** p256.ts: [first line, last line] of each exported sliced operation */
  private opRanges: Array<[string, number, number]> = [];

  constructor(map: string | undefined) {
    if (!map) return;
    try {
      const raw = JSON.parse(map);
      this.consumer = new SourceMapConsumer(raw);
      (raw.sources as string[]).forEach((s, i) => {
        const name = s.replace(/^(\.\.\/)+/, '');
        const text = raw.sourcesContent?.[i];
        if (typeof text === 'string') this.lines.set(name, text.split('\n'));
      });
      const p = this.lines.get(P256) ?? [];
      p.forEach((l, i) => {
        const m = /^export function (\w+)\s*\(/.exec(l);
        if (m && OPS[m[1]]) {
          let end = i;
          while (end < p.length && p[end] !== '}') end++;
          this.opRanges.push([OPS[m[1]], i + 1, end + 1]);
        }
      });
    } catch {
      this.consumer = null;
    }
  }

  /** The firmware frames of a V8 stack, innermost first. */
  frames(stack: string): Frame[] {
    const out: Frame[] = [];
    for (const raw of stack.split('\n')) {
      if (!raw.includes('<anonymous>') && !raw.includes('.bootcde')) continue;
      let f = this.byRaw.get(raw);
      if (f === undefined) {
        f = null;
        const m = /([^\s(),]+):(\d+):(\d+)\)?\s*$/.exec(raw);
        if (m && this.consumer) {
          const pos = this.consumer.originalPositionFor({ line: Number(m[2]), column: Number(m[3]) - 1 });
          if (pos.source && pos.line) f = { source: pos.source.replace(/^(\.\.\/)+/, ''), line: pos.line };
        }
        if (this.byRaw.size > 20000) this.byRaw.clear();
        this.byRaw.set(raw, f);
      }
      if (f) out.push(f);
    }
    return out;
  }

  /** 'p256.<op>' when this stack schedules a slice of a P-256 operation ('' when it is one of unknown op), else null. */
  sliceOp(frames: Frame[]): string | null {
    const inner = frames.find((f) => f.source === P256);
    if (!inner) return null;
    const text = this.lines.get(P256)?.[inner.line - 1] ?? '';
    if (!text.includes('.defer(')) return null; // e.g. onDone called from the last slice
    for (const f of frames) {
      if (f.source !== P256) continue;
      for (const [op, a, b] of this.opRanges) if (f.line >= a && f.line <= b) return 'p256.' + op;
    }
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

export interface CpuModelOptions {
  clock: VirtualClock;
  calibration: Calibration;
  spec: CpuSpec;
  /** dist/firmware.js.map (P-256 slices are recognised through it) */
  sourceMap?: string;
}

/** Per-board statistics of charged device time (virtual ms). */
export interface CpuStats { total: number; byKind: Record<string, number> }

export class CpuModel implements CpuScheduler {
  readonly factor: number;
  readonly calibration: Calibration;
  private readonly costs: Calibration['costsMs'];
  private readonly boards = new Map<string, Board>();
  private readonly memory = new Map<string, { jsVars: number; note: string }>();
  private readonly app: AppFrames;
  readonly stats = new Map<string, CpuStats>();

  constructor(private readonly o: CpuModelOptions) {
    this.factor = o.spec.factor;
    this.calibration = o.calibration;
    this.costs = o.calibration.costsMs;
    this.app = new AppFrames(o.sourceMap);
    for (const m of o.calibration.memory?.stages ?? []) this.memory.set(m.stage, m);
    o.clock.cpu = this;
  }

  /** A timeline line with the JsVars a stage uses, measured on the interpreter (issue: memory in the picture). */
  private memoryEvent(board: Board, stage: string, what: string): void {
    const m = this.memory.get(stage);
    if (!m) return;
    const total = this.o.calibration.memory?.total ?? 16383;
    const sign = stage === 'boot' ? '' : '+';
    board.emit({ actor: 'device', kind: 'memory', summary: `${what}: ${sign}${m.jsVars.toLocaleString('en')} JsVars of ${total.toLocaleString('en')} (measured on the interpreter)`, fields: { stage, jsVars: m.jsVars, total } });
  }

  /** Virtual ms of one cost item at this board's speed. */
  ms(key: CostKey, n = 1): number {
    return this.costs[key] * n * this.factor;
  }

  private count(owner: string, kind: string, ms: number): void {
    let s = this.stats.get(owner);
    if (!s) this.stats.set(owner, (s = { total: 0, byKind: {} }));
    s.total += ms;
    s.byKind[kind] = (s.byKind[kind] ?? 0) + ms;
  }

  /** Charge `ms` of computation to a board, now (inside the running callback). */
  charge(board: string, kind: string, ms: number): void {
    if (!(ms > 0)) return;
    this.count(board, kind, ms);
    this.o.clock.charge(board, ms);
  }

  // CpuScheduler
  tag(owner: string, parent: string | undefined): string | undefined {
    const board = this.boards.get(owner);
    if (!board) return undefined;
    const limit = Error.stackTraceLimit;
    const prepare = Error.prepareStackTrace;
    Error.stackTraceLimit = 60;
    // V8's own frame text (file:line:col of the bundle), not Node's source-mapped one (tsx turns source
    // maps on): the same lines, several times faster, and this runs for every timer the firmware sets
    Error.prepareStackTrace = (_e, sites) => sites.map((c) => '    at ' + String(c)).join('\n');
    const stack = new Error().stack ?? '';
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
    const frames = this.app.frames(stack);
    if (!frames.length) return undefined; // host work of the emulated board (its own callbacks are charged in call())
    const op = this.app.sliceOp(frames);
    if (op === null) return 'cb';
    if (op) {
      const name: Record<string, string> = { 'p256.keygen': 'P-256 key pair', 'p256.ecdh': 'P-256 ECDH', 'p256.verify': 'P-256 signature check', 'p256.sign': 'P-256 signing' };
      this.memoryEvent(board, op, `${name[op] ?? op} working set`);
      return op;
    }
    return parent && parent.startsWith('p256.') ? parent : 'p256.ecdh';
  }

  cost(owner: string, tag: string): number {
    const key: CostKey = tag === 'cb' ? 'callback' : ((tag + '.slice') as CostKey);
    const ms = this.ms('callback') + (tag === 'cb' ? 0 : this.ms(key));
    this.count(owner, tag === 'cb' ? 'callback' : tag, ms);
    return ms;
  }

  /** Cost the board's entry points: boot, callbacks from the emulated modules, native crypto. */
  attach(board: Board): void {
    const clock = this.o.clock;
    const id = board.id;
    this.boards.set(id, board);
    const b = board as unknown as Record<string, any>;
    // the world hands an event to the firmware: it waits while the board computes, then costs a callback
    const call = board.call.bind(board);
    b.call = (fn: unknown, thisArg?: unknown, args?: unknown[]): unknown => {
      const wait = clock.busyUntil(id) - clock.now();
      if (wait > 0) {
        clock.setTimer(() => b.call(fn, thisArg, args), wait, id);
        return undefined;
      }
      return clock.as(id, () => {
        this.charge(id, 'callback', this.ms('callback'));
        return call(fn, thisArg, args);
      });
    };
    const emitTo = board.emitTo.bind(board);
    b.emitTo = (target: object, event: string, ...args: unknown[]): void => {
      const wait = clock.busyUntil(id) - clock.now();
      if (wait > 0) {
        clock.setTimer(() => b.emitTo(target, event, ...args), wait, id);
        return;
      }
      clock.as(id, () => {
        this.charge(id, 'callback', this.ms('callback'));
        emitTo(target, event, ...args);
      });
    };
    // power-on: the boot runs as the board's code; evaluating the boot code costs the boot
    const powerOff = board.powerOff.bind(board);
    b.powerOff = (reason?: string): void => {
      clock.idle(id); // a power cut ends whatever the CPU was doing
      powerOff(reason);
    };
    const powerOn = board.powerOn.bind(board);
    b.powerOn = (): void => clock.as(id, powerOn);
    const compile = board.compile.bind(board);
    b.compile = (code: string, filename: string) => {
      if (filename === '.bootcde' || filename === '.bootrst') {
        this.charge(id, 'boot', this.ms('boot'));
        this.memoryEvent(board, 'boot', 'app loaded');
        this.costJson(board);
      }
      return compile(code, filename);
    };
    // the TLS handshake: mbedTLS computes it natively on the interpreter's thread after the socket's
    // 'connect' (socketserver.c fires 'connect' before the handshake ends; writes wait for it): charged
    // when the firmware's connect callback runs, so what it writes and every answer come after it
    const moduleFactory = board.moduleFactory.bind(board);
    b.moduleFactory = (name: string) => {
      const f = moduleFactory(name);
      if (name !== 'tls' || !f) return f;
      return (bd: Board) => {
        const mod = f(bd) as { connect: (o: unknown, cb?: unknown) => unknown };
        return bd.strict('tls', bd.object({
          connect: (o: unknown, cb?: unknown) => {
            const handshake = (...args: unknown[]) => {
              this.charge(id, 'tls', this.ms('tls.handshake'));
              return (cb as (...a: unknown[]) => unknown)(...args);
            };
            return mod.connect(o, typeof cb === 'function' ? handshake : cb);
          },
        }));
      };
    };
  }

  /** JSON.parse of the board's session costs its input's length (the DSS bodies, the records read at boot). */
  private costJson(board: Board): void {
    const J = (board.realm as unknown as { JSON?: { parse: (...a: unknown[]) => unknown } }).JSON; // (the session's own JSON)
    if (!J || (J.parse as { costed?: boolean }).costed) return;
    const parse = J.parse;
    const model = this;
    const costed = function (this: unknown, text: unknown, ...rest: unknown[]) {
      const n = typeof text === 'string' ? text.length : String(text).length;
      model.charge(board.id, 'json', model.ms('json.call') + model.ms('json.byte', n));
      return parse.call(J, text, ...rest);
    };
    (costed as { costed?: boolean }).costed = true;
    J.parse = costed;
  }

  /** The `crypto` module of the ESP32 build, each native call costed. */
  cryptoFactory(): (board: Board) => unknown {
    return (board: Board) => {
      const mod = (cryptoModule as unknown as (b: Board) => Record<string, any>)(board);
      const sha = mod.SHA256 as (m: unknown) => unknown;
      mod.SHA256 = (m: unknown) => {
        const n = typeof m === 'string' ? m.length : m && typeof (m as { length?: unknown }).length === 'number' ? (m as { length: number }).length : (m as ArrayBuffer)?.byteLength ?? 0;
        this.charge(board.id, 'sha256', this.ms('sha256.call') + this.ms('sha256.byte', n));
        return sha(m);
      };
      const aes = mod.AES as { encrypt: (...a: unknown[]) => unknown; decrypt: (...a: unknown[]) => unknown };
      const cost = (m: unknown) => {
        const n = m && typeof (m as { length?: unknown }).length === 'number' ? (m as { length: number }).length : 16;
        this.charge(board.id, 'aes', this.ms('aes.call', Math.max(1, Math.ceil(n / 16))));
      };
      mod.AES = {
        encrypt: (...a: unknown[]) => (cost(a[0]), aes.encrypt(...a)),
        decrypt: (...a: unknown[]) => (cost(a[0]), aes.decrypt(...a)),
      };
      return mod;
    };
  }
}

/** Per flow, what the Espruino lane measured on the real interpreter (tools/espruino/measurements/*.json,
 *  newest file): peak JsVars and the longest event-loop block, shown with the memory stages. */
export interface LaneMemory { file: string; date: string; bootJsVars: number | null; flows: Array<{ flow: string; peakJsVars: number | null; longestBlockMs: number | null; outcome: string }> }

export function laneMemory(dir = path.join(root, 'tools', 'espruino', 'measurements')): LaneMemory | null {
  try {
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
    // the newest measurement (by the date the lane wrote in it), not the last file name
    const docs = files.map((f) => ({ f, doc: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) }));
    docs.sort((a, b) => String(b.doc.date ?? '').localeCompare(String(a.doc.date ?? '')) || b.f.localeCompare(a.f));
    for (const { f, doc } of docs) {
      // (the lane's format: {flows: {bootJsVars, flows: [...]}}; a plain {flows: [...]} is read too)
      const flows = Array.isArray(doc.flows) ? doc.flows : Array.isArray(doc.flows?.flows) ? doc.flows.flows : [];
      if (!flows.length) continue;
      return {
        file: path.join('tools', 'espruino', 'measurements', f),
        date: String(doc.date ?? ''),
        bootJsVars: typeof doc.flows?.bootJsVars === 'number' ? doc.flows.bootJsVars : null,
        flows: flows.map((x: any) => ({ flow: String(x.flow), peakJsVars: typeof x.peakJsVars === 'number' ? x.peakJsVars : null,
          longestBlockMs: typeof x.longestBlockMs === 'number' ? x.longestBlockMs : null, outcome: String(x.outcome ?? '') })),
      };
    }
  } catch {
    /* a malformed lane file: no lane numbers (the lane reports its own errors) */
  }
  return null;
}

/** A one-line summary of a spec, for the CLI header. */
export function describeCpu(spec: CpuSpec): string {
  if (spec.name === 'factor') return `device time at ${spec.factor}x the real interpreter`;
  return `device time: --cpu ${spec.name} (${spec.factor}x the real interpreter on the measuring machine)`;
}

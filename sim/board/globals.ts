// The globals of one interpreter session (one power-on, load() or reset()) of an emulated Espruino
// board: console/print, timers on the virtual clock, getTime/Date, E, process, pins, require(), load/
// reset/save, atob/btoa, the Storage and TelnetServer modules. Facts from Espruino's sources are
// cited where they matter (src/jswrap_interactive.c, src/jsinteractive.c, src/jsutils.c, src/jsflash.c).

import vm from 'node:vm';
import type { Board } from './board';
import { StorageError, normaliseName } from './storage';

/** Espruino's TIMER_MIN_INTERVAL (src/jsinteractive.h): shorter timeouts/intervals are raised to it. */
export const TIMER_MIN_INTERVAL_MS = 0.1;

/** Constructors and helpers of the session's own realm (values handed into the vm must come from here). */
export interface Realm {
  Object: ObjectConstructor;
  Array: ArrayConstructor;
  Error: ErrorConstructor;
  TypeError: TypeErrorConstructor;
  RangeError: RangeErrorConstructor;
  SyntaxError: SyntaxErrorConstructor;
  ReferenceError: ReferenceErrorConstructor;
  Uint8Array: Uint8ArrayConstructor;
  ArrayBuffer: ArrayBufferConstructor;
  DataView: DataViewConstructor;
  Float64Array: Float64ArrayConstructor;
  Int32Array: Int32ArrayConstructor;
  Uint32Array: Uint32ArrayConstructor;
  JSON: JSON;
  Promise: PromiseConstructor;
  /** Espruino's Object.prototype.emit, callable from the host */
  emit(target: object, event: string, args: unknown[]): void;
  /** how many listeners `target.on(event, ...)` registered */
  listenerCount(target: object, event: string): number;
}

/** Host values that stand in for Espruino's "Pin" objects. */
export interface PinObject {
  readonly __pin: string;
}

// Runs once inside every new context, before any firmware code: Espruino's event emitter on every
// object (Object.prototype.on/emit/removeListener/removeAllListeners are native on Espruino), the
// virtual Date, the device's Math.random, then the removal of built-ins Espruino does not have.
const PRELUDE = `(function (host) {
  var listeners = new WeakMap();
  function table(o, create) {
    var t = listeners.get(o);
    if (!t && create) { t = Object.create(null); listeners.set(o, t); }
    return t;
  }
  function def(name, fn) {
    Object.defineProperty(Object.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
  def('on', function (ev, fn) { var t = table(this, true); (t[ev] || (t[ev] = [])).push(fn); });
  def('addListener', function (ev, fn) { var t = table(this, true); (t[ev] || (t[ev] = [])).push(fn); });
  def('prependListener', function (ev, fn) { var t = table(this, true); (t[ev] || (t[ev] = [])).unshift(fn); });
  def('removeListener', function (ev, fn) {
    var t = table(this, false); if (!t || !t[ev]) return;
    var i = t[ev].indexOf(fn); if (i >= 0) t[ev].splice(i, 1);
    if (!t[ev].length) delete t[ev];
  });
  def('removeAllListeners', function (ev) {
    if (ev === undefined) { listeners.delete(this); return; }
    var t = table(this, false); if (t) delete t[ev];
  });
  def('emit', function (ev) {
    var t = table(this, false); var l = t && t[ev]; if (!l) return;
    var args = Array.prototype.slice.call(arguments, 1); l = l.slice();
    for (var i = 0; i < l.length; i++) l[i].apply(this, args);
  });
  var RealDate = Date;
  class SimDate extends RealDate {
    constructor() { if (arguments.length === 0) super(host.nowMs()); else super(...arguments); }
    static now() { return host.nowMs(); }
  }
  globalThis.Date = SimDate;
  Math.random = function random() { return host.random(); };
  // TypedArray.prototype.subarray as Espruino 2v29 has it (src/jswrap_arraybuffer.c
  // jswrap_arraybufferview_subarray; measured on the real interpreter by the Espruino lane): a negative
  // index counts from the end, begin > end gives an empty view, but END IS NOT CLAMPED to the view's
  // length: the result reaches past it into the underlying buffer, and past the buffer's end it reads 0
  // (the typed-array constructor does not check byteOffset + length). V8 clamps, so code that relies on
  // clamping passes here unless this is emulated.
  var TA = Object.getPrototypeOf(Uint8Array.prototype);
  var v8Subarray = TA.subarray;
  Object.defineProperty(TA, 'subarray', { writable: true, configurable: true, enumerable: false, value: function subarray(begin, end) {
    var len = this.length;
    begin = Math.floor(Number(begin)) || 0;
    end = typeof end === 'number' || (typeof end === 'string' && end !== '' && !isNaN(Number(end))) ? Math.floor(Number(end)) || 0 : len;
    if (begin < 0) begin += len;
    if (end < 0) end += len;
    if (end < 0) end = 0;
    if (begin > end) { begin = 0; end = 0; }
    var size = this.BYTES_PER_ELEMENT;
    var byteOffset = this.byteOffset + begin * size;
    if (byteOffset < 0 || byteOffset > 65535) throw new Error('byteOffset too large (or negative)');
    if (end <= len) return v8Subarray.call(this, begin, end);
    var n = end - begin;
    var inBuffer = Math.max(0, Math.min(n, Math.floor((this.buffer.byteLength - byteOffset) / size)));
    if (inBuffer === n) return new this.constructor(this.buffer, byteOffset, n);
    // past the end of the buffer: the bytes there read as 0 (a copy: writes past the end are lost)
    var out = new this.constructor(n);
    out.set(new this.constructor(this.buffer, byteOffset, inBuffer));
    return out;
  } });
  var realm = {
    Object: Object, Array: Array, Error: Error, TypeError: TypeError, RangeError: RangeError,
    SyntaxError: SyntaxError, ReferenceError: ReferenceError, Uint8Array: Uint8Array,
    ArrayBuffer: ArrayBuffer, DataView: DataView, Float64Array: Float64Array, Int32Array: Int32Array,
    Uint32Array: Uint32Array, JSON: JSON, Promise: Promise,
    emit: function (o, ev, args) { Object.prototype.emit.apply(o, [ev].concat(args)); },
    listenerCount: function (o, ev) { var t = table(o, false); return t && t[ev] ? t[ev].length : 0; }
  };
  // Built-ins the interpreter does not have (docs/BUILD.md, build/espruino-api.json): absent, as on the board.
  ['Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Symbol', 'Proxy', 'Reflect',
   'BigInt', 'BigInt64Array', 'BigUint64Array', 'SharedArrayBuffer', 'Atomics', 'Intl', 'WebAssembly',
   'AggregateError', 'TextEncoder', 'TextDecoder'].forEach(function (n) { delete globalThis[n]; });
  return realm;
})`;

let preludeScript: vm.Script | undefined;

// Unhandled promise rejections inside a board: Node reports them process-wide, so find the session by
// its realm's Promise and print `Uncaught ...` there (Espruino reports them the same way). Anything
// else stays an error of the simulator itself.
const sessionsByPromise = new WeakMap<object, Session>();
let rejectionHandlerInstalled = false;
function installRejectionHandler(): void {
  if (rejectionHandlerInstalled) return;
  rejectionHandlerInstalled = true;
  process.on('unhandledRejection', (reason, promise) => {
    const proto = promise ? Object.getPrototypeOf(promise) : null;
    const session = proto ? sessionsByPromise.get(proto.constructor) : undefined;
    if (!session) {
      process.nextTick(() => {
        throw reason;
      });
      return;
    }
    if (session.alive) session.reportUncaught(reason);
  });
}
const callScript = new vm.Script('__sim$call()', { filename: 'sim:call' });

/**
 * Globals of the ESP32 Espruino build that this emulator does not provide. Reaching one throws
 * `sim: <name> is not emulated` (and the timeline shows it), never a silent undefined.
 */
export const NOT_EMULATED_GLOBALS = [
  'analogRead', 'analogWrite', 'digitalPulse', 'shiftOut', 'peek8', 'peek16', 'peek32', 'poke8', 'poke16',
  'poke32', 'setBusyIndicator', 'setSleepIndicator', 'dump', 'edit', 'trace', 'Serial1', 'Serial2', 'Serial3',
  'SPI1', 'SPI2', 'I2C1', 'I2C2', 'Serial', 'SPI', 'I2C', 'OneWire', 'Waveform', 'Graphics', 'Pin', 'Flash',
  'LoopbackA', 'LoopbackB', 'Telnet', 'USB', 'Bluetooth', 'Terminal', 'Microbit', 'Puck', 'Badge', 'Pixl',
  'Bangle', 'Wifi', 'ESP8266', 'NRF', 'ESP32',
];

/** NRF members of the ESP32 build (libs/bluetooth/jswrap_bluetooth.c entries compiled for ESP32). */
export const NRF_API = [
  'setAdvertising', 'setScanResponse', 'updateServices', 'setScan', 'findDevices', 'setTxPower', 'getAddress',
  'disconnect', 'sleep', 'wake', 'getAdvertisingData', 'requestDevice', 'connect', 'setConnectionInterval',
  'restart', 'getSecurityStatus',
];

/** Optional globals a firmware profile may include (absent from the profile = undefined, as on such a board). */
export const PROFILE_GLOBALS = ['NRF', 'ESP32'];

const PASS_THROUGH_KEYS = new Set([
  'then', 'toJSON', 'inspect', 'constructor', 'nodeType', '$$typeof', 'asymmetricMatch', '__esModule',
  'prototype', 'valueOf', 'toString', 'length', 'name',
]);

/** Format a value the way Espruino's print/console.log does (strings raw, others as pretty JSON). */
export function formatValue(v: unknown, depth = 0): string {
  if (typeof v === 'string') return depth === 0 ? v : JSON.stringify(v);
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'function') return depth > 0 ? 'function () { [code] }' : String(v);
  if (typeof v !== 'object') return String(v);
  if (isErrorLike(v)) return `${(v as Error).name}: ${(v as Error).message}`;
  if (typeof (v as PinObject).__pin === 'string') return (v as PinObject).__pin;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const name = Object.prototype.toString.call(v).slice(8, -1);
    return `new ${name}([${Array.from(v as unknown as ArrayLike<number>).join(', ')}])`;
  }
  if (Object.prototype.toString.call(v) === '[object ArrayBuffer]') {
    return `new Uint8Array([${Array.from(new Uint8Array(v as ArrayBuffer)).join(', ')}]).buffer`;
  }
  if (depth > 6) return '...';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[  ]';
    return '[ ' + v.map((x) => formatValue(x, depth + 1)).join(', ') + ' ]';
  }
  const keys = Object.keys(v as object);
  if (keys.length === 0) return '{  }';
  return '{ ' + keys.map((k) => JSON.stringify(k) + ': ' + formatValue((v as any)[k], depth + 1)).join(', ') + ' }';
}

function formatNumber(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) return String(n);
  return String(Number(n.toPrecision(12))); // Espruino prints 12 significant digits
}

export function isErrorLike(v: unknown): boolean {
  if (!v || typeof v !== 'object') return false;
  return Object.prototype.toString.call(v) === '[object Error]';
}

/** Describe a thrown value as Espruino's "Uncaught ..." line does. */
export function describeThrown(e: unknown): string {
  if (isErrorLike(e)) return `${(e as Error).name}: ${(e as Error).message}`;
  if (typeof e === 'string') return JSON.stringify(e);
  return formatValue(e, 1);
}

/** Bytes of a value the way Espruino's JSV_GET_AS_CHAR_ARRAY sees it (strings are one byte per char). */
export function toBytes(v: unknown): Uint8Array {
  if (typeof v === 'string') return Uint8Array.from(Buffer.from(v, 'latin1'));
  if (ArrayBuffer.isView(v)) {
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
  }
  if (Object.prototype.toString.call(v) === '[object ArrayBuffer]') return new Uint8Array(v as ArrayBuffer).slice();
  if (Array.isArray(v)) return Uint8Array.from(v.map((x) => Number(x) & 0xff));
  return Uint8Array.from(Buffer.from(String(v), 'latin1'));
}

/** E.toUint8Array's flattening: numbers are bytes, strings their chars, arrays/typed arrays recursed, {data,count}. */
function flatten(args: unknown[], out: number[]): void {
  for (const a of args) {
    if (typeof a === 'number') out.push(a & 0xff);
    else if (typeof a === 'string') for (let i = 0; i < a.length; i++) out.push(a.charCodeAt(i) & 0xff);
    else if (ArrayBuffer.isView(a)) {
      const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      if (a instanceof Object && (a as any).BYTES_PER_ELEMENT > 1) flatten(Array.from(a as any), out);
      else for (let i = 0; i < b.length; i++) out.push(b[i]);
    } else if (Object.prototype.toString.call(a) === '[object ArrayBuffer]') {
      for (const x of new Uint8Array(a as ArrayBuffer)) out.push(x);
    } else if (Array.isArray(a)) flatten(a, out);
    else if (a && typeof a === 'object' && 'data' in (a as object)) {
      const count = Number((a as any).count ?? 1);
      for (let i = 0; i < count; i++) flatten([(a as any).data], out);
    } else if (typeof a === 'boolean') out.push(a ? 1 : 0);
  }
}

/**
 * The device's random generator: Espruino's rand() in src/jsutils.c (Marsaglia multiply-with-carry,
 * fixed seed 0xDEADBEEF / 0xCAFEBABE, never reseeded on ESP32). E.hwRand() and Math.random() both
 * draw from it (targets/esp32/jshardware.c jshGetRandomNumber), so every boot repeats the same numbers
 * until E.srand(v) is called. RAND_MAX is 0x7FFFFFFF (newlib).
 */
export class EspruinoRand {
  private w = 0xdeadbeef;
  private z = 0xcafebabe;

  reset(): void {
    this.w = 0xdeadbeef;
    this.z = 0xcafebabe;
  }

  srand(seed: number): void {
    const s = seed >>> 0;
    this.w = ((s & 0xffff) | (s << 16)) >>> 0;
    this.z = ((s & 0xffff0000) | (s >>> 16)) >>> 0;
  }

  /** rand(): 0 .. 0x7FFFFFFF */
  next(): number {
    this.z = (36969 * (this.z & 65535) + (this.z >>> 16)) >>> 0;
    this.w = (18000 * (this.w & 65535) + (this.w >>> 16)) >>> 0;
    return (((this.z << 16) >>> 0) + this.w) & 0x7fffffff;
  }

  /** Math.random(): rand() / (RAND_MAX + 1) */
  random(): number {
    return this.next() / 2147483648;
  }
}

interface TimerRec {
  clockId: number;
  fn: unknown;
  args: unknown[];
  interval: number | undefined;
  due: number;
}

interface WatchRec {
  pin: string;
  fn: unknown;
  repeat: boolean;
  edge: 1 | -1 | 0;
  debounce: number;
  data: unknown;
  lastTime: number | undefined;
  lastState: number;
  pendingClock: number | undefined;
}

/** One interpreter session: its vm context, realm, timers, watches and module instances. */
export class Session {
  readonly context: vm.Context;
  readonly realm: Realm;
  readonly global: Record<string, any>;
  alive = true;
  readonly timers = new Map<number, TimerRec>();
  readonly watches = new Map<number, WatchRec>();
  private readonly modules = new Map<string, unknown>();
  private readonly cachedModules = new Map<string, unknown>();
  private readonly owner: string;
  processObj: any;
  E: any;

  constructor(readonly board: Board) {
    this.owner = board.id;
    this.global = Object.create(null);
    this.context = vm.createContext(this.global, {
      name: `board ${board.id}`,
      microtaskMode: 'afterEvaluate',
      codeGeneration: { strings: true, wasm: false },
    });
    preludeScript ??= new vm.Script(PRELUDE, { filename: 'sim:prelude' });
    const host = { nowMs: () => board.systemTimeMs(), random: () => board.rand.random() };
    this.realm = preludeScript.runInContext(this.context)(host);
    installRejectionHandler();
    sessionsByPromise.set(this.realm.Promise, this);
    this.global = vm.runInContext('globalThis', this.context) as Record<string, any>;
    this.defineTrampoline();
  }

  /** Install the globals (called by the board once this session is its current one). */
  installGlobals(): void {
    this.install(this.global);
  }

  // ---- errors and strictness ----

  /** An Error of this realm (what the firmware's catch blocks see). */
  error(message: string, ctor: 'Error' | 'TypeError' | 'RangeError' = 'Error'): Error {
    return new this.realm[ctor](message);
  }

  /** Throw `sim: <name> is not emulated` (and put it on the timeline so a caught one is still seen). */
  notEmulated(name: string): never {
    this.board.timeline.emit({ actor: 'sim', kind: 'missing', summary: `${name} is not emulated`, board: this.board.id });
    throw this.error(`sim: ${name} is not emulated`);
  }

  /**
   * Wrap an object so that reading a member it lacks throws `sim: <label>.<member> is not emulated`
   * instead of giving undefined. Members set later by the firmware read back normally.
   */
  strict<T extends object>(label: string, target: T): T {
    const session = this;
    return new Proxy(target, {
      get(t, key, receiver) {
        if (typeof key === 'symbol' || key in t || PASS_THROUGH_KEYS.has(key)) return Reflect.get(t, key, receiver);
        return session.notEmulated(`${label}.${key}`);
      },
    });
  }

  /** A realm object with these members (a plain host object would fail `instanceof Object` in the vm). */
  object<T extends Record<string, unknown>>(members: T): T {
    return Object.assign(new this.realm.Object(), members) as T;
  }

  array<T>(items: T[]): T[] {
    const a = new this.realm.Array() as T[];
    for (const x of items) a.push(x);
    return a;
  }

  bytes(data: Uint8Array): Uint8Array {
    const u = new this.realm.Uint8Array(data.length);
    u.set(data);
    return u;
  }

  // ---- running firmware code ----

  /** Evaluate source text as Espruino does for boot code and load(file) (errors print Uncaught). */
  evaluate(code: string, filename: string): unknown {
    const script = this.board.compile(code, filename);
    return this.guarded(() => script.runInContext(this.context));
  }

  /** Call a firmware function the way the event loop does: microtasks drained, errors printed as Uncaught. */
  call(fn: unknown, thisArg?: unknown, args: unknown[] = []): unknown {
    if (!this.alive) return undefined;
    if (typeof fn === 'string') return this.evaluate(fn, 'timer');
    if (typeof fn !== 'function') return undefined;
    const slot = this.slot;
    const prevFn = slot.fn; // re-entrant: a module may call back into the firmware from inside a call
    const prevThis = slot.thisArg;
    const prevArgs = slot.args;
    slot.fn = fn as Function;
    slot.thisArg = thisArg;
    slot.args = args;
    slot.result = undefined;
    try {
      callScript.runInContext(this.context);
    } catch (e) {
      if (this.alive) this.reportUncaught(e);
    }
    const result = slot.result;
    slot.fn = prevFn;
    slot.thisArg = prevThis;
    slot.args = prevArgs;
    return result;
  }

  // the trampoline `__sim$call()` runs the slot's function: evaluating a script is what makes V8
  // drain this context's microtask queue (microtaskMode 'afterEvaluate') right after the callback
  private readonly slot: { fn: Function | undefined; thisArg: unknown; args: unknown[]; result: unknown } = {
    fn: undefined, thisArg: undefined, args: [], result: undefined,
  };

  private defineTrampoline(): void {
    const slot = this.slot;
    Object.defineProperty(this.global, '__sim$call', {
      value: () => {
        const f = slot.fn;
        if (f) slot.result = f.apply(slot.thisArg, slot.args);
      },
      configurable: false,
      enumerable: false,
      writable: false,
    });
  }

  private guarded(run: () => unknown): unknown {
    try {
      return run();
    } catch (e) {
      if (this.alive) this.reportUncaught(e);
      return undefined;
    }
  }

  /** Espruino prints `Uncaught <error>` and the event loop goes on (process.on('uncaughtException') wins). */
  reportUncaught(e: unknown): void {
    if (this.processObj && this.realm.listenerCount(this.processObj, 'uncaughtException') > 0) {
      const saved = this.alive;
      try {
        this.realm.emit(this.processObj, 'uncaughtException', [e]);
        return;
      } catch (again) {
        e = again;
      }
      this.alive = saved;
    }
    const where = this.board.locate(e);
    this.board.printLine(`Uncaught ${describeThrown(e)}`, 'uncaught', where ? { at: where } : undefined);
  }

  /** Guard for every emulated function: after a power cut the old session is dead hardware. */
  checkAlive(): void {
    if (!this.alive) throw this.error('sim: board is powered off');
  }

  // ---- timers (src/jswrap_interactive.c) ----

  private nextTimerId(): number {
    // jsiTimerAdd appends after the highest index in use (so ids are reused once the newest timer is gone)
    let max = 0;
    for (const id of this.timers.keys()) if (id > max) max = id;
    return max + 1;
  }

  addTimer(fn: unknown, ms: unknown, args: unknown[], repeat: boolean): number {
    this.checkAlive();
    if (typeof fn !== 'function' && typeof fn !== 'string') throw this.error('Function or String not supplied!');
    let delay = Number(ms);
    if (!(delay >= TIMER_MIN_INTERVAL_MS)) delay = TIMER_MIN_INTERVAL_MS;
    const id = this.nextTimerId();
    const rec: TimerRec = { clockId: 0, fn, args, interval: repeat ? delay : undefined, due: this.board.clock.now() + delay };
    this.timers.set(id, rec);
    this.arm(id, rec);
    return id;
  }

  private arm(id: number, rec: TimerRec): void {
    const clock = this.board.clock;
    rec.clockId = clock.setTimer(() => this.fire(id, rec), rec.due - clock.now(), this.owner);
  }

  private fire(id: number, rec: TimerRec): void {
    if (!this.alive || this.timers.get(id) !== rec) return;
    if (rec.interval === undefined) this.timers.delete(id);
    else {
      rec.due += rec.interval; // Espruino adds the interval to the scheduled time: no drift
      this.arm(id, rec);
    }
    this.call(rec.fn, undefined, rec.args);
  }

  clearTimer(id: unknown, what: 'Timeout' | 'Interval', argCount: number): void {
    this.checkAlive();
    // src/jswrap_interactive.c (2v29), checked on the interpreter: no argument clears every timer; an
    // explicit undefined throws; an unknown or already-fired id is ignored (no error).
    if (argCount === 0) {
      for (const rec of this.timers.values()) this.board.clock.clearTimer(rec.clockId);
      this.timers.clear();
      return;
    }
    if (id === undefined) throw this.error(`clear${what}(undefined) not allowed. Use clear${what}() instead`);
    const key = typeof id === 'number' || typeof id === 'string' ? Number(id) : NaN;
    const rec = this.timers.get(key);
    if (!rec) return;
    this.board.clock.clearTimer(rec.clockId);
    this.timers.delete(key);
  }

  changeInterval(id: unknown, ms: unknown): void {
    this.checkAlive();
    const rec = this.timers.get(Number(id));
    if (!rec) throw this.error('Unknown Interval');
    let delay = Number(ms);
    if (!(delay >= TIMER_MIN_INTERVAL_MS)) delay = TIMER_MIN_INTERVAL_MS;
    this.board.clock.clearTimer(rec.clockId);
    rec.interval = delay;
    rec.due = this.board.clock.now() + delay;
    this.arm(Number(id), rec);
  }

  /** Drop everything scheduled by this session (power off, load, reset). */
  kill(): void {
    this.alive = false;
    for (const rec of this.timers.values()) this.board.clock.clearTimer(rec.clockId);
    this.timers.clear();
    for (const w of this.watches.values()) if (w.pendingClock) this.board.clock.clearTimer(w.pendingClock);
    this.watches.clear();
  }

  // ---- pins and watches (src/jswrap_io.c) ----

  pinName(pin: unknown): string {
    if (pin && typeof pin === 'object' && typeof (pin as PinObject).__pin === 'string') return (pin as PinObject).__pin;
    if (typeof pin === 'number' && Number.isInteger(pin) && pin >= 0 && pin < 40) return 'D' + pin;
    if (typeof pin === 'string' && /^D\d{1,2}$/.test(pin) && Number(pin.slice(1)) < 40) return pin;
    throw this.error(`Invalid pin: ${formatValue(pin, 1)}`);
  }

  setWatch(fn: unknown, pin: unknown, options: unknown): number {
    this.checkAlive();
    if (typeof fn !== 'function' && typeof fn !== 'string') throw this.error('Function or String not supplied!');
    const name = this.pinName(pin);
    let repeat = false;
    let edge: 1 | -1 | 0 = 0;
    let debounce = 0;
    let data: unknown;
    if (typeof options === 'boolean') repeat = options;
    else if (options && typeof options === 'object') {
      const o = options as Record<string, unknown>;
      repeat = !!o.repeat;
      const e = o.edge;
      edge = e === 'rising' || e === 1 ? 1 : e === 'falling' || e === -1 ? -1 : 0;
      debounce = Number(o.debounce) > 0 ? Number(o.debounce) : 0;
      data = o.data;
      for (const k of Object.keys(o)) {
        if (!['repeat', 'edge', 'debounce', 'irq', 'data', 'hispeed'].includes(k)) this.notEmulated(`setWatch option ${k}`);
      }
    }
    let max = 0;
    for (const id of this.watches.keys()) if (id > max) max = id;
    const id = max + 1;
    this.watches.set(id, {
      pin: name, fn, repeat, edge, debounce, data, lastTime: undefined,
      lastState: this.board.readPin(name), pendingClock: undefined,
    });
    return id;
  }

  clearWatch(id: unknown, argCount: number): void {
    this.checkAlive();
    if (argCount === 0 || id === undefined) {
      for (const w of this.watches.values()) if (w.pendingClock) this.board.clock.clearTimer(w.pendingClock);
      this.watches.clear();
      return;
    }
    const w = this.watches.get(Number(id));
    if (!w) throw this.error(`Unknown Watch ${formatValue(id, 1)}`);
    if (w.pendingClock) this.board.clock.clearTimer(w.pendingClock);
    this.watches.delete(Number(id));
  }

  /** The board calls this when a pin's level changes. */
  pinChanged(name: string, level: number): void {
    if (!this.alive) return;
    const edgeAt = this.board.clock.now();
    for (const [id, w] of this.watches) {
      if (w.pin !== name) continue;
      if (w.debounce > 0) {
        if (w.pendingClock) this.board.clock.clearTimer(w.pendingClock);
        w.pendingClock = this.board.clock.setTimer(() => {
          w.pendingClock = undefined;
          const now = this.board.readPin(name);
          if (now !== w.lastState) this.fireWatch(id, w, now, edgeAt);
        }, w.debounce, this.owner);
      } else if (level !== w.lastState) this.fireWatch(id, w, level, edgeAt);
    }
  }

  private fireWatch(id: number, w: WatchRec, state: number, at: number): void {
    w.lastState = state;
    if (w.edge === 1 && state !== 1) return;
    if (w.edge === -1 && state !== 0) return;
    if (!w.repeat) this.watches.delete(id);
    const time = this.board.systemTimeMs(at) / 1000;
    const ev = this.object({ state: state === 1, time, lastTime: w.lastTime ?? time } as Record<string, unknown>);
    if (w.data !== undefined) (ev as any).data = w.data;
    w.lastTime = time;
    this.call(w.fn, undefined, [ev]);
  }

  // ---- modules ----

  require(nameArg: unknown): unknown {
    this.checkAlive();
    const name = String(nameArg);
    if (this.cachedModules.has(name)) return this.cachedModules.get(name);
    if (this.modules.has(name)) return this.modules.get(name);
    const builtins = this.board.builtinModules();
    if (builtins.includes(name)) {
      const factory = this.board.moduleFactory(name);
      if (!factory) return this.notEmulated(`require("${name}")`);
      const mod = factory(this.board);
      this.modules.set(name, mod);
      return mod;
    }
    // src/jswrap_modules.c: not built in -> a Storage file of that name, evaluated as a module
    const file = this.board.storage.readString(name);
    if (file !== undefined && file.length > 0) {
      const module = this.object({ exports: this.object({}) as unknown });
      const fn = this.board.compile(`(function (exports, module) {\n${file}\n})`, name).runInContext(this.context);
      this.call(fn, undefined, [module.exports, module]);
      this.cachedModules.set(name, module.exports);
      return module.exports;
    }
    throw this.error(`Module ${name} not found`);
  }

  // ---- installing the globals ----

  private install(g: Record<string, any>): void {
    const s = this;
    const board = this.board;
    const realm = this.realm;
    const def = (name: string, value: unknown) =>
      Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });
    const fn = <A extends unknown[], R>(f: (...a: A) => R) => f; // readability only

    // Not emulated first, so that what is emulated (and profile choices) override it.
    for (const name of NOT_EMULATED_GLOBALS) {
      Object.defineProperty(g, name, {
        get: () => s.notEmulated(name),
        set: (v) => def(name, v),
        configurable: true,
        enumerable: false,
      });
    }
    for (const name of PROFILE_GLOBALS) if (!board.profileGlobals().includes(name)) delete g[name];

    def('global', g);

    // console / print: each line to the timeline
    const print = fn((...args: unknown[]) => {
      s.checkAlive();
      board.printLine(args.map((a) => formatValue(a)).join(' '));
    });
    def('print', print);
    def('console', s.strict('console', s.object({ log: print })));

    // timers
    def('setTimeout', fn((f: unknown, ms?: unknown, ...args: unknown[]) => s.addTimer(f, ms, args, false)));
    def('setInterval', fn((f: unknown, ms?: unknown, ...args: unknown[]) => s.addTimer(f, ms, args, true)));
    def('clearTimeout', function (this: unknown, id?: unknown) { s.clearTimer(id, 'Timeout', arguments.length); });
    def('clearInterval', function (this: unknown, id?: unknown) { s.clearTimer(id, 'Interval', arguments.length); });
    def('changeInterval', fn((id: unknown, ms: unknown) => s.changeInterval(id, ms)));

    // time
    def('getTime', fn(() => board.systemTimeMs() / 1000));
    def('setTime', fn((t: unknown) => { s.checkAlive(); board.setSystemTime(Number(t) * 1000); }));

    // text encodings on binary strings
    def('btoa', fn((str: unknown) => Buffer.from(String(str), 'latin1').toString('base64')));
    def('atob', fn((str: unknown) => Buffer.from(String(str), 'base64').toString('latin1')));

    // pins
    for (let i = 0; i < 40; i++) def('D' + i, s.object({ __pin: 'D' + i } as Record<string, unknown>));
    def('pinMode', function (pin: unknown, mode?: unknown) {
      s.checkAlive();
      const m = mode === undefined ? 'auto' : String(mode);
      const modes = ['analog', 'input', 'input_pullup', 'input_pulldown', 'output', 'opendrain',
        'af_output', 'af_opendrain', 'opendrain_pullup', 'auto'];
      if (!modes.includes(m)) throw s.error(`Unknown pin mode ${JSON.stringify(m)}`);
      board.setPinMode(s.pinName(pin), m, mode !== undefined);
    });
    def('getPinMode', fn((pin: unknown) => board.pinState(s.pinName(pin)).mode));
    def('digitalWrite', fn((pin: unknown, value: unknown) => {
      s.checkAlive();
      if (Array.isArray(pin)) return s.notEmulated('digitalWrite with an array of pins');
      board.writePin(s.pinName(pin), value ? 1 : 0);
    }));
    def('digitalRead', fn((pin: unknown) => {
      s.checkAlive();
      if (Array.isArray(pin)) return s.notEmulated('digitalRead with an array of pins');
      return board.readPinFromFirmware(s.pinName(pin));
    }));
    def('setWatch', fn((f: unknown, pin: unknown, opts?: unknown) => s.setWatch(f, pin, opts)));
    def('clearWatch', function (id?: unknown) { s.clearWatch(id, arguments.length); });

    // boot and program control (src/jswrap_interactive.c, src/jsinteractive.c)
    def('load', fn((file?: unknown) => { s.checkAlive(); board.requestLoad(file === undefined ? undefined : String(file)); }));
    def('reset', fn((clearFlash?: unknown) => { s.checkAlive(); board.requestReset(!!clearFlash); }));
    def('save', fn(() => s.notEmulated('save() (a RAM image in .varimg)')));
    def('echo', fn((_on: unknown) => undefined));
    def('setDeepSleep', fn((_on: unknown) => undefined));
    def('getSerial', fn(() => board.serial));
    def('require', fn((name: unknown) => s.require(name)));
    def('Modules', s.strict('Modules', s.object({
      // src/jswrap_modules.c jswrap_modules_addCached -> jsparse.c jspEvaluateModule: a function is not
      // called, its CODE is evaluated at once as a module (exports, module, this = exports), so it does not
      // see its closure (checked on the 2v29 ESP32-profile interpreter by the Espruino lane); a string is
      // module source. The module's exports are cached under `id`.
      addCached: (id: unknown, src: unknown) => {
        if (typeof id !== 'string' || !(typeof src === 'string' || typeof src === 'function')) {
          throw s.error('args must be addCached(string, string|function)');
        }
        let code = String(src);
        if (typeof src === 'function') {
          const open = code.indexOf('{');
          const close = code.lastIndexOf('}');
          code = open >= 0 && close > open ? code.slice(open + 1, close) : '';
        }
        const module = s.object({ exports: s.object({}) as unknown });
        const fn = board.compile(`(function (exports, module) {\n${code}\n})`, id).runInContext(s.context);
        s.call(fn, module.exports, [module.exports, module]);
        s.cachedModules.set(id, module.exports);
      },
      removeCached: (id: unknown) => { s.cachedModules.delete(String(id)); },
      removeAllCached: () => { s.cachedModules.clear(); },
      getCached: () => s.array([...s.cachedModules.keys(), ...s.modules.keys()]),
    })));

    // process
    const env = s.object({ ...board.env } as Record<string, unknown>);
    this.processObj = s.strict('process', s.object({
      env,
      version: board.env.VERSION,
      memory: (_gc?: unknown) => s.object(board.memory() as unknown as Record<string, unknown>),
    }));
    def('process', this.processObj);

    // E
    this.E = s.strict('E', s.object({
      hwRand: () => board.rand.next(),
      srand: (v: unknown) => { board.rand.srand(Number(v)); },
      reboot: () => { s.checkAlive(); board.rebootFromFirmware(); },
      getSizeOf: (v: unknown, depth?: unknown) => sizeOf(v, Number(depth) || 0),
      toUint8Array: (...args: unknown[]) => {
        const out: number[] = [];
        flatten(args, out);
        return s.bytes(Uint8Array.from(out));
      },
      toString: (...args: unknown[]) => {
        if (args.length === 1 && typeof args[0] === 'string') return args[0];
        const out: number[] = [];
        flatten(args, out);
        return Buffer.from(out).toString('latin1');
      },
      toArrayBuffer: (str: unknown) => s.bytes(toBytes(String(str))).buffer,
      convolve: (a: ArrayLike<number>, b: ArrayLike<number>, offset: unknown) => {
        const off = Number(offset) | 0;
        const n = b.length;
        let sum = 0;
        for (let i = 0; i < a.length; i++) sum += a[i] * b[(((i + off) % n) + n) % n];
        return sum;
      },
      sum: (arr: ArrayLike<number>) => {
        let sum = 0;
        for (let i = 0; i < arr.length; i++) sum += arr[i];
        return sum;
      },
      variance: (arr: ArrayLike<number>, mean: unknown) => {
        const m = Number(mean);
        let v = 0;
        for (let i = 0; i < arr.length; i++) v += (arr[i] - m) * (arr[i] - m);
        return v / arr.length;
      },
      mapInPlace: (from: ArrayLike<number>, to: { [i: number]: number; length: number }, map: unknown) => {
        for (let i = 0; i < Math.min(from.length, to.length); i++) {
          const x = from[i];
          to[i] = typeof map === 'function' ? map(x, i)
            : map && typeof map === 'object' ? (map as ArrayLike<number>)[x] : x;
        }
      },
      CRC32: (data: unknown) => crc32(toBytes(data)),
      setBootCode: (code: unknown, alwaysRun?: unknown) => {
        s.checkAlive();
        // jsfSaveBootCodeToFlash: erase .bootcde and .bootrst, write the code to one of them
        board.storage.erase('.bootcde');
        board.storage.erase('.bootrst');
        const text = code === undefined ? '' : String(code);
        if (text.length) board.storage.writeFile(alwaysRun ? '.bootrst' : '.bootcde', text);
      },
      getErrorFlags: () => s.array<string>([]),
      setTimeZone: (z: unknown) => { board.timeZoneHours = Number(z) || 0; },
      setFlags: (_f: unknown) => undefined,
      getFlags: () => s.object({}),
    }));
    def('E', this.E);

    // ESP32 and NRF: the board's own factories, else what the profile says
    for (const [name, factory] of board.globalFactories()) {
      if (PROFILE_GLOBALS.includes(name) && !board.profileGlobals().includes(name)) continue;
      def(name, factory(board));
    }
  }

  // ---- the Storage module (src/jswrap_storage.c) ----

  storageModule(): unknown {
    const s = this;
    const board = this.board;
    const st = board.storage;
    const name = (n: unknown) => {
      if (typeof n !== 'string' && !(n && typeof n === 'object')) throw s.error('Expecting a String');
      const str = String(n);
      if (str.length > 28) board.timeline.emit({ actor: 'storage', kind: 'warn', board: board.id,
        summary: `name ${JSON.stringify(str)} is longer than 28 characters: Espruino keeps ${JSON.stringify(normaliseName(str))}` });
      return str;
    };
    const asError = (e: unknown) => (e instanceof StorageError ? s.error(e.message) : e);
    return s.strict('Storage', s.object({
      read: (n: unknown, offset?: unknown, length?: unknown) => {
        s.checkAlive();
        const nm = name(n);
        const str = st.readString(nm);
        if (str === undefined) return undefined;
        const off = Number(offset) > 0 ? Number(offset) : 0;
        const len = length === undefined ? undefined : Number(length);
        const out = len === undefined ? str.slice(off) : str.slice(off, off + len);
        board.noteRead(nm, out.length); // a boot loader that evals an app from Storage: counted as code
        return out;
      },
      readJSON: (n: unknown, noExceptions?: unknown) => {
        s.checkAlive();
        const str = st.readString(name(n));
        if (str === undefined) return undefined;
        try {
          return s.realm.JSON.parse(str);
        } catch (e) {
          if (noExceptions) return undefined;
          throw s.error(`JSON.parse: ${(e as Error).message}`, 'Error');
        }
      },
      readArrayBuffer: (n: unknown) => {
        s.checkAlive();
        const b = st.read(name(n));
        return b === undefined ? undefined : s.bytes(b).buffer;
      },
      write: (n: unknown, data: unknown, offset?: unknown, size?: unknown) => {
        s.checkAlive();
        const nm = name(n);
        return board.storageWrite(nm, data === undefined ? new Uint8Array(0) : toBytes(data),
          Number(offset) || 0, Number(size) || 0, asError);
      },
      writeJSON: (n: unknown, data: unknown) => {
        s.checkAlive();
        const nm = name(n);
        const text = s.realm.JSON.stringify(data);
        return board.storageWrite(nm, toBytes(text === undefined ? '' : text), 0, 0, asError);
      },
      erase: (n: unknown) => {
        s.checkAlive();
        const nm = name(n);
        board.storageErase(nm);
      },
      eraseAll: () => {
        s.checkAlive();
        board.storageEraseAll();
      },
      list: (regex?: unknown, _filter?: unknown) => {
        s.checkAlive();
        let names = st.list();
        if (regex !== undefined) {
          const re = regex as RegExp;
          names = names.filter((x) => (typeof re === 'string' ? x.includes(re) : re.test(x)));
          if ((re as RegExp).global) (re as RegExp).lastIndex = 0;
        }
        return s.array(names);
      },
      getFree: () => st.getFree(),
      getStats: () => s.object(st.getStats() as unknown as Record<string, unknown>),
      compact: () => {
        s.checkAlive();
        st.compact();
      },
      hash: (regex?: unknown) => {
        const re = regex as RegExp | undefined;
        return st.hash(re ? (x) => { const r = re.test(x); re.lastIndex = 0; return r; } : undefined);
      },
      debug: () => undefined,
    }));
  }

  telnetModule(): unknown {
    const s = this;
    return s.strict('TelnetServer', s.object({
      setOptions: (opts: unknown) => {
        s.checkAlive();
        const o = (opts ?? {}) as Record<string, unknown>;
        const mode = o.mode === undefined ? 'on' : String(o.mode);
        if (mode !== 'on' && mode !== 'off') throw s.error(`Unknown TelnetServer mode ${JSON.stringify(mode)}`);
        s.board.setConsole('telnet', mode === 'on');
      },
    }));
  }

  /** Minimal NRF used only when no NRF factory is registered: console hardening (uart:false) works,
   *  everything else is `not emulated`. The mesh work's sim/board/nrf.ts replaces it. */
  fallbackNrf(): unknown {
    const s = this;
    // the rest of the ESP32 NRF API exists (so feature tests like `typeof NRF.setScan` see what the
    // board has) but throws `not emulated` when called
    const members: Record<string, unknown> = {};
    for (const name of NRF_API) members[name] = () => s.notEmulated(`NRF.${name}`);
    return s.strict('NRF', s.object({
      ...members,
      setServices: (services: unknown, options: unknown) => {
        s.checkAlive();
        const o = (options ?? {}) as Record<string, unknown>;
        if (services && typeof services === 'object' && Object.keys(services).length > 0) {
          s.notEmulated('NRF.setServices with services (no BLE emulation registered)');
        }
        if (o.uart === false) s.board.setConsole('bleUart', false);
        else if (o.uart === true) s.board.setConsole('bleUart', true);
      },
    }));
  }

  esp32(): unknown {
    const s = this;
    return s.strict('ESP32', s.object({
      getState: () => s.object({
        sdkVersion: 'v5.0.7', cpuFrequency: 240, freeHeap: 95000, maxHeap: 300000,
      } as Record<string, unknown>),
    }));
  }
}

/** E.getSizeOf: an estimate of Espruino variables (14-byte blocks) a value takes. */
export function sizeOf(v: unknown, _depth = 0, seen = new Set<unknown>()): number {
  if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'number') return 1;
  if (typeof v === 'string') return 1 + Math.ceil(Math.max(0, v.length - 4) / 12);
  if (typeof v === 'function') return 2 + Math.ceil(String(v).length / 50);
  if (seen.has(v)) return 0;
  seen.add(v);
  if (ArrayBuffer.isView(v)) return 2 + Math.ceil(v.byteLength / 14);
  if (Object.prototype.toString.call(v) === '[object ArrayBuffer]') return 1 + Math.ceil((v as ArrayBuffer).byteLength / 14);
  let n = 1;
  for (const k of Object.keys(v as object)) n += 1 + sizeOf((v as any)[k], 0, seen);
  return n;
}

let crcTable: Int32Array | undefined;
function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

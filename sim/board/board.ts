// Board: one emulated ESP32 running Espruino 2v29 (see sim/ARCHITECTURE.md). It owns the flash
// (Storage), the pins, the device's random generator and the power state; each power-on, load() or
// reset() runs a fresh interpreter Session (a node:vm context with Espruino's globals) that boots
// from Storage exactly as Espruino does:
//
//   jsiSemiInit -> jsiSoftInit(hasBeenReset) -> jsfLoadBootCodeFromFlash(hasBeenReset):
//     1. evaluate .boot0, .boot1, .boot2, .boot3 (those that exist), always;
//     2. evaluate .bootrst if it exists; else, unless hasBeenReset, evaluate .bootcde;
//   then the E 'init' event handlers, then onInit() if defined.
//   power-on, E.reboot() and load()          -> hasBeenReset = false
//   reset() and load(file) (then file runs)   -> hasBeenReset = true
// (src/jsinteractive.c jsiSemiInit/jsiSoftInit and the JSIS_TODO_* handling in jsiIdle;
//  src/jsflash.c jsfLoadBootCodeFromFlash / jsfGetBootCodeFromFlash.)

import vm from 'node:vm';
import path from 'node:path';
import { SourceMapConsumer } from 'source-map-js';
import type { VirtualClock } from '../clock';
import type { Timeline, EventInput } from '../timeline';
import type { Rng } from '../rng';
import { StorageEmu, StorageError } from './storage';
import { EspruinoRand, Session, toBytes, type Realm } from './globals';
import { cryptoModule } from './crypto';
import { boardDecoder, type LogDictionary } from './logcodes';
import type { LogDecoder } from '../../build/logcodes.mjs';

export interface ProcessEnv {
  VERSION: string;
  BOARD: string;
  /** comma-separated built-in modules, as process.env.MODULES on the device */
  MODULES: string;
  GIT_COMMIT: string;
  RAM: number;
  FLASH: number;
  STORAGE: number;
  SERIAL: string;
  CONSOLE: string;
  EXPTR: number;
}

/** Built-in modules of the ESP32 (IDF5) Espruino 2v29 build (build/dialect.mjs has the same list). */
export const ESP32_MODULES = [
  'timer', 'Flash', 'Storage', 'heatshrink', 'fs', 'net', 'dgram', 'tls', 'http', 'NetworkJS',
  'Wifi', 'TelnetServer', 'crypto', 'neopixel',
];

export type ModuleFactory = (board: Board) => unknown;
export type GlobalFactory = (board: Board) => unknown;

export interface BoardPins {
  button: string;
  /** true when pressing the button pulls the pin low (the default board: button D0 to ground) */
  buttonActiveLow: boolean;
  led: string;
}

export interface BoardOptions {
  id: string;
  clock: VirtualClock;
  timeline: Timeline;
  rng: Rng;
  /** JSON file persisting this board's Storage; omitted = in memory only */
  storagePath?: string;
  /** Storage capacity in bytes (default 896 KB) */
  storageCapacity?: number;
  /** process.env overrides, e.g. VERSION, BOARD, MODULES (a wrong board for the flash tool's checks) */
  env?: Partial<ProcessEnv>;
  /** extra require() modules (only names listed in env.MODULES are reachable, as on the device) */
  modules?: Record<string, ModuleFactory>;
  /** extra globals, e.g. NRF */
  globals?: Record<string, GlobalFactory>;
  /** optional globals this firmware has (default NRF and ESP32); others read as undefined */
  profileGlobals?: string[];
  pins?: Partial<BoardPins>;
  /** system time (ms since 1970) at power-on: 0 like a fresh board with no time set */
  epochMs?: number;
  /** process.memory().total (JsVars): 16383 on the ESP32 build */
  jsVars?: number;
  /** virtual ms between E.reboot() and the next boot (default 0) */
  rebootDelayMs?: number;
  /** serial number (getSerial()) */
  serial?: string;
  /** the flashed bundle and its source map: Uncaught errors on the timeline then name the TypeScript line */
  sourceMap?: { bundle: string; map: string };
  /** log dictionaries to decode the console with, before the source map's and dist/'s (sim/board/logcodes.ts) */
  logDictionaries?: LogDictionary[];
}

// Registry for the other parts of the simulator (WSS: Wifi/http/tls/net/dgram; mesh: NRF; crypto):
// a module that imports board.ts can register its factories once, and every board gets them.
const registeredModules: Record<string, ModuleFactory> = {};
const registeredGlobals: Record<string, GlobalFactory> = {};

export function registerBoardModule(name: string, factory: ModuleFactory): void {
  registeredModules[name] = factory;
}

export function registerBoardGlobal(name: string, factory: GlobalFactory): void {
  registeredGlobals[name] = factory;
}

// Compiled scripts are shared by every board (a fleet of 200 compiles the bundle once).
const scriptCache = new Map<string, vm.Script>();

interface PinState {
  mode: string;
  manual: boolean;
  out: number;
  ext: number | undefined;
  level: number;
}

const OUTPUT_MODES = new Set(['output', 'opendrain', 'af_output', 'af_opendrain', 'opendrain_pullup']);

export class Board {
  readonly id: string;
  readonly clock: VirtualClock;
  readonly timeline: Timeline;
  readonly rng: Rng;
  readonly storage: StorageEmu;
  readonly env: ProcessEnv;
  readonly pinConfig: BoardPins;
  readonly serial: string;
  /** the device's rand() behind E.hwRand and Math.random (re-seeded to its fixed seed at every power-on) */
  readonly rand = new EspruinoRand();
  /** every console line printed, across boots */
  readonly console: string[] = [];
  /** interactive consoles the stock firmware opens (the firmware must close both at boot) */
  readonly consoles = { telnet: true, bleUart: true };
  on = false;
  boots = 0;
  timeZoneHours = 0;
  private session: Session | undefined;
  private readonly opts: BoardOptions;
  private readonly pins = new Map<string, PinState>();
  private powerOffHooks: Array<(reason: string) => void> = [];
  private consoleListeners: Array<(line: string) => void> = [];
  private powerOnAt = 0;
  private timeOffsetMs = 0;
  private bootCodeBytes = 0;
  private booting = false;
  private codeFiles = new Set<string>();

  constructor(opts: BoardOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.clock = opts.clock;
    this.timeline = opts.timeline;
    this.rng = opts.rng;
    this.storage = new StorageEmu({ path: opts.storagePath, capacity: opts.storageCapacity });
    this.serial = opts.serial ?? [...opts.rng.fork('serial:' + opts.id).bytes(6)].map((b) => b.toString(16).padStart(2, '0')).join('');
    this.env = {
      VERSION: '2v29',
      GIT_COMMIT: 'f3a4d7a',
      BOARD: 'ESP32',
      RAM: 524288,
      FLASH: 0,
      STORAGE: opts.storageCapacity ?? 917504,
      SERIAL: this.serial,
      CONSOLE: 'Serial1',
      MODULES: ESP32_MODULES.join(','),
      EXPTR: 1073484860,
      ...opts.env,
    };
    this.pinConfig = { button: 'D0', buttonActiveLow: true, led: 'D2', ...opts.pins };
  }

  // ---- the current interpreter session ----

  /** The current session's realm: hand values into the vm built from these constructors. */
  get realm(): Realm {
    return this.current().realm;
  }

  /** The current session (throws when the board is off). */
  current(): Session {
    if (!this.session || !this.on) throw new Error(`sim: board ${this.id} is powered off`);
    return this.session;
  }

  /** The vm context of the current session. */
  get context(): vm.Context {
    return this.current().context;
  }

  // ---- power ----

  powerOn(): void {
    if (this.on) throw new Error(`sim: board ${this.id} is already on`);
    this.on = true;
    this.rand.reset();
    this.powerOnAt = this.clock.now();
    this.timeOffsetMs = 0;
    this.consoles.telnet = true;
    this.consoles.bleUart = true;
    for (const [name, st] of this.pins) {
      st.mode = 'input';
      st.manual = false;
      st.out = 0;
      st.level = this.levelOf(st);
      this.pins.set(name, st);
    }
    this.emit({ actor: 'device', kind: 'power', summary: 'power on' });
    this.boot('power');
  }

  /** Cut the power: timers cancelled, the session dead, power-off hooks run (sockets closed). */
  powerOff(reason = 'power cut'): void {
    if (!this.on) return;
    this.on = false;
    this.endSession(reason);
    this.emit({ actor: 'device', kind: 'power', summary: `power off (${reason})` });
  }

  /** A hardware reset (E.reboot() on ESP32 restarts the chip): power off, then on. */
  reboot(reason = 'reboot'): void {
    this.powerOff(reason);
    this.powerOn();
  }

  /** Register a hook run once at the next power-off, reboot, load() or reset() (register again each boot). */
  onPowerOff(fn: (reason: string) => void): void {
    this.powerOffHooks.push(fn);
  }

  /** Subscribe to console lines (the flash tool's emulated REPL uses this). */
  onConsole(fn: (line: string) => void): () => void {
    this.consoleListeners.push(fn);
    return () => {
      this.consoleListeners = this.consoleListeners.filter((f) => f !== fn);
    };
  }

  private endSession(reason: string): void {
    const s = this.session;
    if (s) s.kill();
    this.clock.cancelOwner(this.id);
    const hooks = this.powerOffHooks;
    this.powerOffHooks = [];
    for (const h of hooks) {
      try {
        h(reason);
      } catch (e) {
        this.emit({ actor: 'sim', kind: 'error', summary: `power-off hook failed: ${(e as Error).message}` });
      }
    }
  }

  private boot(kind: 'power' | 'load' | 'reset', file?: string): void {
    const s = new Session(this);
    this.session = s;
    this.boots++;
    s.installGlobals();
    const hasBeenReset = kind === 'reset' || (kind === 'load' && file !== undefined);
    this.bootCodeBytes = 0;
    this.codeFiles.clear();
    let ran = 0;
    const run = (name: string) => {
      const code = this.storage.readString(name);
      if (code === undefined || !s.alive) return;
      ran++;
      this.bootCodeBytes += code.length;
      this.emit({ actor: 'device', kind: 'boot', summary: `running ${name} (${code.length} bytes)` });
      s.evaluate(code, name);
    };
    this.booting = true;
    try {
      for (let i = 0; i < 4; i++) run('.boot' + i);
      if (this.storage.has('.bootrst')) run('.bootrst');
      else if (!hasBeenReset) run('.bootcde');
    } finally {
      this.booting = false;
    }
    if (!s.alive) return;
    if (ran === 0 && !file) {
      this.emit({ actor: 'sim', kind: 'boot', summary: 'no boot code in Storage (.bootcde, .bootrst, .boot0-3): the board sits at its prompt' });
    }
    s.call(s.realm.emit, undefined, [s.E, 'init', []]);
    const onInit = s.alive ? s.global.onInit : undefined;
    if (typeof onInit === 'function') s.call(onInit);
    if (file !== undefined && s.alive) {
      s.global.__FILE__ = file; // jsiSemiInit sets __FILE__ for load(file)
      const code = this.storage.readString(file);
      if (code !== undefined) {
        this.bootCodeBytes += code.length;
        this.emit({ actor: 'device', kind: 'boot', summary: `loading ${file} (${code.length} bytes)` });
        s.evaluate(code, file);
      }
    }
  }

  /** load() / load(file) from the firmware: runs when the interpreter returns to idle. */
  requestLoad(file?: string): void {
    const s = this.session;
    this.clock.setTimer(() => {
      if (this.session === s && s && s.alive) this.softRestart('load', file);
    }, 0, this.id);
  }

  /** reset() / reset(true) from the firmware: runs when the interpreter returns to idle. */
  requestReset(clearFlash: boolean): void {
    const s = this.session;
    this.clock.setTimer(() => {
      if (this.session !== s || !s || !s.alive) return;
      if (clearFlash) for (const f of ['.varimg', '.bootcde', '.bootrst']) this.storage.erase(f);
      this.softRestart('reset');
    }, 0, this.id);
  }

  private softRestart(kind: 'load' | 'reset', file?: string): void {
    const s = this.current();
    s.call(s.realm.emit, undefined, [s.E, 'kill', []]); // jsiSoftKill runs E 'kill' handlers
    this.endSession(kind === 'load' ? (file ? `load(${JSON.stringify(file)})` : 'load()') : 'reset()');
    this.emit({ actor: 'device', kind: 'power', summary: kind === 'load' ? `load(${file ? JSON.stringify(file) : ''})` : 'reset()' });
    this.boot(kind, file);
  }

  /** E.reboot(): the ESP32 restarts at once (nothing after the call runs), then boots again. */
  rebootFromFirmware(): void {
    this.powerOff('E.reboot()');
    const delay = this.opts.rebootDelayMs ?? 0;
    this.clock.setTimer(() => {
      if (!this.on) this.powerOn();
    }, delay, this.id + ':hw');
  }

  // ---- console ----

  /** One or more lines printed by the device: to board.console and the timeline. */
  printLine(text: string, kind?: string, extra?: Record<string, unknown>): void {
    for (const wire of text.split('\n')) {
      // coded log lines back to the source's words (sim/board/logcodes.ts); the wire keeps the code
      const d = this.logDecoder().decode(wire);
      const line = d.note ? `${d.text}  [log code: ${d.note}]` : d.text;
      this.console.push(line);
      const m = /^(debug|info|warn|error) ([^\s:]+): (.*)$/s.exec(d.text);
      const at = extra && typeof extra.at === 'string' ? extra.at : undefined;
      const wireFields = d.raw !== d.text || d.note ? { wire: d.raw, ...(d.note ? { logNote: d.note } : {}) } : {};
      this.emit({
        actor: 'device',
        kind: kind ?? 'log',
        summary: at ? `${line}  (at ${at})` : line,
        fields: m ? { level: m[1], tag: m[2], message: m[3], ...wireFields, ...extra } : d.note || d.raw !== d.text ? { ...wireFields, ...extra } : extra,
      });
      for (const fn of this.consoleListeners) fn(wire);
    }
  }

  private decoder: LogDecoder | undefined;

  /** The console's log-code decoder (made at the first line). */
  private logDecoder(): LogDecoder {
    if (!this.decoder) this.decoder = boardDecoder(this.opts.sourceMap, this.opts.logDictionaries);
    return this.decoder;
  }

  private mapConsumer: SourceMapConsumer | null | undefined;

  /**
   * Where a thrown error came from in the firmware: the first stack frame in device code, mapped to
   * the TypeScript source when the app's source map is known ("firmware/wss/x.ts:12:3"), else the
   * Storage file and position.
   */
  locate(e: unknown): string | undefined {
    const stack = e && typeof e === 'object' ? (e as { stack?: unknown }).stack : undefined;
    if (typeof stack !== 'string') return undefined;
    for (const frame of stack.split('\n').slice(1)) {
      if (frame.includes('/sim/') || frame.includes('node:') || frame.includes('sim:call') || frame.includes('sim:prelude')) continue;
      const m = /(?:, )?([^\s(),]+):(\d+):(\d+)\)?\s*$/.exec(frame);
      if (!m) continue;
      const [, file, line, col] = m;
      if (this.mapConsumer === undefined) {
        try {
          this.mapConsumer = this.opts.sourceMap ? new SourceMapConsumer(JSON.parse(this.opts.sourceMap.map)) : null;
        } catch {
          this.mapConsumer = null;
        }
      }
      const app = this.opts.sourceMap && file === '<anonymous>'
        ? this.storage.list().some((n) => this.storage.read(n)?.length === this.opts.sourceMap!.bundle.length)
        : false;
      if (this.mapConsumer && (app || file === '.bootcde')) {
        const pos = this.mapConsumer.originalPositionFor({ line: Number(line), column: Number(col) - 1 });
        if (pos.source) return `${pos.source.replace(/^(\.\.\/)+/, '')}:${pos.line}:${(pos.column ?? 0) + 1}`;
      }
      return `${file === '<anonymous>' ? 'eval' : file}:${line}:${col}`;
    }
    return undefined;
  }

  /** Print a line on the device console (what Espruino's jsError/jsWarn output looks like to a module). */
  print(line: string): void {
    this.printLine(line);
  }

  /** Timeline event stamped with this board's id. */
  emit(e: Omit<EventInput, 'board'>): void {
    this.timeline.emit({ ...e, board: this.id });
  }

  setConsole(which: 'telnet' | 'bleUart', open: boolean): void {
    if (this.consoles[which] === open) return;
    this.consoles[which] = open;
    const what = which === 'telnet' ? 'telnet console (port 23)' : 'BLE UART console';
    this.emit({ actor: 'device', kind: 'console', summary: `${what} ${open ? 'opened' : 'closed'}` });
  }

  // ---- helpers for emulated modules (WSS, mesh, crypto work) ----

  /** Call a firmware callback as the event loop does (microtasks drained, Uncaught printed). */
  call(fn: unknown, thisArg?: unknown, args: unknown[] = []): unknown {
    if (!this.on || !this.session) return undefined;
    return this.session.call(fn, thisArg, args);
  }

  /** Emit an event on a firmware-visible object (Espruino's obj.emit), e.g. Wifi 'connected'. */
  emitTo(target: object, event: string, ...args: unknown[]): void {
    if (!this.on || !this.session) return;
    const s = this.session;
    s.call(s.realm.emit, undefined, [target, event, args]);
  }

  /** Schedule host work on the virtual clock, cancelled if the board loses power. */
  setTimer(fn: () => void, ms: number): number {
    return this.clock.setTimer(fn, ms, this.id);
  }

  /** An Error of the current realm (what the firmware's catch blocks see). */
  error(message: string): Error {
    return this.current().error(message);
  }

  /** Throw `sim: <name> is not emulated` (and show it on the timeline). */
  notEmulated(name: string): never {
    return this.current().notEmulated(name);
  }

  /** Wrap a module object so unknown members throw `sim: <label>.<member> is not emulated`. */
  strict<T extends object>(label: string, target: T): T {
    return this.current().strict(label, target);
  }

  /** A realm object / array / Uint8Array with the given content. */
  object<T extends Record<string, unknown>>(members: T): T {
    return this.current().object(members);
  }

  array<T>(items: T[]): T[] {
    return this.current().array(items);
  }

  bytes(data: Uint8Array): Uint8Array {
    return this.current().bytes(data);
  }

  /** Bytes of a firmware value (binary string, typed array, ArrayBuffer, array of numbers). */
  toBytes(v: unknown): Uint8Array {
    return toBytes(v);
  }

  /** Evaluate code in the current session (the REPL): returns the value, prints Uncaught on error. */
  evaluate(code: string, filename = 'repl'): unknown {
    return this.current().evaluate(code, filename);
  }

  compile(code: string, filename: string): vm.Script {
    const key = filename + '\0' + code;
    let script = scriptCache.get(key);
    if (!script) {
      if (scriptCache.size > 64) scriptCache.clear();
      script = new vm.Script(code, { filename: path.basename(filename) });
      scriptCache.set(key, script);
    }
    return script;
  }

  // ---- profile ----

  builtinModules(): string[] {
    return this.env.MODULES.split(',').map((m) => m.trim()).filter(Boolean);
  }

  moduleFactory(name: string): ModuleFactory | undefined {
    const own = this.opts.modules?.[name] ?? registeredModules[name];
    if (own) return own;
    if (name === 'Storage') return () => this.current().storageModule();
    if (name === 'TelnetServer') return () => this.current().telnetModule();
    if (name === 'crypto') return cryptoModule as unknown as ModuleFactory;
    return undefined;
  }

  profileGlobals(): string[] {
    return this.opts.profileGlobals ?? ['NRF', 'ESP32'];
  }

  globalFactories(): Array<[string, GlobalFactory]> {
    const all: Record<string, GlobalFactory> = {
      ESP32: () => this.current().esp32(),
      NRF: () => this.current().fallbackNrf(),
      ...registeredGlobals,
      ...this.opts.globals,
    };
    return Object.entries(all);
  }

  // ---- time ----

  /** The device's system time in ms (Date.now(); getTime() is this / 1000). */
  systemTimeMs(at = this.clock.now()): number {
    return (this.opts.epochMs ?? 0) + (at - this.powerOnAt) + this.timeOffsetMs;
  }

  setSystemTime(ms: number): void {
    this.timeOffsetMs += ms - this.systemTimeMs();
  }

  // ---- memory ----

  /** Storage.read during boot code: a large string read then is almost surely code being loaded. */
  noteRead(name: string, bytes: number): void {
    if (!this.booting || bytes < 4096 || this.codeFiles.has(name)) return;
    this.codeFiles.add(name);
    this.bootCodeBytes += bytes;
  }

  /** process.memory(): an estimate (code loaded from Storage costs ~1 JsVar per 19 bytes, measured). */
  memory(): Record<string, number> {
    const total = this.opts.jsVars ?? 16383;
    const s = this.session;
    const usage = Math.min(total, 180 + Math.ceil(this.bootCodeBytes / 19) + (s ? 6 * (s.timers.size + s.watches.size) : 0));
    return {
      free: total - usage,
      usage,
      total,
      history: 0,
      gc: 0,
      gctime: 0.5,
      blocksize: 14,
      stackEndAddress: 1073422336,
      stackFree: 20000,
      flash_start: 0,
      flash_binary_end: 1747312,
      flash_code_start: 3145728,
      flash_length: 4194304,
    };
  }

  // ---- storage with fault hooks ----

  /** A device write through the Storage module: fault hooks, timeline, device error messages. */
  storageWrite(name: string, data: Uint8Array, offset: number, size: number, asError: (e: unknown) => unknown): boolean {
    this.storage.deviceWrites++;
    const n = this.storage.deviceWrites;
    const decision = this.storage.decide(name, data);
    if (decision !== 'ok') {
      let landed = 0;
      if (decision === 'torn' && data.length > 1) {
        landed = this.rng.int(1, data.length - 1);
        try {
          this.storage.write(name, data, offset, size, landed);
        } catch {
          landed = 0;
        }
      }
      this.emit({ actor: 'storage', kind: 'fault', summary: `power cut during write #${n} of ${name}: ${decision === 'cut' ? 'nothing landed' : `${landed} of ${data.length} bytes landed`}` });
      this.powerOff(`power cut at storage write #${n}`);
      throw this.session!.error('sim: board is powered off');
    }
    try {
      const ok = this.storage.write(name, data, offset, size);
      this.emit({
        actor: 'storage',
        kind: 'write',
        summary: `${name} ${data.length} bytes${offset ? ` at ${offset}` : ''}${size ? ` of ${size}` : ''}${ok ? '' : ' (nothing written)'}`,
        fields: { name, length: data.length, offset, size, n },
      });
      return ok;
    } catch (e) {
      if (e instanceof StorageError) {
        this.emit({ actor: 'storage', kind: 'write', summary: `${name} failed: ${e.message}`, fields: { name, n } });
      }
      throw asError(e);
    }
  }

  storageErase(name: string): void {
    if (!this.storage.has(name)) return;
    this.storage.erase(name);
    this.emit({ actor: 'storage', kind: 'erase', summary: name });
  }

  storageEraseAll(): void {
    this.storage.eraseAll();
    this.emit({ actor: 'storage', kind: 'erase', summary: 'all files' });
  }

  // ---- pins ----

  pinState(name: string): PinState {
    let st = this.pins.get(name);
    if (!st) {
      st = { mode: 'input', manual: false, out: 0, ext: undefined, level: 0 };
      this.pins.set(name, st);
    }
    return st;
  }

  private levelOf(st: PinState): number {
    if (st.ext !== undefined) return st.ext;
    if (OUTPUT_MODES.has(st.mode)) return st.out;
    return st.mode === 'input_pullup' ? 1 : 0;
  }

  /** The electrical level of a pin (0/1). */
  readPin(name: string): number {
    return this.levelOf(this.pinState(name));
  }

  /** digitalRead from the firmware: like Espruino, a pin not set up manually becomes an input. */
  readPinFromFirmware(name: string): number {
    const st = this.pinState(name);
    if (!st.manual && OUTPUT_MODES.has(st.mode)) {
      st.mode = 'input';
      this.settle(name, st);
    }
    return this.levelOf(st);
  }

  setPinMode(name: string, mode: string, manual: boolean): void {
    const st = this.pinState(name);
    st.mode = mode === 'auto' ? 'input' : mode;
    st.manual = manual && mode !== 'auto';
    this.settle(name, st);
  }

  writePin(name: string, value: number): void {
    const st = this.pinState(name);
    if (!st.manual) st.mode = 'output';
    const before = this.levelOf(st);
    st.out = value;
    if (name === this.pinConfig.led && this.levelOf(st) !== before) {
      this.emit({ actor: 'device', kind: 'led', summary: value ? 'LED on' : 'LED off', fields: { pin: name } });
    }
    this.settle(name, st);
  }

  /** Drive a pin from outside (the button); undefined releases it. */
  drivePin(name: string, level: number | undefined): void {
    const st = this.pinState(name);
    st.ext = level;
    this.settle(name, st);
  }

  private settle(name: string, st: PinState): void {
    const level = this.levelOf(st);
    if (level === st.level) return;
    st.level = level;
    if (this.on && this.session) this.session.pinChanged(name, level);
  }

  /** State of a pin by name ('D2', or 'led' / 'button'). */
  pin(name: string): { value: boolean; mode: string } {
    const pin = name === 'led' ? this.pinConfig.led : name === 'button' ? this.pinConfig.button : name;
    const st = this.pinState(pin);
    return { value: this.levelOf(st) === 1, mode: st.mode };
  }

  /** Press the button for ms virtual milliseconds. */
  pressButton(ms = 100): void {
    const { button, buttonActiveLow } = this.pinConfig;
    this.emit({ actor: 'device', kind: 'button', summary: `button pressed for ${ms} ms` });
    this.drivePin(button, buttonActiveLow ? 0 : 1);
    this.clock.setTimer(() => {
      this.emit({ actor: 'device', kind: 'button', summary: 'button released' });
      this.drivePin(button, undefined);
    }, ms, this.id + ':hw');
  }
}

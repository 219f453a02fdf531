// Scenarios: data files (scenarios/*.json, format in scenarios/README.md) that describe a world, the
// devices, faults and the expected outcome; runScenario() builds and runs one on the virtual clock.
// See sim/ARCHITECTURE.md for the world-plugin contract.

import { existsSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { VirtualClock, type RunResult } from './clock';
import { Timeline, eventText, type SimEvent } from './timeline';
import { Rng } from './rng';
import {
  Board, registerBoardGlobal, registerBoardModule,
  type BoardOptions, type GlobalFactory, type ModuleFactory,
} from './board/board';
import { StorageFileError } from './board/storage';
import { makeIdentity, type DeviceIdentity } from '../flash/identity';
import { CpuModel, laneMemory, loadCalibration, parseCpuSpec, type Calibration, type CpuSpec, type CpuStats, type LaneMemory } from './cpu/model';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SCENARIO_DIR = path.join(root, 'scenarios');
/** The bundle the boards run; FFS_SIM_FIRMWARE names another build (a snapshot for a long fuzz while the tree is rebuilt). */
export const FIRMWARE_PATH = process.env.FFS_SIM_FIRMWARE ? path.resolve(process.env.FFS_SIM_FIRMWARE) : path.join(root, 'dist', 'firmware.js');

/** The line the firmware prints once it is up (firmware/app.ts BOOT_LINE). */
export const BOOT_LINE = 'FFS provisionee booted';

// ---- scenario shape ----

export interface FaultSpec {
  /** virtual ms (number or digits), "event:<kind>:<text>" or "storageWrite:<n>" (1-based, device writes) */
  at: number | string;
  do: 'powerCut' | 'tornWrite' | 'reboot' | 'powerOn' | 'pressButton';
  /** board id (default: every board) */
  board?: string;
  /** powerCut / tornWrite: power comes back after this many virtual ms (default: stays off) */
  restoreMs?: number;
  /** pressButton: how long (default 100 ms) */
  ms?: number;
}

export interface Scenario {
  name: string;
  description?: string;
  seed: number;
  durationMs: number;
  device: {
    identity?: 'default' | Record<string, unknown>;
    config?: Record<string, unknown>;
    env?: Record<string, string>;
    pins?: Record<string, unknown>;
    count?: number;
    profileGlobals?: string[];
    epochMs?: number;
  };
  world: Record<string, unknown>;
  faults: FaultSpec[];
  expect: { outcome?: string; events?: string[]; forbid?: string[]; allowUncaught?: boolean };
  /** the device time its expectations are written for: "esp32", "host" or a factor (sim/cpu/model.ts);
   *  absent: computations take no virtual time unless the caller (the CLI: --cpu, default esp32) says so */
  cpu?: string | number;
  /** file it came from */
  file?: string;
}

// ---- world plugins ----

export interface WorldContext {
  clock: VirtualClock;
  timeline: Timeline;
  rng: Rng;
  scenario: Scenario;
  /** the boards (filled as they are built; use onBoard to act on each before it powers on) */
  boards: Board[];
  onBoard(fn: (board: Board) => void): void;
  /** extra require() modules / globals for every board of this run (e.g. Wifi bound to this world) */
  boardModules: Record<string, ModuleFactory>;
  boardGlobals: Record<string, GlobalFactory>;
  /** report the outcome ('provisioned', 'wifiConnected', ...) of one board, or of every board when
   *  `board` is omitted (fleets need the board id for their success rate and percentiles) */
  setOutcome(outcome: string, board?: string): void;
  /** cleanup at the end of the run (close servers) */
  onStop(fn: () => void | Promise<void>): void;
}

export interface WorldPlugin {
  /** the key under "world" in the scenario file */
  key: string;
  /** problems with the section, each one line naming the field (e.g. "world.dss.port: expected a number") */
  validate(section: unknown, scenario: Scenario): string[];
  attach(ctx: WorldContext, section: unknown): void | Promise<void>;
}

const plugins = new Map<string, WorldPlugin>();

export function registerWorldPlugin(plugin: WorldPlugin): void {
  plugins.set(plugin.key, plugin);
}

export function worldPlugins(): WorldPlugin[] {
  return [...plugins.values()];
}

let extensionsLoaded: Promise<void> | undefined;

/**
 * Import the other parts of the simulator so they can register themselves: every sim/world/*.ts
 * (registerWorldPlugin) and sim/board/{wifi,net,nrf}.ts (exports `boardModules` / `boardGlobals`,
 * or calls registerBoardModule / registerBoardGlobal). Missing files are skipped.
 */
export function loadExtensions(): Promise<void> {
  extensionsLoaded ??= (async () => {
    const worldDir = path.join(root, 'sim', 'world');
    const worldFiles = existsSync(worldDir) ? readdirSync(worldDir).filter((f) => f.endsWith('.ts')).sort() : [];
    const boardFiles = ['wifi.ts', 'net.ts', 'nrf.ts'].filter((f) => existsSync(path.join(root, 'sim', 'board', f)));
    for (const f of [...worldFiles.map((f) => path.join(worldDir, f)), ...boardFiles.map((f) => path.join(root, 'sim', 'board', f))]) {
      const mod: any = await import(pathToFileURL(f).href);
      if (mod.worldPlugin && typeof mod.worldPlugin.key === 'string') registerWorldPlugin(mod.worldPlugin);
      for (const [name, factory] of Object.entries(mod.boardModules ?? {})) registerBoardModule(name, factory as ModuleFactory);
      for (const [name, factory] of Object.entries(mod.boardGlobals ?? {})) registerBoardGlobal(name, factory as GlobalFactory);
    }
  })();
  return extensionsLoaded;
}

// ---- loading and validation ----

/** A scenario that cannot be loaded: `message` is one line per problem, each naming the field. */
export class ScenarioError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ScenarioError';
  }
}

export function listScenarios(dir = SCENARIO_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/** A scenario name (scenarios/<name>.json) or a path to a JSON file. */
export function resolveScenario(nameOrPath: string, dir = SCENARIO_DIR): string {
  const candidates = [nameOrPath, path.join(dir, nameOrPath), path.join(dir, nameOrPath + '.json')];
  for (const c of candidates) if (existsSync(c) && c.endsWith('.json')) return path.resolve(c);
  const known = listScenarios(dir);
  throw new ScenarioError([
    `unknown scenario ${JSON.stringify(nameOrPath)}; available: ${known.length ? known.join(', ') : '(none in ' + dir + ')'}`,
  ]);
}

const TOP_KEYS = ['name', 'description', 'seed', 'durationMs', 'device', 'world', 'faults', 'expect', 'cpu'];
const DEVICE_KEYS = ['identity', 'config', 'env', 'pins', 'count', 'profileGlobals', 'epochMs'];
const FAULT_DO = ['powerCut', 'tornWrite', 'reboot', 'powerOn', 'pressButton'];

function isObj(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Check a parsed scenario: returns one line per problem (empty = valid). */
export function validateScenario(doc: unknown, label = 'scenario'): string[] {
  const p: string[] = [];
  const at = (field: string, msg: string) => p.push(`${label}: ${field}: ${msg}`);
  if (!isObj(doc)) return [`${label}: expected a JSON object`];
  for (const k of Object.keys(doc)) if (!TOP_KEYS.includes(k)) at(k, `unknown field (known: ${TOP_KEYS.join(', ')})`);
  if (typeof doc.name !== 'string' || !doc.name) at('name', 'expected a non-empty string');
  if (doc.description !== undefined && typeof doc.description !== 'string') at('description', 'expected a string');
  if (doc.seed !== undefined && !(Number.isInteger(doc.seed) && (doc.seed as number) >= 0)) at('seed', 'expected a non-negative integer');
  if (doc.durationMs !== undefined && !(typeof doc.durationMs === 'number' && doc.durationMs > 0)) at('durationMs', 'expected a positive number of virtual milliseconds');
  if (doc.device !== undefined) {
    if (!isObj(doc.device)) at('device', 'expected an object');
    else {
      const d = doc.device;
      for (const k of Object.keys(d)) if (!DEVICE_KEYS.includes(k)) at(`device.${k}`, `unknown field (known: ${DEVICE_KEYS.join(', ')})`);
      if (d.identity !== undefined && d.identity !== 'default' && !isObj(d.identity)) at('device.identity', 'expected "default" or an object of identity options');
      if (d.config !== undefined && !isObj(d.config)) at('device.config', 'expected an object (ffs.cfg overrides)');
      if (d.env !== undefined && (!isObj(d.env) || Object.values(d.env).some((v) => typeof v !== 'string'))) at('device.env', 'expected an object of strings (process.env overrides)');
      if (d.pins !== undefined && !isObj(d.pins)) at('device.pins', 'expected an object {button, buttonActiveLow, led}');
      if (d.count !== undefined && !(Number.isInteger(d.count) && (d.count as number) >= 1 && (d.count as number) <= 10000)) at('device.count', 'expected an integer from 1 to 10000');
      if (d.profileGlobals !== undefined && !(Array.isArray(d.profileGlobals) && d.profileGlobals.every((x) => typeof x === 'string'))) at('device.profileGlobals', 'expected an array of global names');
      if (d.epochMs !== undefined && typeof d.epochMs !== 'number') at('device.epochMs', 'expected a number (ms since 1970)');
    }
  }
  if (doc.cpu !== undefined) {
    try {
      cpuSpecOf(doc.cpu as string | number);
    } catch (e) {
      at('cpu', `expected "esp32", "host" or a factor > 0 (${(e as Error).message})`);
    }
  }
  if (doc.world !== undefined && !isObj(doc.world)) at('world', 'expected an object');
  else if (isObj(doc.world)) {
    for (const [key, section] of Object.entries(doc.world)) {
      const plugin = plugins.get(key);
      if (!plugin) {
        at(`world.${key}`, `no world plugin has this key (known: ${[...plugins.keys()].join(', ') || 'none'})`);
        continue;
      }
      for (const problem of plugin.validate(section, doc as unknown as Scenario)) p.push(`${label}: ${problem}`);
    }
  }
  if (doc.faults !== undefined) {
    if (!Array.isArray(doc.faults)) at('faults', 'expected an array');
    else doc.faults.forEach((f, i) => {
      const fld = `faults[${i}]`;
      if (!isObj(f)) {
        at(fld, 'expected an object {at, do}');
        return;
      }
      for (const k of Object.keys(f)) if (!['at', 'do', 'board', 'restoreMs', 'ms'].includes(k)) at(`${fld}.${k}`, 'unknown field (known: at, do, board, restoreMs, ms)');
      const a = f.at;
      const okAt = (typeof a === 'number' && a >= 0) || (typeof a === 'string' && (/^\d+$/.test(a) || /^event:[^:]*:.+$/.test(a) || /^storageWrite:[1-9]\d*$/.test(a)));
      if (!okAt) at(`${fld}.at`, 'expected virtual ms, "event:<kind>:<text>" or "storageWrite:<n>"');
      if (typeof f.do !== 'string' || !FAULT_DO.includes(f.do)) at(`${fld}.do`, `expected one of ${FAULT_DO.join(', ')}`);
      if (f.do === 'tornWrite' && !(typeof a === 'string' && a.startsWith('storageWrite:'))) at(`${fld}.do`, 'tornWrite needs at: "storageWrite:<n>"');
      if (f.restoreMs !== undefined && !(typeof f.restoreMs === 'number' && f.restoreMs >= 0)) at(`${fld}.restoreMs`, 'expected a number of virtual ms');
      if (f.ms !== undefined && !(typeof f.ms === 'number' && f.ms > 0)) at(`${fld}.ms`, 'expected a positive number of ms');
      if (f.board !== undefined && typeof f.board !== 'string') at(`${fld}.board`, 'expected a board id');
    });
  }
  if (doc.expect !== undefined) {
    if (!isObj(doc.expect)) at('expect', 'expected an object');
    else {
      const e = doc.expect;
      for (const k of Object.keys(e)) if (!['outcome', 'events', 'forbid', 'allowUncaught'].includes(k)) at(`expect.${k}`, 'unknown field (known: outcome, events, forbid, allowUncaught)');
      if (e.outcome !== undefined && typeof e.outcome !== 'string') at('expect.outcome', 'expected a string');
      for (const k of ['events', 'forbid'] as const) {
        if (e[k] !== undefined && !(Array.isArray(e[k]) && (e[k] as unknown[]).every((x) => typeof x === 'string' && x))) at(`expect.${k}`, 'expected an array of non-empty substrings');
      }
      if (e.allowUncaught !== undefined && typeof e.allowUncaught !== 'boolean') at('expect.allowUncaught', 'expected true or false');
    }
  }
  return p;
}

/** Load and validate a scenario file (throws ScenarioError with one line per problem). */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  await loadExtensions();
  const file = resolveScenario(nameOrPath);
  const label = path.relative(process.cwd(), file) || file;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ScenarioError([`${label}: not valid JSON: ${(e as Error).message.split('\n')[0]}`]);
  }
  const problems = validateScenario(doc, label);
  if (problems.length) throw new ScenarioError(problems);
  const d = doc as Record<string, any>;
  return {
    name: d.name,
    description: d.description,
    seed: d.seed ?? 1,
    durationMs: d.durationMs ?? 60000,
    device: d.device ?? {},
    world: d.world ?? {},
    faults: d.faults ?? [],
    expect: d.expect ?? {},
    cpu: d.cpu,
    file,
  };
}

/** A scenario's "cpu" field as a spec. */
export function cpuSpecOf(v: string | number): CpuSpec {
  return typeof v === 'number' ? parseCpuSpec(undefined, String(v)) : parseCpuSpec(v);
}

// ---- flashing ----

type ImageFile = { name: string; data: Uint8Array };

/**
 * The Storage image of one device, exactly as the flash tool writes it (flash/image.ts with an
 * identity from flash/identity.ts).
 */
export async function deviceImage(bundle: string, scenario: Scenario, boardId: string, rng: Rng = new Rng(scenario.seed)): Promise<ImageFile[]> {
  const { buildStorageImage } = await import('../flash/image');
  // the flash's random bytes (boot record carry, ...) from the scenario's seeded generator: same seed, same flash
  const flash = rng.fork('flash:' + boardId);
  return buildStorageImage({ bundle, identity: deviceIdentity(scenario, boardId), config: scenario.device.config as any, random: (n: number) => flash.bytes(n) });
}

const identities = new Map<string, DeviceIdentity>();

/**
 * The identity a board of this scenario is flashed with (flash/identity.ts makeIdentity, seeded by
 * scenario name, seed and board id). World actors use it for what the real world knows about the
 * device: the DSS trusts its chain, the provisioner holds the device-type key, the Echo its BSS triple.
 */
export function deviceIdentity(scenario: Scenario, boardId: string): DeviceIdentity {
  const idOpts = scenario.device.identity && scenario.device.identity !== 'default' ? scenario.device.identity : {};
  const key = JSON.stringify([scenario.name, scenario.seed, boardId, idOpts]);
  let identity = identities.get(key);
  if (!identity) {
    identity = makeIdentity({ seed: `${scenario.name}:${scenario.seed}:${boardId}`, ...(idOpts as object) });
    if (identities.size > 1000) identities.clear();
    identities.set(key, identity);
  }
  return identity;
}

// ---- running ----

export interface RunOptions {
  seed?: number;
  realtime?: boolean;
  /** stop when an event's text contains this */
  until?: string;
  /** number of boards (overrides device.count) */
  fleet?: number;
  /** every event as it happens (the CLI prints them) */
  onEvent?: (e: SimEvent) => void;
  /** keep Storage files under this directory (default .sim/<scenario>/ for up to 8 boards, else memory) */
  storageDir?: string | null;
  /** firmware bundle to flash (default dist/firmware.js) */
  firmwarePath?: string;
  /** boards whose Storage file exists start from it (the previous run's flash) instead of being flashed */
  keepStorage?: boolean;
  /** device time (sim/cpu/model.ts): null = computations take no virtual time; undefined = the scenario's
   *  own "cpu" field, else none (the CLI always passes one: --cpu, default esp32) */
  cpu?: CpuSpec | null;
  /** the calibration table (default: sim/cpu/calibration.json, checked) */
  calibration?: Calibration;
}

export interface RunReport {
  ok: boolean;
  /** the boards' common outcome, or a count per outcome when they differ ("provisioned 180, softAp 20") */
  outcome: string;
  /** per board: its last outcome and the virtual ms it was reached */
  outcomes: Record<string, { outcome: string; t: number }>;
  failures: string[];
  events: SimEvent[];
  boards: Board[];
  /** how the clock stopped */
  stop: RunResult | 'satisfied' | 'matched';
  virtualMs: number;
  realMs: number;
  /** real ms spent waiting for real I/O (clock holds) */
  heldRealMs: number;
  scenario: Scenario;
  /** device time: the board factor and the virtual ms each board spent computing (null: not modelled) */
  cpu: { spec: CpuSpec; boards: Record<string, CpuStats>; memory: Calibration['memory'] | null; lane: LaneMemory | null } | null;
}

/** Load, build, flash, boot and run one scenario; check its expectations. */
export async function runScenario(nameOrScenario: string | Scenario, opts: RunOptions = {}): Promise<RunReport> {
  const realStart = Date.now();
  const scenario = typeof nameOrScenario === 'string' ? await loadScenario(nameOrScenario) : nameOrScenario;
  await loadExtensions();
  const seed = opts.seed ?? scenario.seed;
  const clock = new VirtualClock();
  const timeline = new Timeline(() => clock.now());
  const rng = new Rng(seed);
  const failures: string[] = [];
  const outcomes = new Map<string, { outcome: string; t: number }>();
  const outcomeOf = (id: string) => outcomes.get(id)?.outcome ?? 'none';
  if (opts.onEvent) timeline.on(opts.onEvent);

  const firmwarePath = opts.firmwarePath ?? FIRMWARE_PATH;
  if (!existsSync(firmwarePath)) throw new ScenarioError([`${firmwarePath} does not exist: run \`npm run build\` first`]);
  const bundle = readFileSync(firmwarePath, 'latin1');
  const mapPath = firmwarePath + '.map';
  const sourceMap = existsSync(mapPath) ? { bundle, map: readFileSync(mapPath, 'utf8') } : undefined;

  const cpuSpec = opts.cpu !== undefined ? opts.cpu : scenario.cpu !== undefined ? cpuSpecOf(scenario.cpu) : null;
  const cpu = cpuSpec
    ? new CpuModel({ clock, calibration: opts.calibration ?? loadCalibration(), spec: cpuSpec, sourceMap: sourceMap?.map })
    : null;

  const stops: Array<() => void | Promise<void>> = [];
  const boardHooks: Array<(b: Board) => void> = [];
  const boards: Board[] = [];
  const ctx: WorldContext = {
    clock, timeline, rng, scenario, boards,
    onBoard: (fn) => boardHooks.push(fn),
    boardModules: {},
    boardGlobals: {},
    setOutcome: (o, board) => {
      for (const b of boards) {
        if (board !== undefined && b.id !== board) continue;
        if (outcomeOf(b.id) === o) continue;
        outcomes.set(b.id, { outcome: o, t: clock.now() });
        timeline.emit({ actor: 'sim', kind: 'outcome', summary: o, board: b.id });
      }
    },
    onStop: (fn) => stops.push(fn),
  };

  if (cpu) ctx.boardModules.crypto = cpu.cryptoFactory() as ModuleFactory;
  try {
    for (const [key, section] of Object.entries(scenario.world)) await plugins.get(key)!.attach(ctx, section);

    const count = opts.fleet ?? scenario.device.count ?? 1;
    const storageDir = opts.storageDir === undefined
      ? (count <= 8 ? path.join(root, '.sim', scenario.name.replace(/[^\w.-]/g, '_')) : null)
      : opts.storageDir;
    if (storageDir) mkdirSync(storageDir, { recursive: true });
    for (let i = 1; i <= count; i++) {
      const id = `dev${i}`;
      const storagePath = storageDir ? path.join(storageDir, `${id}.storage.json`) : undefined;
      const kept = !!(opts.keepStorage && storagePath && existsSync(storagePath));
      if (storagePath && !kept) rmSync(storagePath, { force: true }); // every run starts from freshly flashed boards
      const bo: BoardOptions = {
        id, clock, timeline, rng: rng.fork('board:' + id), storagePath,
        env: scenario.device.env as BoardOptions['env'],
        pins: scenario.device.pins as BoardOptions['pins'],
        profileGlobals: scenario.device.profileGlobals,
        epochMs: scenario.device.epochMs,
        modules: ctx.boardModules,
        globals: ctx.boardGlobals,
        sourceMap,
      };
      const board = new Board(bo);
      if (cpu) cpu.attach(board);
      if (kept) {
        timeline.emit({ actor: 'sim', kind: 'flash', board: id, summary: `kept the Storage of the previous run (${board.storage.list().length} files in ${storagePath})` });
      } else {
        for (const f of await deviceImage(bundle, scenario, id, rng)) board.storage.writeFile(f.name, f.data);
        timeline.emit({ actor: 'sim', kind: 'flash', board: id, summary: `flashed ${board.storage.list().length} files (${bundle.length}-byte app)` });
      }
      boards.push(board);
      for (const h of boardHooks) h(board);
    }

    // outcome and expectations
    const expectEvents = scenario.expect.events ?? [];
    const seen = new Set<string>();
    let matchedUntil = false;
    timeline.on((e) => {
      const text = eventText(e);
      if (e.actor === 'device' && e.kind === 'log' && e.board && text.includes(BOOT_LINE) && outcomeOf(e.board) === 'none') {
        ctx.setOutcome('booted', e.board);
      }
      for (const s of expectEvents) if (!seen.has(s) && text.includes(s)) seen.add(s);
      if (opts.until && text.includes(opts.until)) matchedUntil = true;
    });
    // power-on is the first thing on the clock (the boot is device time), then the fault script
    for (const b of boards) clock.setTimer(() => b.powerOn(), 0, b.id + ':hw');
    const faultsDue = installFaults(scenario, boards, clock, timeline);

    const satisfied = () =>
      (scenario.expect.outcome === undefined || boards.every((b) => outcomeOf(b.id) === scenario.expect.outcome)) &&
      seen.size === expectEvents.length && (scenario.expect.outcome !== undefined || expectEvents.length > 0);
    let stop: RunReport['stop'];
    const result = await clock.run({
      until: scenario.durationMs,
      realtime: opts.realtime,
      // (a board reaches its outcome at its own time, which runs ahead of the world's while it computes: the
      // run goes on until the world has caught up, so a fault due before that moment still strikes; and a
      // fault an event triggered in the same callback as the outcome acts first)
      stop: () => matchedUntil || (!opts.until && satisfied() && faultsDue() === 0 && clock.now() >= Math.max(0, ...[...outcomes.values()].map((o) => o.t))),
    });
    stop = result === 'stopped' ? (matchedUntil ? 'matched' : 'satisfied') : result;
    // let Node report unhandled promise rejections of the boards before the checks
    await new Promise<void>((r) => setImmediate(r));

    // checks
    const events = timeline.events;
    const outcome = summariseOutcomes(boards.map((b) => outcomeOf(b.id)));
    if (scenario.expect.outcome !== undefined) {
      const missed = boards.filter((b) => outcomeOf(b.id) !== scenario.expect.outcome);
      if (missed.length) {
        failures.push(`outcome: expected ${JSON.stringify(scenario.expect.outcome)}, got ${JSON.stringify(outcome)}` +
          (boards.length > 1 ? ` (${missed.length} of ${boards.length} boards missed it)` : ''));
      }
    }
    if (!opts.until) for (const s of expectEvents) if (!seen.has(s)) failures.push(`expected event not seen: ${JSON.stringify(s)}`);
    for (const s of scenario.expect.forbid ?? []) {
      const hit = events.find((e) => eventText(e).includes(s));
      if (hit) failures.push(`forbidden event at ${(hit.t / 1000).toFixed(3)}s: ${eventText(hit)}`);
    }
    for (const e of events) {
      if (e.actor === 'sim' && e.kind === 'missing') failures.push(`the firmware reached something the simulator does not emulate: ${e.summary}`);
      if (e.kind === 'uncaught' && !scenario.expect.allowUncaught && !expectEvents.some((s) => eventText(e).includes(s))) {
        failures.push(`${e.board ?? 'device'} crashed at ${(e.t / 1000).toFixed(3)}s: ${e.summary}`);
      }
    }
    return {
      ok: failures.length === 0, outcome, outcomes: Object.fromEntries(outcomes), failures: [...new Set(failures)], events, boards, stop,
      // (a board's last computation may end after the clock's last timer)
      virtualMs: Math.max(clock.now(), events.length ? events[events.length - 1].t : 0), realMs: Date.now() - realStart, heldRealMs: clock.heldRealMs, scenario,
      cpu: cpu && cpuSpec ? { spec: cpuSpec, boards: Object.fromEntries(cpu.stats), memory: cpu.calibration.memory ?? null, lane: laneMemory() } : null,
    };
  } finally {
    for (const b of boards) b.powerOff('end of scenario');
    for (const fn of stops) await fn();
  }
}

function summariseOutcomes(list: string[]): string {
  const counts = new Map<string, number>();
  for (const o of list) counts.set(o, (counts.get(o) ?? 0) + 1);
  if (counts.size <= 1) return list[0] ?? 'none';
  return [...counts].sort((a, b) => b[1] - a[1]).map(([o, n]) => `${o} ${n}`).join(', ');
}

/** Fleet statistics: share of boards that reached `target` and percentiles of the time they took. */
export function fleetStats(report: RunReport, target?: string): { target: string; reached: number; total: number; p50?: number; p90?: number; p99?: number; max?: number } {
  const goal = target ?? report.scenario.expect.outcome ?? 'booted';
  const times = Object.values(report.outcomes).filter((o) => o.outcome === goal).map((o) => o.t).sort((a, b) => a - b);
  const pct = (p: number) => (times.length ? times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] : undefined);
  return { target: goal, reached: times.length, total: report.boards.length, p50: pct(50), p90: pct(90), p99: pct(99), max: times[times.length - 1] };
}

/** Arm the scenario's fault script. */
function installFaults(scenario: Scenario, boards: Board[], clock: VirtualClock, timeline: Timeline): () => number {
  let due = 0; // event faults triggered and not yet acted on (the run does not stop under them)
  for (const f of scenario.faults) {
    const targets = f.board ? boards.filter((b) => b.id === f.board) : boards;
    const restore = (b: Board) => {
      if (f.restoreMs !== undefined) clock.setTimer(() => { if (!b.on) b.powerOn(); }, f.restoreMs, b.id + ':hw');
    };
    const act = (b: Board) => {
      timeline.emit({ actor: 'sim', kind: 'fault', board: b.id, summary: `${f.do}${f.ms ? ` ${f.ms} ms` : ''} (at ${f.at})` });
      if (f.do === 'powerCut' || f.do === 'tornWrite') {
        b.powerOff('fault: power cut');
        restore(b);
      } else if (f.do === 'reboot') b.reboot('fault: reboot');
      else if (f.do === 'powerOn') { if (!b.on) b.powerOn(); }
      else if (f.do === 'pressButton') b.pressButton(f.ms ?? 100);
    };
    const at = String(f.at);
    if (/^\d+$/.test(at)) {
      for (const b of targets) clock.setTimer(() => act(b), Number(at), b.id + ':hw');
    } else if (at.startsWith('storageWrite:')) {
      const n = Number(at.slice('storageWrite:'.length));
      for (const b of targets) {
        const off = b.storage.beforeWrite(() => {
          if (b.storage.deviceWrites !== n) return 'ok';
          off();
          timeline.emit({ actor: 'sim', kind: 'fault', board: b.id, summary: `${f.do} at storage write #${n}` });
          restore(b);
          return f.do === 'tornWrite' ? 'torn' : 'cut';
        });
      }
    } else {
      const [, kind, text] = /^event:([^:]*):(.*)$/.exec(at)!;
      let fired = false;
      const off = timeline.on((e) => {
        if (fired || e.actor === 'sim' || (kind && e.kind !== kind) || !e.summary.includes(text)) return;
        fired = true;
        off();
        const hit = f.board ? targets : boards.filter((b) => b.id === e.board);
        // act after the current event's call stack unwinds, at the same virtual instant
        for (const b of hit.length ? hit : targets) {
          due++;
          clock.setTimer(() => {
            due--;
            act(b);
          }, 0, b.id + ':hw');
        }
      });
    }
  }
  return () => due;
}

export { StorageFileError };

// Fuzzing: `npm run sim -- <scenario> --fuzz N [--seed S]` runs N randomized fault schedules against a
// scenario and reports every run that
//   crashes    an Uncaught error on the device, a `sim missing`, or an exception in the simulator,
//   hangs      the virtual-time budget runs out (or nothing is left to do) without the expected outcome,
//   loses data a record the device had committed (a mesh node, a saved Wi-Fi network) is gone at a
//              later boot although nothing erased it,
//   is refused an event the scenario forbids (`expect.forbid`), or an outcome other than the expected one,
// each with its seed and the command that replays it. Run i uses seed S+i; the schedule and the run
// are functions of that seed only, so `--fuzz 1 --seed <seed>` replays exactly one run.
//
// The schedules use the scenario vocabulary (sim/scenario.ts faults: powerCut / tornWrite / reboot at a
// virtual time, at a named event or at the Nth Storage write) and the worlds' own knobs (world.air
// loss / duplicate / reorder / delay, world.dss.faults drop / stall / 5xx, an access point that comes up
// late). A fault-free baseline run first tells the fuzzer when things happen (virtual time, Storage
// writes, events) so that faults land where the device is busy.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from './rng';
import { eventText, formatEvent, type SimEvent } from './timeline';
import { runScenario, type FaultSpec, type RunReport, type Scenario } from './scenario';
import type { Calibration, CpuSpec } from './cpu/model';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---- what the device persists (firmware log lines; see firmware/mesh/index.ts, firmware/wss/) ----

export interface PersistedRecord {
  what: string;
  /** the world section that runs this flow */
  world: string;
  /** the fault trigger for the persistence probe: the world's own "done" event */
  done: string;
  /** the expected outcomes that mean the flow succeeded (the probe runs only then) */
  success: string[];
  /** what a boot that kept the record logs (a substring of `restored`) */
  restoredText: string;
  /** the device log line that says the record was made */
  committed: RegExp;
  /** true: the record is on flash only after the next successful Storage write of that boot (the
   *  line is logged before the write); false: the write came first */
  writeAfter: boolean;
  /** a later boot that still has it logs this ... */
  restored: RegExp;
  /** ... and one that lost it logs this */
  fresh: RegExp;
}

export const PERSISTED: PersistedRecord[] = [
  { what: 'provisioned mesh node', world: 'echo', done: 'event:state:provisioned dev', success: ['provisioned'], restoredText: 'mesh: provisioned node, address', committed: /\bmesh: provisioned over\b/, writeAfter: false,
    restored: /\bmesh: provisioned node, address\b/, fresh: /\bmesh: unprovisioned: beaconing\b/ },
  { what: 'saved Wi-Fi network', world: 'dss', done: 'event:state:-> DONE', success: ['provisioned'], restoredText: 'wss: joining the saved network', committed: /\bwss: joined user network\b/, writeAfter: true,
    restored: /\bwss: joining the saved network\b/, fresh: /\bwss: Wi-Fi Simple Setup run\b/ },
];
/** a deliberate erase (button factory reset) makes a later "fresh" boot legitimate */
const ERASED = /factory reset|erased/i;

// ---- findings ----

export type FindingKind = 'crash' | 'hang' | 'lost' | 'forbidden';
export interface Finding { kind: FindingKind; detail: string }

const at = (t: number) => (t / 1000).toFixed(3) + 's';

/** Records committed and later missing at a boot, per board (see PERSISTED). */
export function lostData(events: SimEvent[], records: PersistedRecord[] = PERSISTED): Finding[] {
  const out: Finding[] = [];
  const boards = [...new Set(events.map((e) => e.board).filter((b): b is string => !!b))];
  for (const board of boards) {
    for (const rec of records) {
      let committed: SimEvent | undefined;
      let pending: SimEvent | undefined; // logged, waiting for its write
      let bootsSince = 0;
      for (const e of events) {
        if (e.board !== board) continue;
        if (e.actor === 'device' && (e.kind === 'power' || e.kind === 'boot')) {
          pending = undefined; // a write that never came: nothing was committed
          if (e.kind === 'power' && /^power on/.test(e.summary)) bootsSince++;
          continue;
        }
        if (e.actor === 'storage' && e.kind === 'write' && !/ failed: /.test(e.summary) && pending) {
          committed = pending;
          bootsSince = 0;
          pending = undefined;
          continue;
        }
        if (e.actor === 'storage' && e.kind === 'erase') {
          if (committed && /all files/.test(e.summary)) committed = undefined;
          continue;
        }
        if (e.actor !== 'device' || e.kind !== 'log') continue;
        const text = e.summary;
        if (ERASED.test(text)) committed = undefined;
        else if (rec.committed.test(text)) {
          if (rec.writeAfter) pending = e;
          else {
            committed = e;
            bootsSince = 0;
          }
        } else if (committed && bootsSince > 0 && rec.fresh.test(text)) {
          out.push({ kind: 'lost', detail: `${board} lost its ${rec.what}: committed at ${at(committed.t)} ("${committed.summary}"), ` +
            `but the boot at ${at(e.t)} starts afresh ("${text}")` });
          committed = undefined;
        } else if (committed && rec.restored.test(text)) bootsSince = 0;
      }
    }
  }
  return out;
}

/** Everything wrong with one fuzzed run. */
export function judge(report: RunReport, expectedOutcome: string | undefined): Finding[] {
  const out: Finding[] = [];
  for (const f of report.failures) {
    if (/ crashed at |does not emulate/.test(f)) out.push({ kind: 'crash', detail: f });
    else if (/^forbidden event/.test(f)) out.push({ kind: 'forbidden', detail: f });
    else if (/^expected event not seen/.test(f) && !/outcome/.test(report.failures.join(' '))) {
      out.push({ kind: 'lost', detail: `after the reboot that follows the outcome, the device did not log ${f.slice(f.indexOf(':') + 2)}: what it persisted is gone` });
    }
  }
  if (expectedOutcome !== undefined) {
    const missed = Object.entries(report.outcomes).filter(([, o]) => o.outcome !== expectedOutcome);
    const none = report.boards.filter((b) => !report.outcomes[b.id]).map((b) => b.id);
    if (missed.length || none.length) {
      // the last thing that happened before the run was stopped (not the end-of-scenario power-off and what it tears down)
      const end = report.events.findIndex((e) => /end of scenario/.test(e.summary));
      const before = end >= 0 ? report.events.slice(0, end) : report.events;
      const progress = [...before].reverse().find((e) => e.actor !== 'sim' && !(e.t === report.virtualMs && /\(power off\)|AP .* down/.test(e.summary)));
      const last = progress ? ` last progress at ${at(progress.t)}: ${eventText(progress)}` : '';
      const outcome = report.outcome;
      const terminal = missed.some(([, o]) => !['none', 'booted'].includes(o.outcome));
      if (terminal && report.stop !== 'until') {
        // a record the device committed while the world gave up: the device and the world disagree
        const kept = outcome === 'provisioned' ? [] : PERSISTED.filter((rec) => report.events.some((e) => e.actor === 'device' && e.kind === 'log' && rec.committed.test(e.summary)));
        const hint = kept.length ? ` (the device committed its ${kept.map((r) => r.what).join(' and ')}, the world never learnt it: the fault cut the last exchange)` : '';
        out.push({ kind: 'forbidden', detail: `ended in outcome ${JSON.stringify(outcome)}, the scenario expects ${JSON.stringify(expectedOutcome)}${hint};${last}` });
      } else {
        const why = report.stop === 'until' ? `the ${at(report.virtualMs)} virtual-time budget ran out` : 'nothing was left to do (idle)';
        out.push({ kind: 'hang', detail: `no ${JSON.stringify(expectedOutcome)} outcome: ${why}, the run was at outcome ${JSON.stringify(outcome)};${last}` });
      }
    }
  }
  out.push(...lostData(report.events));
  return out;
}

// ---- the oracle: the guide's legitimate endings, each with the fault that makes it legitimate ----
//
// A flow that did not succeed is "expected" only when the timeline shows both the ending the
// integration guide or the Mesh Profile allows and the injected fault that leads to it:
//   mesh  node stored, the Echo never heard Complete: power lost between the device storing its node and
//         the Echo recording it (Mesh Profile 1.0.1 ≈5.4.4: the provisioner may miss the Complete; the
//         device stays provisioned, the Echo does not list it)
//   wss   soft AP, FFS off, after a run that an injected world fault made fail (DSS drop / 5xx / stall,
//         the setup network or home AP unreachable): guide "a failure before the home network is joined
//         falls back to the soft AP, FFS disabled"
//   wss   soft AP, FFS off, after MAX_RUNS (3) runs each cut short by an injected power cut or reboot
//         (firmware/wss/index.ts: a reboot loop mid-run leaves the soft AP alone)
//   wss   on the saved home network without DONE: power lost (or the final report failed after an injected
//         DSS fault) after the network was joined and saved, before the cloud answered DONE; the next boot
//         joins the saved network (FFS keeps no DSS session across boots; joined is set up). A join whose
//         save the power cut tore or cut is no join: that run is one of the unfinished runs above
// Anything else that is not a success is a failure with its cause.

export type Verdict = 'ok' | 'expected' | 'failed';
export interface Judgement { verdict: Verdict; explained: string[]; findings: Finding[] }

interface Cut { t: number; why: string }

const WSS_MAX_RUNS = 3;
const isLog = (e: SimEvent, board: string, re: RegExp) => e.board === board && e.actor === 'device' && e.kind === 'log' && re.test(e.summary);

/** Power lost by an injected fault (not the end of the run, not the firmware's own E.reboot()). */
function cutsOf(events: SimEvent[], board: string): Cut[] {
  return events
    .filter((e) => e.board === board && e.actor === 'device' && e.kind === 'power' && /^power off \((fault|power cut at storage write)/.test(e.summary))
    .map((e) => ({ t: e.t, why: e.summary.slice('power off ('.length, -1) }));
}

/** Injected world faults that make a WSS run fail (DSS drop/stall/5xx, an access point out of range). */
function worldFaultsOf(events: SimEvent[]): Cut[] {
  const out = events
    .filter((e) => (e.actor === 'dss' && (e.kind === 'fault' || (e.kind === 'http' && / -> 5\d\d\b/.test(e.summary)))) ||
      (e.actor === 'wifi' && e.kind !== 'fault' && /out of range|not found|no AP/i.test(e.summary)))
    .map((e) => ({ t: e.t, why: `${e.actor} ${e.summary}` }));
  // an access point that comes up late (sim/world/aps.ts 'fault' event with its ssid and untilMs) is a
  // fault where the device looked for it meanwhile: each Wi-Fi scan (the home network missing from the
  // scan the DSS matches the customer's networks against) and each join of that SSID before it was up
  for (const f of events.filter((e) => e.actor === 'wifi' && e.kind === 'fault' && typeof e.fields?.ssid === 'string' && typeof e.fields?.untilMs === 'number')) {
    const ssid = f.fields!.ssid as string;
    const until = f.fields!.untilMs as number;
    for (const e of events) {
      if (e.t < f.t || e.t >= until || e.actor !== 'wifi') continue;
      if ((e.kind === 'scan' && /scan started/.test(e.summary)) || (e.kind === 'join' && e.summary.includes(`joining ${JSON.stringify(ssid)}`))) {
        out.push({ t: e.t, why: `wifi ${f.summary} (the device's ${e.kind} at ${at(e.t)})` });
      }
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

function meshVerdict(events: SimEvent[], board: string, out: Judgement): void {
  const done = events.find((e) => e.actor === 'echo' && e.kind === 'state' && e.summary.startsWith(`provisioned ${board} over`));
  const check = events.find((e) => e.actor === 'echo' && e.kind === 'check' && e.summary.startsWith(board + ' '));
  if (done && check && !/did NOT/.test(check.summary)) return;
  if (done && check) {
    out.findings.push({ kind: 'lost', detail: `mesh: ${check.summary}` });
    return;
  }
  const stored = events.find((e) => isLog(e, board, /\bmesh: provisioned over\b/));
  const lastEcho = [...events].reverse().find((e) => e.actor === 'echo' && e.kind === 'state');
  if (stored) {
    const cut = cutsOf(events, board).find((c) => c.t >= stored.t);
    const echoEnd = events.find((e) => e.t >= stored.t && e.actor === 'echo' && e.kind === 'state' && e.summary.includes(`${board} ended`));
    if (cut && (!echoEnd || cut.t <= echoEnd.t)) {
      out.explained.push(`mesh: node stored at ${at(stored.t)}, power lost at ${at(cut.t)} (${cut.why}) before the Echo heard Complete: ` +
        'the Echo did not record it, the device stays provisioned (Mesh Profile allows)');
      return;
    }
    out.findings.push({ kind: 'forbidden', detail: `mesh: the device stored its node at ${at(stored.t)} but the Echo ${echoEnd ? 'ended: ' + echoEnd.summary : 'never recorded it'} (no power cut in between)` });
    return;
  }
  out.findings.push({ kind: 'hang', detail: `mesh: never provisioned${lastEcho ? `; the Echo's last state at ${at(lastEcho.t)}: ${lastEcho.summary}` : ''}` });
}

/**
 * The first "joined user network" line whose saved network reached flash. The firmware logs the line,
 * then writes the record (PERSISTED: writeAfter); a power cut at that write (a torn or cut write) leaves
 * nothing saved, so the next boot starts Wi-Fi Simple Setup over: that run counts as an unfinished one,
 * not as "joined" (the same rule as lostData()).
 */
function committedJoin(events: SimEvent[], board: string): SimEvent | undefined {
  let pending: SimEvent | undefined;
  let unsaved: SimEvent | undefined;
  for (const e of events) {
    if (e.board !== board) continue;
    if (isLog(e, board, /\bwss: joined user network\b/)) pending = pending ?? e;
    else if (unsaved && isLog(e, board, /\bwss: joining the saved network\b/)) return unsaved; // a later boot has it after all
    else if (!pending) continue;
    else if (e.actor === 'storage' && e.kind === 'write' && !/ failed: /.test(e.summary)) return pending;
    else if (e.actor === 'device' && e.kind === 'power') {
      unsaved = unsaved ?? pending;
      pending = undefined;
    }
  }
  return pending; // (logged, the run still going when the scenario ended: judged as joined)
}

function wssVerdict(events: SimEvent[], board: string, out: Judgement): void {
  if (events.some((e) => e.actor === 'dss' && e.kind === 'state' && e.summary.endsWith('-> DONE'))) return;
  const cuts = cutsOf(events, board);
  const world = worldFaultsOf(events);
  const joined = committedJoin(events, board);
  if (joined) {
    const cut = cuts.find((c) => c.t >= joined.t);
    const rejoined = cut && events.find((e) => e.t > cut.t && isLog(e, board, /\bwss: joining the saved network\b/));
    if (cut && rejoined) {
      out.explained.push(`wss: joined and saved the home network at ${at(joined.t)}, power lost at ${at(cut.t)} (${cut.why}) before DONE; ` +
        'the next boot joined the saved network (no DSS session survives a boot)');
      return;
    }
    const failedReport = events.find((e) => e.t > joined.t && isLog(e, board, /\bwss: last report failed\b/));
    const wf = world.find((f) => f.t >= joined.t);
    if (failedReport && wf) {
      out.explained.push(`wss: joined the home network at ${at(joined.t)}; the final report failed after the injected ${wf.why} at ${at(wf.t)}: the device stays on its saved network`);
      return;
    }
    out.findings.push({ kind: 'hang', detail: `wss: joined the home network at ${at(joined.t)} but never reached DONE, no fault explains it` });
    return;
  }
  const off = [...events].reverse().find((e) => isLog(e, board, /\bwss: FFS off\b/));
  if (off) {
    // the runs of the boots before FFS went off
    const starts = events.filter((e) => e.t <= off.t && isLog(e, board, /\bwss: Wi-Fi Simple Setup run \d/));
    const bootOfOff = [...events].reverse().find((e) => e.t <= off.t && e.board === board && e.actor === 'device' && e.kind === 'power' && /^power on/.test(e.summary));
    if (events.some((e) => e.t <= off.t && e.t >= (bootOfOff?.t ?? 0) && isLog(e, board, /\bruns did not finish\b/))) {
      // each run that did not finish ended in a power-off: all of them must be injected faults
      const offs = events.filter((e) => e.board === board && e.actor === 'device' && e.kind === 'power' && /^power off/.test(e.summary) && e.t <= off.t);
      const ends = starts.map((s0, i) => offs.find((o) => o.t >= s0.t && o.t <= (starts[i + 1]?.t ?? off.t))).filter((o): o is SimEvent => !!o);
      const own = ends.find((o) => !/^power off \((fault|power cut at storage write)/.test(o.summary));
      if (!own && ends.length) {
        out.explained.push(`wss: runs cut short by injected power cuts/reboots (${ends.map((o) => at(o.t)).join(', ')}): ` +
          'the reboot-loop guard (3 unfinished runs) leaves the soft AP alone, FFS off');
        return;
      }
      out.findings.push({ kind: 'forbidden', detail: `wss: "runs did not finish" at ${at(off.t)}: ${own ? `a run ended in ${own.summary} at ${at(own.t)}, not an injected fault` : 'no run was cut short'}` });
      return;
    }
    const run = starts[starts.length - 1];
    const wf = run && world.find((f) => f.t >= run.t && f.t <= off.t);
    if (wf) {
      out.explained.push(`wss: the run from ${at(run.t)} failed after the injected ${wf.why} at ${at(wf.t)}: soft AP, FFS off (guide: fall back before the home network is joined)`);
      return;
    }
    const why = run ? events.filter((e) => e.t >= run.t && e.t <= off.t && e.board === board && e.kind === 'log' && /^(warn|error) /.test(e.summary)).map((e) => e.summary).slice(-3) : [];
    out.findings.push({ kind: 'forbidden', detail: `wss: FFS off at ${at(off.t)} with no injected fault in that run${why.length ? ': ' + why.join(' | ') : ''}` });
    return;
  }
  const last = [...events].reverse().find((e) => isLog(e, board, /\bwss: /));
  out.findings.push({ kind: 'hang', detail: `wss: never reached DONE nor a fallback${last ? `; last at ${at(last.t)}: ${last.summary}` : ''}` });
}

/**
 * The verdict on one fuzzed run of `base`: crashes, forbidden events and lost data are always failures;
 * a happy-path scenario (expected outcome "provisioned") is judged flow by flow (mesh when the world has
 * an Echo, WSS when it has a DSS) against the legitimate endings above; other scenarios by their outcome.
 */
export function oracle(report: RunReport, base: Scenario): Judgement {
  const out: Judgement = { verdict: 'ok', explained: [], findings: [] };
  const world = base.world as Record<string, unknown>;
  const flows = base.expect.outcome === 'provisioned' && (world.echo || world.dss);
  if (!flows) {
    out.findings = judge(report, base.expect.outcome);
  } else {
    // the probes and the single outcome are judged per flow below (a legitimate ending has neither)
    const rest = report.failures.filter((f) => !/^expected event not seen|^outcome:/.test(f));
    for (const f of judge({ ...report, failures: rest }, undefined)) out.findings.push(f);
    for (const b of report.boards) {
      if (world.echo) meshVerdict(report.events, b.id, out);
      if (world.dss) wssVerdict(report.events, b.id, out);
    }
  }
  out.verdict = out.findings.length ? 'failed' : out.explained.length ? 'expected' : 'ok';
  return out;
}

// ---- schedules ----

export interface Baseline {
  virtualMs: number;
  /** device Storage writes of dev1 */
  writes: number;
  /** candidate events for event-triggered faults: [kind, text] */
  marks: Array<[string, string]>;
}

export function baselineOf(report: RunReport): Baseline {
  const marks: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const e of report.events) {
    if (e.actor === 'sim' || (e.actor === 'device' && (e.kind === 'power' || e.kind === 'boot'))) continue;
    // a stable, distinctive part of the summary (numbers and hex vary between runs)
    const text = e.summary.replace(/\s*\(.*$/, '').split(/\s+/).filter((w) => !/\d/.test(w)).slice(0, 6).join(' ');
    if (text.length < 6 || text.includes(':') && /^[^:]*:$/.test(text)) continue;
    const key = e.kind + ':' + text;
    if (seen.has(key) || !e.summary.includes(text)) continue;
    seen.add(key);
    marks.push([e.kind, text]);
  }
  const writes = report.events.filter((e) => e.board === 'dev1' && e.actor === 'storage' && e.kind === 'write').length;
  return { virtualMs: report.virtualMs, writes, marks };
}

export interface Schedule {
  seed: number;
  scenario: Scenario;
  /** one line per fault, for people */
  faults: string[];
}

const DSS_OPS = ['startProvisioningSession', 'computeConfigurationData', 'postWifiScanData', 'getWifiCredentials', 'report'];

/** A randomized fault schedule for `base`, a function of `seed` (and the baseline) only. */
export function makeSchedule(base: Scenario, baseline: Baseline, seed: number): Schedule {
  const rng = new Rng(`fuzz:${base.name}:${seed}`);
  const sc: Scenario = JSON.parse(JSON.stringify({ ...base, file: undefined }));
  sc.name = base.name;
  sc.seed = seed;
  const lines: string[] = [];
  const horizon = Math.max(1000, baseline.virtualMs);
  const faults: FaultSpec[] = [];
  const n = rng.int(1, 3);
  for (let i = 0; i < n; i++) {
    const restoreMs = rng.int(100, 5000);
    const what = rng.pick(['powerCut@time', 'powerCut@write', 'tornWrite@write', 'reboot@event', 'powerCut@event', 'reboot@time'] as const);
    let f: FaultSpec;
    if (what.endsWith('@write')) {
      f = { at: `storageWrite:${rng.int(1, baseline.writes + 1)}`, do: what.startsWith('torn') ? 'tornWrite' : 'powerCut', restoreMs };
    } else if (what.endsWith('@event') && baseline.marks.length) {
      const [kind, text] = rng.pick(baseline.marks);
      f = { at: `event:${kind}:${text}`, do: what.startsWith('reboot') ? 'reboot' : 'powerCut', ...(what.startsWith('power') ? { restoreMs } : {}) };
    } else {
      f = { at: rng.int(0, horizon), do: what.startsWith('reboot') ? 'reboot' : 'powerCut', ...(what.startsWith('power') ? { restoreMs } : {}) };
    }
    faults.push(f);
    lines.push(`${f.do} at ${f.at}${f.restoreMs !== undefined ? `, power back after ${f.restoreMs} ms` : ''}`);
  }
  // check what the device persisted: once the world says the flow is done, reboot the device and
  // expect the boot line that shows the record survived (a missing line is reported as lost data)
  const probes: string[] = [];
  for (const rec of PERSISTED) {
    const world = base.world as Record<string, unknown>;
    // only where the scenario expects the flow to succeed (not in scenarios about failures)
    if (!world[rec.world] || !rec.success.includes(base.expect.outcome ?? '')) continue;
    const f: FaultSpec = { at: rec.done, do: 'reboot' };
    faults.push(f);
    probes.push(rec.restoredText);
    lines.push(`reboot at ${rec.done} (is the ${rec.what} still there after a reboot?)`);
  }
  sc.faults = [...base.faults, ...faults];

  const world = sc.world as Record<string, any>;
  const echoMisbehaves = world.echo && ['fault', 'vanishAfter', 'closeAfter', 'suppressAcks'].some((k) => world.echo[k] !== undefined && world.echo[k] !== null && world.echo[k] !== false && world.echo[k] !== 'none');
  if (world.echo && typeof world.echo === 'object' && !world.echo.again && !echoMisbehaves && base.expect.outcome === 'provisioned') {
    world.echo.again = true; // a real Echo tries again when a device beacons again after a failed attempt
    lines.push('echo: provisions again after a failed attempt (again: true)');
  }
  if (world.air || world.echo) {
    if (rng.chance(0.6)) {
      const air = (world.air ??= {});
      air.loss = Math.max(air.loss ?? 0, +(rng.float() * 0.3).toFixed(2));
      air.duplicate = Math.max(air.duplicate ?? 0, +(rng.float() * 0.2).toFixed(2));
      air.reorder = Math.max(air.reorder ?? 0, +(rng.float() * 0.2).toFixed(2));
      air.delayMs = air.delayMs ?? [1, rng.int(2, 20)];
      lines.push(`air: loss ${air.loss}, duplicate ${air.duplicate}, reorder ${air.reorder}, delay ${air.delayMs.join('-')} ms`);
    }
  }
  if (world.dss && typeof world.dss === 'object') {
    const k = rng.int(0, 2);
    for (let i = 0; i < k; i++) {
      const op = rng.pick(DSS_OPS);
      const kind = rng.pick(['drop', 'status', 'stall'] as const);
      const f: Record<string, unknown> = { op, do: kind, call: rng.int(1, 3), times: 1 };
      if (kind === 'status') f.status = rng.pick([500, 503]);
      if (kind === 'stall') f.stallMs = rng.int(5000, 30000);
      (world.dss.faults ??= []).push(f);
      lines.push(`dss: ${op} call ${f.call}: ${kind}${f.status ? ' ' + f.status : ''}${f.stallMs ? ` for ${f.stallMs} ms` : ''}`);
    }
  }
  if (Array.isArray(world.accessPoints) && world.accessPoints.length && rng.chance(0.3)) {
    const ap = rng.pick(world.accessPoints as Array<Record<string, any>>);
    if (ap.upAtMs === undefined && ap.downAtMs === undefined) {
      ap.upAtMs = rng.int(1000, 20000);
      lines.push(`wifi: AP ${JSON.stringify(ap.ssid)} out of range until ${ap.upAtMs} ms`);
    }
  }
  // the scenario's own expected events describe its fault-free path: keep only outcome and forbid
  sc.expect = { outcome: base.expect.outcome, events: probes, forbid: base.expect.forbid, allowUncaught: base.expect.allowUncaught };
  // time for a whole flow again after each fault (a late reboot restarts a flow from scratch); the run
  // stops as soon as every flow is done, so only a run that never gets there uses all of it
  const restore = faults.reduce((s, f) => s + (f.restoreMs ?? 0), 0);
  sc.durationMs = Math.max(base.durationMs, Math.ceil(baseline.virtualMs * (2 + faults.length) + restore + 60000));
  return { seed, scenario: sc, faults: lines };
}

// ---- running ----

export interface FuzzRun {
  index: number;
  seed: number;
  faults: string[];
  /** ok, expected (a legitimate ending, see oracle()) or failed (findings) */
  verdict: Verdict;
  /** why an expected ending is legitimate (the fault that makes it so) */
  explained: string[];
  /** unexplained failures, each with its cause */
  findings: Finding[];
  outcome: string;
  virtualMs: number;
  realMs: number;
  replay: string;
  /** the run's events (kept for failing runs only, unless keepEvents) */
  report?: RunReport;
  /** a file with the fuzzed scenario (failing runs) */
  file?: string;
}

export interface FuzzOptions {
  runs: number;
  /** seed of run 0 (run i uses seed + i); default: the scenario's seed */
  seed?: number;
  firmwarePath?: string;
  /** the scenario as the command line names it (for the replay command) */
  name?: string;
  /** directory for the fuzzed scenario files of failing runs (default .sim/fuzz; null: none) */
  saveDir?: string | null;
  onRun?: (r: FuzzRun) => void;
  /** keep every run's report (a single replayed run shows its timeline) */
  keepReports?: boolean;
  /** device time (default --cpu esp32; null: none) and its calibration */
  cpu?: CpuSpec | null;
  calibration?: Calibration;
}

export interface FuzzResult { runs: FuzzRun[]; failing: FuzzRun[]; expected: FuzzRun[]; baseline: Baseline; realMs: number }

export async function fuzz(base: Scenario, opts: FuzzOptions): Promise<FuzzResult> {
  const start = Date.now();
  const name = opts.name ?? base.name;
  const first = opts.seed ?? base.seed;
  const baseReport = await runScenario(base, { storageDir: null, firmwarePath: opts.firmwarePath, cpu: opts.cpu, calibration: opts.calibration });
  const baseline = baselineOf(baseReport);
  const runs: FuzzRun[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const seed = first + i;
    const schedule = makeSchedule(base, baseline, seed);
    const t0 = Date.now();
    let report: RunReport | undefined;
    let findings: Finding[];
    let explained: string[] = [];
    try {
      report = await runScenario(schedule.scenario, { storageDir: null, firmwarePath: opts.firmwarePath, cpu: opts.cpu, calibration: opts.calibration });
      const j = oracle(report, base);
      findings = j.findings;
      explained = j.explained;
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
      findings = [/hold/.test(msg) ? { kind: 'hang', detail: `the simulator waited on real I/O forever: ${msg}` } : { kind: 'crash', detail: `the simulator threw: ${msg}` }];
    }
    const run: FuzzRun = {
      index: i, seed, faults: schedule.faults, findings, explained,
      verdict: findings.length ? 'failed' : explained.length ? 'expected' : 'ok',
      outcome: report?.outcome ?? 'error', virtualMs: report?.virtualMs ?? 0, realMs: Date.now() - t0,
      replay: `npm run sim -- ${name} --fuzz 1 --seed ${seed}`,
      report: findings.length || opts.keepReports ? report : undefined,
    };
    if (findings.length && opts.saveDir !== null) {
      const dir = opts.saveDir ?? path.join(root, '.sim', 'fuzz');
      mkdirSync(dir, { recursive: true });
      run.file = path.join(dir, `${base.name.replace(/[^\w.-]/g, '_')}-seed${seed}.json`);
      writeFileSync(run.file, JSON.stringify({ ...schedule.scenario, file: undefined }, null, 2) + '\n');
    }
    runs.push(run);
    opts.onRun?.(run);
  }
  return { runs, failing: runs.filter((r) => r.findings.length > 0), expected: runs.filter((r) => r.verdict === 'expected'), baseline, realMs: Date.now() - start };
}

// ---- command line (sim/cli.ts --fuzz N) ----

export interface FuzzCliOptions { runs: number; seed?: number; quiet?: boolean; trace?: string; colour?: boolean; cpu?: CpuSpec | null; calibration?: Calibration }

export async function fuzzCli(scenario: Scenario, opts: FuzzCliOptions): Promise<number> {
  const paint = (code: string, s: string) => (opts.colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const seed = opts.seed ?? scenario.seed;
  const name = process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && !/^--(seed|fuzz|trace|until|fleet)$/.test(all[i - 1] ?? '')) ?? scenario.name;
  const single = opts.runs === 1;
  console.log(`fuzz ${scenario.name}: ${opts.runs} randomized fault schedule${single ? '' : 's'}, seeds ${seed}${single ? '' : '..' + (seed + opts.runs - 1)}` +
    `${scenario.expect.outcome ? `, expected outcome ${scenario.expect.outcome}` : ''}`);
  const result = await fuzz(scenario, {
    runs: opts.runs, seed, name, keepReports: single, cpu: opts.cpu, calibration: opts.calibration,
    onRun: (r) => {
      const verdict = r.findings.length ? paint('31;1', r.findings.map((f) => f.kind.toUpperCase()).join('+')) : r.explained.length ? paint('33', 'expected') : paint('32', 'ok');
      console.log(`  seed ${r.seed}: ${verdict} outcome ${r.outcome}, ${(r.virtualMs / 1000).toFixed(1)}s virtual, ${r.realMs} ms real`);
      if (single || r.findings.length || (r.explained.length && !opts.quiet)) for (const f of r.faults) console.log(`      fault: ${f}`);
      for (const x of r.explained) console.log(`      ${paint('33', 'expected')}: ${x}`);
      for (const f of r.findings) console.log(`      ${paint('31', f.kind)}: ${f.detail}`);
      if (r.findings.length) console.log(`      replay: ${r.replay}${r.file ? `   (scenario file: ${path.relative(process.cwd(), r.file)})` : ''}`);
    },
  });
  const one = result.runs[0];
  if (single && one.report && !opts.quiet) {
    console.log('\ntimeline of the run:');
    for (const e of one.report.events) console.log(formatEvent(e, { colour: opts.colour }));
  }
  if (opts.trace) {
    const target = result.failing[0] ?? one;
    if (target.report) {
      const { writeTrace } = await import('./trace');
      console.log(`trace of seed ${target.seed}: ${writeTrace(opts.trace, target.report, { seed: target.seed, command: target.replay })}`);
    }
  }
  const n = result.failing.length;
  const x = result.expected.length;
  console.log(`\n${n ? paint('31;1', 'FAIL') : paint('32;1', 'PASS')} fuzz ${scenario.name}: ${n} of ${result.runs.length} run${result.runs.length === 1 ? '' : 's'} failed ` +
    `(unexplained: ${result.failing.map((r) => r.seed).join(', ') || 'none'}), ${x} ended as the guide allows (expected${x ? ': ' + result.expected.map((r) => r.seed).join(', ') : ''}), ` +
    `${result.runs.length - n - x} succeeded; ${(result.realMs / 1000).toFixed(1)} s real including a fault-free baseline run`);
  return n ? 1 : 0;
}

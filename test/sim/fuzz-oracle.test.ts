// The fuzzer's oracle (sim/fuzz.ts oracle()): each legitimate ending is "expected" only with the fault
// that makes it legitimate; the same ending without that fault, and everything else, is a failure with
// its cause. Timelines are built here, event by event, in the shapes the firmware and the worlds log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { oracle } from '../../sim/fuzz';
import type { RunReport, Scenario } from '../../sim/scenario';
import type { SimEvent } from '../../sim/timeline';

const base = (world: Record<string, unknown>): Scenario =>
  ({ name: 't', seed: 1, durationMs: 1000, device: {}, world, faults: [], expect: { outcome: 'provisioned' } }) as Scenario;
const MESH = base({ echo: {}, air: {} });
const WSS = base({ dss: {}, accessPoints: [] });

let t = 0;
const ev = (actor: string, kind: string, summary: string, board: string | undefined = 'dev1'): SimEvent => ({ t: (t += 10), actor, kind, summary, board });
const log = (s: string) => ev('device', 'log', s);
const power = (s: string) => ev('device', 'power', s);
const report = (events: SimEvent[]): RunReport =>
  ({ ok: false, outcome: 'x', outcomes: {}, failures: [], events, boards: [{ id: 'dev1' }], stop: 'until', virtualMs: t, realMs: 1, heldRealMs: 0, scenario: MESH, cpu: null }) as unknown as RunReport;

test('mesh: provisioned and the same device key: ok', () => {
  const j = oracle(report([log('info mesh: provisioned over pb-adv: address 0x100'), ev('echo', 'state', 'provisioned dev1 over pb-adv: unicast 0x0100', undefined),
    ev('echo', 'check', 'dev1 stored the same device key', undefined)]), MESH);
  assert.is(j.verdict, 'ok');
});

test('mesh: node stored, power cut before the Echo heard Complete: expected; without the cut: failed', () => {
  const stored = log('info mesh: provisioned over pb-adv: address 0x100');
  const cut = power('power off (fault: power cut)');
  const end = ev('echo', 'state', 'provisioning dev1 ended: timeout link closed (reason 1)', undefined);
  const j = oracle(report([stored, cut, power('power on'), end]), MESH);
  assert.is(j.verdict, 'expected', JSON.stringify(j));
  assert.match(j.explained[0], 'before the Echo heard Complete');
  const k = oracle(report([stored, end]), MESH);
  assert.is(k.verdict, 'failed');
  assert.match(k.findings[0].detail, 'no power cut in between');
  const never = oracle(report([log('info mesh: unprovisioned: beaconing uuid 00'), end]), MESH);
  assert.is(never.verdict, 'failed');
  assert.match(never.findings[0].detail, 'mesh: never provisioned');
});

test('wss: three runs each cut by an injected fault, then FFS off: expected; one ended by the firmware itself: failed', () => {
  const runs = (ends: string[]) => {
    const out: SimEvent[] = [];
    for (let i = 0; i < ends.length; i++) {
      out.push(power('power on'), log(`info wss: Wi-Fi Simple Setup run ${i + 1}/3`), power(ends[i]));
    }
    out.push(power('power on'), log('warn wss: 3 runs did not finish'), log('warn wss: FFS off'));
    return out;
  };
  const ok = oracle(report(runs(['power off (fault: power cut)', 'power off (power cut at storage write #4)', 'power off (fault: reboot)'])), WSS);
  assert.is(ok.verdict, 'expected', JSON.stringify(ok));
  assert.match(ok.explained[0], 'reboot-loop guard');
  const bad = oracle(report(runs(['power off (fault: power cut)', 'power off (E.reboot())', 'power off (fault: reboot)'])), WSS);
  assert.is(bad.verdict, 'failed');
  assert.match(bad.findings[0].detail, 'E.reboot()');
});

test('wss: a run failed after an injected DSS fault, FFS off: expected; no fault in that run: failed', () => {
  const start = [power('power on'), log('info wss: Wi-Fi Simple Setup run 1/3')];
  const j = oracle(report([...start, ev('dss', 'fault', 'postWifiScanData: dropped the connection', undefined), log('warn wss: FFS off')]), WSS);
  assert.is(j.verdict, 'expected', JSON.stringify(j));
  assert.match(j.explained[0], 'injected dss postWifiScanData');
  const k = oracle(report([...start, log('warn wss: scan: nothing posted'), log('warn wss: FFS off')]), WSS);
  assert.is(k.verdict, 'failed');
  assert.match(k.findings[0].detail, 'no injected fault in that run');
});

test('wss: joined and saved home, power lost before DONE, the next boot rejoins: expected; never DONE without a fault: failed', () => {
  const joined = log('info wss: joined user network "home"');
  const j = oracle(report([joined, power('power off (fault: power cut)'), power('power on'), log('info wss: joining the saved network "home"')]), WSS);
  assert.is(j.verdict, 'expected', JSON.stringify(j));
  const k = oracle(report([joined, log('info wss: report 16 ok')]), WSS);
  assert.is(k.verdict, 'failed');
  assert.match(k.findings[0].detail, 'never reached DONE, no fault explains it');
  const done = oracle(report([joined, ev('dss', 'state', 'CONNECTED_TO_USER_NETWORK -> DONE', undefined)]), WSS);
  assert.is(done.verdict, 'ok');
});

test('wss: joined home but the power cut tore the write that saves it, then the reboot-loop guard: expected; the write landed and a later boot starts afresh: failed (lost)', () => {
  // fuzz default --cpu host seed 117 (HEAD 20cafdd): run 1 cut by a reboot; run 2 joined "home", the
  // write of the saved network torn by a power cut; run 3 cut by the fuzzer's reboot probe; FFS off
  const run = (i: number) => log(`info wss: Wi-Fi Simple Setup run ${i}/3`);
  const joined = log('info wss: joined user network "home"');
  const events = (saveWrite: SimEvent) => [power('power on'), run(1), power('power off (fault: reboot)'),
    power('power on'), run(2), joined, saveWrite, power('power off (power cut at storage write #11)'),
    power('power on'), run(3), power('power off (fault: reboot)'),
    power('power on'), log('warn wss: 3 runs did not finish'), log('warn wss: FFS off')];
  const torn = oracle(report(events(ev('storage', 'fault', 'power cut during write #11 of wss.state.a: 93 of 110 bytes landed'))), WSS);
  assert.is(torn.verdict, 'expected', JSON.stringify(torn));
  assert.match(torn.explained[0], 'reboot-loop guard');
  const landed = oracle(report(events(ev('storage', 'write', 'wss.state.a 110 bytes'))), WSS);
  assert.is(landed.verdict, 'failed', JSON.stringify(landed));
  assert.ok(landed.findings.some((f) => f.kind === 'lost' || /joined the home network/.test(f.detail)), JSON.stringify(landed.findings));
});

test('wss: the home AP out of range through the scan, no user network, FFS off: expected; the AP up before the scan: failed', () => {
  // fuzz default --cpu host seeds 307, 349, 358, 370 (HEAD 20cafdd): "home" out of range until ~15 s, the
  // device (fast at host speed) scanned at 11.6 s, the DSS had no credential for it, the run failed
  const run = (untilMs: number) => {
    t = 0;
    const late: SimEvent = { t: 0, actor: 'wifi', kind: 'fault', summary: `AP "home" out of range until ${untilMs / 1000}s`, fields: { ssid: 'home', untilMs } };
    return report([late, power('power on'), log('info wss: Wi-Fi Simple Setup run 1/3'), ev('wifi', 'scan', 'scan started', undefined),
      ev('wifi', 'scan', 'scan found 3 AP(s): (hidden), (hidden), (hidden)', undefined), log('warn wss: no user network worked'),
      log('warn wss: setup failed: no next state after CONNECTING_TO_USER_NETWORK'), log('warn wss: FFS off')]);
  };
  const j = oracle(run(15000), WSS);
  assert.is(j.verdict, 'expected', JSON.stringify(j));
  assert.match(j.explained[0], 'out of range until 15s');
  const k = oracle(run(20), WSS); // up at 20 ms, long before the scan: no fault in that run
  assert.is(k.verdict, 'failed', JSON.stringify(k));
  assert.match(k.findings[0].detail, 'no injected fault in that run');
});

test('a crash is a failure whatever the flows did', () => {
  const r = report([ev('echo', 'state', 'provisioned dev1 over pb-adv: unicast 0x0100', undefined), ev('echo', 'check', 'dev1 stored the same device key', undefined)]);
  (r as { failures: string[] }).failures = ['dev1 crashed at 1.000s: Uncaught Error: boom'];
  const j = oracle(r, MESH);
  assert.is(j.verdict, 'failed');
  assert.is(j.findings[0].kind, 'crash');
});

test.run();

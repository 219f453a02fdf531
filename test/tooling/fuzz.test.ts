// --fuzz: randomized fault schedules and the detectors (crash, hang, lost data, forbidden state).
// The detectors are proven on faults built here: a firmware bundle with an injected crash on every boot
// after the first, a scenario whose outcome can never come, and timelines that lose a record.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzz, judge, lostData, makeSchedule, type Baseline } from '../../sim/fuzz';
import { FIRMWARE_PATH, loadScenario, type RunReport, type Scenario } from '../../sim/scenario';
import type { SimEvent } from '../../sim/timeline';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fuzz-test-'));

/** dist/firmware.js with a crash that strikes at every boot after the first (a boot counter in Storage). */
function crashingFirmware(): string {
  const inject = '(function(){var S=require("Storage");var n=S.read("fz.boots");n=n?(n|0):0;S.write("fz.boots",""+(n+1));' +
    'if(n>0)throw new Error("injected crash on boot "+(n+1));})();\n';
  const file = path.join(tmp, 'crashing-firmware.js');
  writeFileSync(file, inject + readFileSync(FIRMWARE_PATH, 'latin1'), 'latin1');
  return file;
}

test('schedules are a function of the seed; each uses the scenario fault vocabulary', async () => {
  const base = await loadScenario('mesh-pb-adv-happy');
  const baseline: Baseline = { virtualMs: 2000, writes: 2, marks: [['log', 'mesh: link open'], ['pdu', 'rx Confirmation']] };
  const a = makeSchedule(base, baseline, 7);
  const b = makeSchedule(base, baseline, 7);
  const c = makeSchedule(base, baseline, 8);
  assert.equal(a.scenario, b.scenario);
  assert.equal(a.faults, b.faults);
  assert.not.equal(JSON.stringify(a.scenario), JSON.stringify(c.scenario));
  for (const s of [a, c]) {
    assert.ok(s.scenario.faults.length >= 2, 'random faults plus the persistence probe');
    for (const f of s.scenario.faults) assert.ok(['powerCut', 'tornWrite', 'reboot'].includes(f.do), f.do);
    assert.ok(s.scenario.expect.events!.includes('mesh: provisioned node, address'), 'the probe expects the node back after a reboot');
    assert.is(s.scenario.seed, s.seed);
    assert.ok(s.scenario.durationMs >= base.durationMs);
  }
});

test('an injected crash is reported with its seed, and the seed replays it', async () => {
  const base = await loadScenario('boot');
  const firmwarePath = crashingFirmware();
  const result = await fuzz(base, { runs: 12, seed: 1, firmwarePath, saveDir: tmp });
  assert.is(result.runs.length, 12);
  const crashed = result.failing.filter((r) => r.findings.some((f) => f.kind === 'crash' && /injected crash on boot 2/.test(f.detail)));
  assert.ok(crashed.length >= 1, `no crash found: ${JSON.stringify(result.runs.map((r) => [r.seed, r.faults, r.findings]))}`);
  assert.ok(result.runs.some((r) => r.findings.length === 0), 'runs without a reboot pass');
  const first = crashed[0];
  assert.is(first.replay, `npm run sim -- boot --fuzz 1 --seed ${first.seed}`);
  assert.ok(first.file && JSON.parse(readFileSync(first.file, 'utf8')).faults.length > 0, 'the fuzzed scenario is saved');
  const again = await fuzz(base, { runs: 1, seed: first.seed, firmwarePath, saveDir: null });
  assert.equal(again.runs[0].faults, first.faults);
  assert.equal(again.runs[0].findings.map((f) => f.kind), first.findings.map((f) => f.kind));
  // the production firmware survives the same schedule
  const clean = await fuzz(base, { runs: 1, seed: first.seed, saveDir: null });
  assert.equal(clean.runs[0].findings, []);
});

test('an outcome that never comes is a hang, naming the last progress', async () => {
  const base = await loadScenario('boot');
  const never: Scenario = { ...base, name: 'boot-never-provisioned', durationMs: 3000, expect: { outcome: 'provisioned' } };
  const result = await fuzz(never, { runs: 2, seed: 3, saveDir: null });
  assert.is(result.failing.length, 2);
  for (const r of result.runs) {
    const hang = r.findings.find((f) => f.kind === 'hang');
    assert.ok(hang, JSON.stringify(r.findings));
    assert.match(hang!.detail, /no "provisioned" outcome/);
    assert.match(hang!.detail, /last progress at/);
  }
});

const ev = (t: number, actor: string, kind: string, summary: string): SimEvent => ({ t, actor, kind, summary, board: 'dev1' });

test('lost data: a committed record that a later boot does not have', () => {
  const provisioned = [
    ev(0, 'device', 'power', 'power on'),
    ev(1, 'storage', 'write', 'ffs.meshnet.a 164 bytes'),
    ev(1, 'device', 'log', 'info mesh: provisioned over pb-adv: address 0x100'),
    ev(2, 'device', 'power', 'power off (fault: reboot)'),
    ev(2, 'device', 'power', 'power on'),
  ];
  const lost = lostData([...provisioned, ev(2, 'device', 'log', 'info mesh: unprovisioned: beaconing uuid 00 oob info 0x0804 over pb-adv')]);
  assert.is(lost.length, 1);
  assert.is(lost[0].kind, 'lost');
  assert.match(lost[0].detail, 'dev1 lost its provisioned mesh node');
  assert.equal(lostData([...provisioned, ev(2, 'device', 'log', 'info mesh: provisioned node, address 0x100: not beaconing')]), []);
  // a factory reset in between makes starting afresh legitimate
  assert.equal(lostData([...provisioned.slice(0, 3), ev(1.5, 'device', 'log', 'info mesh: factory reset: mesh records erased'), ...provisioned.slice(3),
    ev(2, 'device', 'log', 'info mesh: unprovisioned: beaconing uuid 00')]), []);
  // Wi-Fi: the line comes before the write; a power cut before the write commits nothing
  const joined = [ev(0, 'device', 'power', 'power on'), ev(1, 'device', 'log', 'info wss: joined user network "home"')];
  const reboot = [ev(2, 'device', 'power', 'power off (fault)'), ev(2, 'device', 'power', 'power on'), ev(2, 'device', 'log', 'info wss: Wi-Fi Simple Setup run 2 of at most 3')];
  assert.equal(lostData([...joined, ...reboot]), []);
  assert.is(lostData([...joined, ev(1, 'storage', 'write', 'wss.state.b 121 bytes'), ...reboot]).length, 1);
});

test('judge: forbidden events and wrong terminal outcomes', () => {
  const report = {
    failures: ['forbidden event at 1.000s: dev1 device log warn mesh: provisioning failed'],
    outcomes: { dev1: { outcome: 'linkClosed', t: 5000 } }, outcome: 'linkClosed', boards: [{ id: 'dev1' }],
    events: [ev(5000, 'echo', 'state', 'provisioning dev1 ended')], stop: 'idle', virtualMs: 5000,
  } as unknown as RunReport;
  const kinds = judge(report, 'provisioned').map((f) => f.kind);
  assert.equal(kinds, ['forbidden', 'forbidden']);
  assert.equal(judge({ ...report, failures: [], outcomes: { dev1: { outcome: 'provisioned', t: 1 } }, outcome: 'provisioned' } as RunReport, 'provisioned'), []);
});

test('the command line prints every seed and the verdict', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'sim/cli.ts', 'boot', '--fuzz', '3', '--seed', '40'], { cwd: root, encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
  for (const s of [40, 41, 42]) assert.match(r.stdout, `seed ${s}: ok`);
  assert.match(r.stdout, /PASS fuzz boot: 0 of 3 runs failed/);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'sim/cli.ts', 'boot', '--fuzz', 'many'], { cwd: root, encoding: 'utf8' });
  assert.is(bad.status, 2);
  assert.match(bad.stderr, '--fuzz: expected a positive number of runs');
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test.run();

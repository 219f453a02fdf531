// Device time (sim/cpu/model.ts, sim/clock.ts): the clock's busy owners, the cost table, the board
// factor, bad input (one line, exit 2, nothing run) and the costs landing where the firmware computes.
// The costs here come from a fixed table made in the test, so the numbers do not move when
// sim/cpu/calibration.json is re-measured.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualClock, type CpuScheduler } from '../../sim/clock';
import { CALIBRATION_FORMAT, COST_KEYS, CpuConfigError, firmwareVersion, laneMemory, loadCalibration, parseCpuSpec, type Calibration } from '../../sim/cpu/model';
import { mkdirSync } from 'node:fs';
import { loadScenario, runScenario } from '../../sim/scenario';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cpu-test-'));

function table(over: Partial<Calibration['costsMs']> = {}): Calibration {
  const costsMs = Object.fromEntries(COST_KEYS.map((k) => [k, 0])) as Calibration['costsMs'];
  Object.assign(costsMs, { boot: 100, callback: 0.05, 'sha256.call': 0.2, 'sha256.byte': 0.0001, 'aes.call': 0.1,
    'p256.keygen.slice': 20, 'p256.ecdh.slice': 20, 'p256.verify.slice': 20, 'p256.sign.slice': 20 }, over);
  return { format: CALIBRATION_FORMAT, firmwareVersion: firmwareVersion(), measured: { by: 'test' }, costsMs };
}

test('the clock: a busy owner\'s timers wait; charge() moves its now() inside the callback; others run on time', async () => {
  const clock = new VirtualClock();
  const log: string[] = [];
  clock.setTimer(() => {
    clock.charge('dev1', 500); // a 500 ms computation
    log.push('dev1 sends at ' + clock.now());
    clock.setTimer(() => log.push('reply at ' + clock.now()), 10, 'echo'); // stamped after the computation
  }, 100, 'dev1');
  clock.setTimer(() => log.push('dev1 timer at ' + clock.now()), 200, 'dev1'); // waits for the computation
  clock.setTimer(() => log.push('echo timer at ' + clock.now()), 300, 'echo'); // another device: on time
  await clock.run();
  assert.equal(log, ['dev1 sends at 600', 'echo timer at 300', 'dev1 timer at 600', 'reply at 610']);
  assert.is(clock.busyUntil('dev1'), 600);
  assert.is(clock.cpuMs.get('dev1'), 500);
});

test('the clock: a tagged timer with a cost runs at the end of that CPU time, and blocks the owner meanwhile', async () => {
  const clock = new VirtualClock();
  const cpu: CpuScheduler = { tag: (owner) => (owner === 'dev1' ? 'work' : undefined), cost: (_o, tag) => (tag === 'work' ? 1000 : 0) };
  clock.cpu = cpu;
  const log: string[] = [];
  clock.setTimer(() => log.push('slice done at ' + clock.now()), 0, 'dev1');
  clock.setTimer(() => log.push('world at ' + clock.now()), 400, 'echo');
  await clock.run();
  clock.setTimer(() => log.push('after at ' + clock.now()), 0, 'dev1');
  await clock.run();
  assert.equal(log, ['world at 400', 'slice done at 1000', 'after at 2000']);
  clock.idle('dev1'); // a power cut ends the computation
  assert.is(clock.busyUntil('dev1'), 0);
});

test('--cpu names and factors: esp32 is the default at 30x, host 1x; bad ones are one clear line', () => {
  assert.equal(parseCpuSpec(), { name: 'esp32', factor: 30 });
  assert.equal(parseCpuSpec('host'), { name: 'host', factor: 1 });
  assert.equal(parseCpuSpec(undefined, '12.5'), { name: 'factor', factor: 12.5 });
  for (const [cpu, factor, msg] of [['pentium', undefined, 'unknown board "pentium"'], [undefined, '0', 'expected a number > 0'],
    [undefined, '-3', 'expected a number > 0'], [undefined, 'NaN', 'expected a number > 0'], [undefined, '1e999', 'expected a number > 0'],
    [undefined, 'fast', 'expected a number > 0'], ['host', '2', 'give one of them']] as const) {
    try {
      parseCpuSpec(cpu, factor);
      assert.unreachable(`${cpu} ${factor}`);
    } catch (e) {
      assert.instance(e, CpuConfigError);
      assert.match((e as Error).message, msg);
      assert.not.match((e as Error).message, '\n');
    }
  }
});

test('calibration file: missing, malformed, not a table, a bad cost, another firmware version: one line each', () => {
  const f = (name: string, text: string) => {
    const p = path.join(tmp, name);
    writeFileSync(p, text);
    return p;
  };
  const cases: Array<[string, string]> = [
    [path.join(tmp, 'absent.json'), 'calibration file missing'],
    [f('bad.json', '{"format": '), 'not valid JSON'],
    [f('other.json', JSON.stringify({ format: 'x' })), 'not a calibration table'],
    [f('cost.json', JSON.stringify({ ...table(), costsMs: { ...table().costsMs, 'aes.call': -1 } })), 'costsMs.aes.call'],
    [f('version.json', JSON.stringify({ ...table(), firmwareVersion: '9.9.9' })), 'measured on firmware "9.9.9"'],
  ];
  for (const [file, msg] of cases) {
    try {
      loadCalibration(file);
      assert.unreachable(file);
    } catch (e) {
      assert.instance(e, CpuConfigError);
      assert.match((e as Error).message, msg);
      assert.not.match((e as Error).message, '\n');
    }
  }
  assert.is(loadCalibration(f('good.json', JSON.stringify(table()))).costsMs.boot, 100);
});

test('the command line: bad --cpu input and a bad calibration exit 2 with one line, before anything runs', () => {
  const sim = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'sim/cli.ts', 'boot', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
  const bad = path.join(tmp, 'version-cli.json');
  writeFileSync(bad, JSON.stringify({ ...table(), firmwareVersion: '0.0.0-other' }));
  for (const [args, env, msg] of [
    [['--cpu', 'z80'], {}, '--cpu: unknown board "z80"'],
    [['--cpu-factor', '0'], {}, '--cpu-factor: expected a number > 0'],
    [['--cpu-factor', '-2'], {}, '--cpu-factor: expected a number > 0'],
    [['--cpu-factor', 'NaN'], {}, '--cpu-factor: expected a number > 0'],
    [[], { FFS_CPU_CALIBRATION: path.join(tmp, 'nope.json') }, 'calibration file missing'],
    [[], { FFS_CPU_CALIBRATION: bad }, 'measured on firmware "0.0.0-other"'],
  ] as const) {
    const r = sim([...args], env);
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.is(r.stdout, '', 'nothing ran');
    const lines = r.stderr.trim().split('\n');
    assert.is(lines.length, 1, r.stderr);
    assert.match(lines[0], msg);
  }
});

test('boot costs device time: the boot line comes boot x factor later, and --cpu host vs 10x differ by exactly that', async () => {
  const base = await loadScenario('boot');
  const at = async (factor: number) => {
    const r = await runScenario(base, { cpu: { name: 'factor', factor }, calibration: table(), storageDir: null });
    const line = r.events.find((e) => e.kind === 'log' && e.summary.includes('FFS provisionee booted'))!;
    return { t: line.t, cpu: r.cpu! };
  };
  const none = await runScenario(base, { cpu: null, storageDir: null });
  const t0 = none.events.find((e) => e.kind === 'log' && e.summary.includes('FFS provisionee booted'))!.t;
  const one = await at(1);
  const ten = await at(10);
  assert.ok(one.t >= t0 + 100, `boot line at ${one.t} ms with a 100 ms boot (no device time: ${t0})`);
  assert.ok(ten.t >= t0 + 1000, `boot line at ${ten.t} ms at 10x`);
  assert.ok(ten.t - one.t >= 900 && ten.t - one.t < 1300, `difference ${ten.t - one.t} ms`);
  assert.ok(one.cpu.boards.dev1.byKind.boot === 100 && ten.cpu.boards.dev1.byKind.boot === 1000);
  assert.ok(one.cpu.boards.dev1.byKind.sha256 > 0, 'native SHA-256 calls are costed (the DRBG at boot)');
});

test('P-256 slices are recognised in the bundle: the mesh key pair and ECDH cost slices x factor', async () => {
  const base = await loadScenario('mesh-pb-adv-happy');
  const r = await runScenario(base, { cpu: { name: 'factor', factor: 2 }, calibration: table({ 'p256.keygen.slice': 10, 'p256.ecdh.slice': 30 }), storageDir: null });
  assert.ok(r.ok, r.failures.join('; '));
  const k = r.cpu!.boards.dev1.byKind;
  // every slice costs callback + slice cost, x2: the totals are whole multiples of it, and there are 100+ slices
  const keygenSlices = k['p256.keygen'] / (2 * (10 + 0.05));
  const ecdhSlices = k['p256.ecdh'] / (2 * (30 + 0.05));
  assert.ok(Math.abs(keygenSlices - Math.round(keygenSlices)) < 1e-6 && keygenSlices > 100, `keygen ${k['p256.keygen']} ms`);
  assert.ok(Math.abs(ecdhSlices - Math.round(ecdhSlices)) < 1e-6 && ecdhSlices > 100, `ecdh ${k['p256.ecdh']} ms`);
  // the ECDH shows on the timeline: our Public Key leaves when it is done, ~slices x 60 ms after the Echo's
  const rx = r.events.find((e) => e.actor === 'device' && e.summary.includes('rx Public Key'))!;
  const tx = r.events.find((e) => e.actor === 'device' && e.summary.includes('tx Public Key'))!;
  assert.ok(tx.t - rx.t >= ecdhSlices * 60, `${tx.t - rx.t} ms between the keys for ${ecdhSlices} slices`);
  assert.ok(r.events.some((e) => e.kind === 'memory') || !r.cpu!.memory, 'memory stages on the timeline when the table has them');
});

test('each TLS handshake and each JSON.parse costs device time (issue 12: each DSS body parse and signature check)', async () => {
  const base = await loadScenario('wss-happy-simple-setup');
  const run = async (over: Partial<Calibration['costsMs']>) => runScenario(base, { cpu: { name: 'factor', factor: 2 }, calibration: table(over), storageDir: null });
  const free = await run({});
  const paid = await run({ 'tls.handshake': 500, 'json.call': 1, 'json.byte': 0.01 });
  assert.ok(free.ok && paid.ok, [...free.failures, ...paid.failures].join('; '));
  const connects = (r: typeof paid) => r.events.filter((e) => e.actor === 'tls' && e.kind === 'connect').length;
  const k = paid.cpu!.boards.dev1.byKind;
  // every handshake that completed: 500 ms x 2 (the DSS answered each one)
  assert.ok(connects(paid) >= 5, `${connects(paid)} TLS connections`);
  assert.is(k.tls, 1000 * connects(paid), `tls ${k.tls} ms for ${connects(paid)} handshakes`);
  assert.ok(k.json > 2 * (1 + 0.01 * 100) * 5, `json ${k.json} ms: at least the DSS bodies`);
  assert.is(free.cpu!.boards.dev1.byKind.tls ?? 0, 0);
  // the device answers later by that time: the first DSS exchange lasts at least one handshake (the network
  // latency it had without one overlaps)
  const firstClose = (r: typeof paid) => {
    const c = r.events.findIndex((e) => e.actor === 'tls' && e.kind === 'connect');
    const close = r.events.slice(c).find((e) => e.actor === 'tls' && e.kind === 'close')!;
    return close.t - r.events[c].t;
  };
  assert.ok(firstClose(paid) >= 1000 && firstClose(paid) >= firstClose(free) + 900, `first exchange ${firstClose(paid)} ms with handshakes, ${firstClose(free)} ms without`);
  assert.ok(paid.virtualMs >= free.virtualMs + 800 * connects(paid), // (less the latency each one overlaps)
     `${paid.virtualMs} vs ${free.virtualMs} ms`);
});

test('memory in the picture: the stages measured on the interpreter reach the timeline and the trace page', async () => {
  const memory = { total: 16383, stages: [{ stage: 'boot', jsVars: 2371, note: 'app' }, { stage: 'p256.keygen', jsVars: 465, note: 'key pair' }] };
  const base = await loadScenario('mesh-pb-adv-happy');
  const r = await runScenario(base, { cpu: { name: 'host', factor: 1 }, calibration: { ...table(), memory }, storageDir: null });
  const lines = r.events.filter((e) => e.actor === 'device' && e.kind === 'memory').map((e) => e.summary);
  assert.ok(lines.some((l) => l === 'app loaded: 2,371 JsVars of 16,383 (measured on the interpreter)'), lines.join(' | '));
  assert.ok(lines.some((l) => l.startsWith('P-256 key pair working set: +465 JsVars')), lines.join(' | '));
  const { renderTrace } = await import('../../sim/trace');
  const html = renderTrace(r);
  assert.match(html, 'memory per stage (JsVars of ');
  assert.match(html, '"stage":"p256.keygen","jsVars":465');
  assert.match(html, 'device time');
});

test('the Espruino lane\'s measurements (newest file) give each flow\'s peak JsVars; none or a bad file: none', () => {
  const dir = path.join(tmp, 'measurements');
  mkdirSync(dir, { recursive: true });
  assert.is(laneMemory(dir), null);
  writeFileSync(path.join(dir, '2026-12-06-2v29-ESP32.json'), JSON.stringify({ format: 'espruino-lane/1', date: '2026-12-06T10:00:00Z', flows: [{ flow: 'mesh', peakJsVars: 1, outcome: 'old' }] }));
  writeFileSync(path.join(dir, '2026-12-07-2v29-ESP32.json'), JSON.stringify({ format: 'espruino-lane/1', date: '2026-12-07T10:00:00Z',
    flows: { ok: true, bootJsVars: 7977, flows: [{ flow: 'mesh', peakJsVars: 5123, longestBlockMs: 40, outcome: 'provisioned' }, { flow: 'wss', peakJsVars: null, outcome: 'in progress' }] } }));
  const m = laneMemory(dir)!;
  assert.is(m.bootJsVars, 7977);
  assert.is(m.date, '2026-12-07T10:00:00Z');
  assert.equal(m.flows.map((f) => [f.flow, f.peakJsVars]), [['mesh', 5123], ['wss', null]]);
  // the newest by the date inside, not the last name (an older partial run's file may sort last)
  writeFileSync(path.join(dir, '2026-12-07-2v29-mesh-only.json'), JSON.stringify({ format: 'espruino-lane/1', date: '2026-12-05T10:00:00Z', flows: [{ flow: 'mesh', peakJsVars: 9999, outcome: 'old' }] }));
  assert.is(laneMemory(dir)!.flows[0].peakJsVars, 5123);
  writeFileSync(path.join(dir, '2026-12-08-2v29-ESP32.json'), '{not json');
  assert.is(laneMemory(dir), null);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test.run();

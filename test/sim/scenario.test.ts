import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { validateScenario, loadScenario, listScenarios, runScenario, fleetStats, ScenarioError, registerWorldPlugin } from '../../sim/scenario';
import { tempDir } from './helpers';

test('validation: one line per problem, each naming the field', () => {
  const problems = validateScenario({
    name: '', seed: -1, durationMs: 'long', colour: 'red',
    device: { count: 0, env: { BOARD: 5 } },
    faults: [{ at: 'sometime', do: 'explode' }, 'x'],
    expect: { events: [''], outcome: 3 },
    world: { nowhere: {} },
  }, 's.json');
  const has = (field: string) => assert.ok(problems.some((p) => p.startsWith(`s.json: ${field}:`)), `no problem for ${field}: ${problems.join(' | ')}`);
  for (const f of ['name', 'seed', 'durationMs', 'colour', 'device.count', 'device.env', 'faults[0].at', 'faults[0].do', 'faults[1]', 'expect.events', 'expect.outcome', 'world.nowhere']) has(f);
  for (const p of problems) assert.not.match(p, /\n/);
  assert.equal(validateScenario({ name: 'ok', faults: [{ at: 'storageWrite:3', do: 'tornWrite', restoreMs: 100 }, { at: 'event:log:booted', do: 'reboot' }, { at: 500, do: 'pressButton', ms: 3000 }] }), []);
});

test('world plugins validate their own section', () => {
  registerWorldPlugin({
    key: 'testworld',
    validate: (s) => (s && typeof (s as any).aps === 'number' ? [] : ['world.testworld.aps: expected a number']),
    attach: () => undefined,
  });
  assert.equal(validateScenario({ name: 'x', world: { testworld: { aps: 'two' } } }, 'f'), ['f: world.testworld.aps: expected a number']);
  assert.equal(validateScenario({ name: 'x', world: { testworld: { aps: 2 } } }, 'f'), []);
});

test('an unknown scenario is one clear error listing the available ones', async () => {
  let err: unknown;
  try {
    await loadScenario('no-such-scenario');
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ScenarioError);
  assert.match((err as Error).message, /unknown scenario "no-such-scenario"; available: .*boot/);
});

test('the CLI: unknown scenario and bad files exit non-zero with one line; boot passes', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'sim/cli.ts', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const bad = run('no-such-scenario');
  assert.is(bad.status, 2);
  const lines = bad.stderr.trim().split('\n');
  assert.is(lines.length, 1, bad.stderr);
  assert.match(lines[0], /unknown scenario "no-such-scenario"; available: .*boot/);
  const dir = tempDir();
  const file = path.join(dir, 'broken.json');
  writeFileSync(file, '{"name": "x", "seed": "one"}');
  const invalid = run(file);
  assert.is(invalid.status, 2);
  assert.match(invalid.stderr, /seed: expected a non-negative integer/);
  assert.is(run('boot', '--seed', 'x').status, 2);
  const ok = run('boot', '--quiet');
  assert.is(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /PASS boot: outcome booted/);
  // --keep-storage boots from the previous run's Storage; a corrupt file is one line naming it
  const kept = run('boot', '--keep-storage');
  assert.is(kept.status, 0, kept.stdout + kept.stderr);
  assert.match(kept.stdout, /kept the Storage of the previous run/);
  const storageFile = path.join(process.cwd(), '.sim', 'boot', 'dev1.storage.json');
  writeFileSync(storageFile, '{"format": "espruino-storage-sim/1", "files": [');
  const corrupt = run('boot', '--keep-storage');
  assert.is(corrupt.status, 2);
  assert.is(corrupt.stderr.trim().split('\n').length, 1, corrupt.stderr);
  assert.ok(corrupt.stderr.includes(storageFile), corrupt.stderr);
  const verbose = run('boot');
  assert.match(verbose.stdout, /\d+\.\d{3}s {2}device +info boot: FFS provisionee booted/);
});

test('faults: a power cut at a named event, power back later', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'cut.json');
  writeFileSync(file, JSON.stringify({
    name: 'cut-after-boot', seed: 2, durationMs: 5000,
    faults: [{ at: 'event:log:FFS provisionee booted', do: 'powerCut', restoreMs: 1000 }],
  }));
  const r = await runScenario(file, { storageDir: null });
  assert.ok(r.events.some((e) => e.summary === 'power off (fault: power cut)'));
  const boots = r.events.filter((e) => e.actor === 'device' && e.summary.includes('FFS provisionee booted'));
  assert.ok(boots.length >= 2, 'booted again after the power came back');
  assert.is(boots[1].t - boots[0].t, 1000);
});

test('fleets: every board boots with its own identity; per-board outcomes feed the statistics', async () => {
  const r = await runScenario('boot', { fleet: 5, storageDir: null });
  assert.ok(r.ok, r.failures.join('; '));
  assert.is(r.boards.length, 5);
  assert.equal(Object.keys(r.outcomes).sort(), ['dev1', 'dev2', 'dev3', 'dev4', 'dev5']);
  const st = fleetStats(r);
  assert.is(st.reached, 5);
  const keys = new Set(r.boards.map((b) => Buffer.from(b.storage.read('ffs.devkey')!).toString('hex')));
  assert.is(keys.size, 5, 'each board has its own device key');
});

// example-* scenarios run a maker's app build (npm run build -- --app examples/...): test/maker runs them
// on that build; here every other scenario runs on the default dist/firmware.js.
for (const name of listScenarios().filter((n) => !n.startsWith('example-'))) {
  test(`scenario ${name} meets its expectations`, async () => {
    const r = await runScenario(name, { storageDir: null });
    assert.ok(r.ok, `${name}: ${r.failures.join('; ')}`);
  });
}

test.run();

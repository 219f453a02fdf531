// Runs every scenarios/wss-*.json through runScenario (the device side must pass them; see docs/WSS-SIM.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listScenarios, loadScenario, runScenario } from '../../sim/scenario.ts';

const names = listScenarios().filter((n) => n.startsWith('wss-'));

test('there are WSS scenarios and every one validates', async () => {
  assert.ok(names.length >= 20, `only ${names.length} wss scenarios`);
  for (const n of names) await loadScenario(n); // throws ScenarioError with one line per problem
});

for (const name of names) {
  test(`scenario ${name}`, async () => {
    const r = await runScenario(name, { storageDir: null });
    assert.ok(r.ok, `${name}: ${r.failures.join('; ')} (outcome ${r.outcome})`);
  });
}

test.run();

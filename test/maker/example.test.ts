// The example product and the maker's API on the real bundle in the simulator: the smart plug
// (examples/smart-plug) is set up by FFS and hears it through its callbacks; a maker app whose every
// callback throws leaves FFS's records whole and the setup done.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runScenario, type Scenario } from '../../sim/scenario.ts';
import { createRecordStore } from '../../firmware/store/record.ts';
import type { StorageService } from '../../hal/types.ts';
import { buildApp, root } from './support.ts';

const plugScenario = (): Scenario => JSON.parse(readFileSync(path.join(root, 'scenarios/example-smart-plug.json'), 'utf8'));

test('the smart plug: set up by FFS, online, reports its state, the button switches the relay', async () => {
  const plug = await buildApp('examples/smart-plug');
  const r = await runScenario(plugScenario(), { firmwarePath: plug.file, storageDir: null });
  assert.ok(r.ok, r.failures.join('\n'));
  assert.is(r.outcome, 'provisioned');
  const lines = r.events.map((e) => e.summary);
  const at = (s: string): number => lines.findIndex((l) => l.includes(s));
  // callbacks come after what they report, never inside FFS's own turn
  assert.ok(at('wss: joined user network "home"') < at('plug: online on "home"'));
  assert.ok(at('plug: online on') < at('plug: state report relay=off'));
  assert.ok(at('plug: state report relay=off') < at('plug: relay on'));
  // the relay pin follows the product
  const board = r.boards[0] as any;
  assert.is(board.readPin('D12'), 1, 'relay D12 high');
});

test('a maker whose every callback throws: each is logged, FFS finishes setup, its record is whole', async () => {
  const app = await buildApp('test/maker/fixtures/throwing');
  const s = plugScenario();
  s.name = 'maker-throwing';
  s.faults = [];
  s.expect = { outcome: 'provisioned', events: ['-> 200 DONE', 'onWifiJoined threw: maker bug', 'onStateChange threw: maker bug'] };
  const r = await runScenario(s, { firmwarePath: app.file, storageDir: null });
  assert.ok(r.ok, r.failures.join('\n'));
  const threw = r.events.filter((e) => e.summary.includes(' threw: maker bug'));
  assert.ok(threw.length >= 3, threw.map((e) => e.summary).join('\n'));
  assert.ok(threw.every((e) => e.summary.startsWith('error app: ')), 'logged as errors of the app');
  // the WSS record: both slots checked, the newest valid one holds the home network
  const st = (r.boards[0] as any).storage;
  const storage = {
    readString: (n: string) => st.readString(n) ?? null,
    read: (n: string) => st.read(n) ?? null,
  } as unknown as StorageService;
  const rec = createRecordStore<{ network: { ssid: string } | null }>({ storage, name: 'wss.state', version: 1 }).load();
  assert.ok(rec && rec.network, 'record loads');
  assert.is(rec!.network!.ssid, 'home');
});

test.run();

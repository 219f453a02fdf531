// firmware/api.ts over the WSS fake world (test/wss/support): the maker hears what the flows report,
// never synchronously, with the failure's code from the flow itself; a throwing callback is logged and
// changes nothing. (The board HAL's services made on first use: board-hal.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startFfs, type FfsState, type SetupFailure } from '../../firmware/api.ts';
import { base85Decode } from '../../firmware/crypto/base85.ts';
import { FILES } from '../../hal/storage-layout.ts';
import { openWssStore, loadRecord } from '../../firmware/wss/state.ts';
import { attachProvisioner, createWorld, freshKeys, standardAps, type FakeWorld } from '../wss/support/fake-hal.ts';

// the build's feature flags (esbuild define), all on
Object.assign(globalThis as any, { __FEATURE_WSS__: true, __FEATURE_MESH__: true, __FEATURE_PB_ADV__: true, __FEATURE_PB_GATT__: true, __FEATURE_SOFTAP__: true });

const HOME = { ssid: 'HomeNet', security: 'WPA_PSK' as const, key: 'home-secret-1' };

function world(locker = [HOME]): FakeWorld {
  const keys = freshKeys();
  const w = createWorld({
    keys,
    aps: standardAps(keys),
    locker,
    config: { 'DeviceInformation.ProductIndex': 'SIM1', 'DeviceInformation.SerialNumber': 'SN-0042' },
  });
  attachProvisioner(w, keys, 2, base85Decode);
  w.storage.write(FILES.config, JSON.stringify({ flows: { wss: true, mesh: false, softAp: true } }));
  return w;
}

interface Heard {
  states: string[];
  joined: string[];
  failed: SetupFailure[];
  softAp: number;
}

function listen(w: FakeWorld, opts: { throwing?: boolean } = {}) {
  const heard: Heard = { states: [], joined: [], failed: [], softAp: 0 };
  const boom = (): void => {
    if (opts.throwing) throw new Error('maker bug');
  };
  const ffs = startFfs(w.hal, {
    onStateChange: (s: FfsState) => {
      heard.states.push(s.wifi + (s.softAp ? '+ap' : '') + '/' + s.mesh);
      boom();
    },
    onWifiJoined: (n) => {
      heard.joined.push(n.ssid);
      boom();
    },
    onSetupFailed: (f) => {
      heard.failed.push(f);
      boom();
    },
    onSoftApNeeded: () => {
      heard.softAp++;
      boom();
    },
  });
  return { ffs, heard };
}

test('setup done: the maker hears the boot state, then joined with the network, all on later turns', () => {
  const w = world();
  const { ffs, heard } = listen(w);
  assert.equal(heard.states, [], 'nothing heard inside startFfs');
  assert.is(ffs.state().wifi, 'setup', 'the state is there at once');
  w.clock.run(600000);
  assert.is(heard.states[0], 'setup+ap/off', 'boot: no network, the soft AP beside FFS');
  assert.is(heard.states[heard.states.length - 1], 'joined/off');
  assert.equal(heard.joined, ['HomeNet']);
  assert.is(heard.softAp, 1);
  assert.equal(heard.failed, []);
  assert.equal(ffs.state(), { wifi: 'joined', softAp: false, mesh: 'off' });
});

test('a failed run: onSetupFailed with the reason and the code of the last failed Wi-Fi attempt', () => {
  const w = world([{ ssid: 'HomeNet', security: 'WPA_PSK', key: 'wrong-password' }]);
  const { ffs, heard } = listen(w);
  w.clock.run(600000);
  assert.is(heard.failed.length, 1, JSON.stringify(heard.failed));
  assert.is(heard.failed[0].flow, 'wss');
  assert.is(heard.failed[0].code, '3:2:0:1', 'wrong password');
  assert.ok(heard.failed[0].reason.length > 0);
  assert.is(ffs.state().wifi, 'setup');
  assert.ok(ffs.state().softAp, 'the soft AP stays');
});

test('every callback throws: each is logged as an app error, the record is whole, setup done', () => {
  const w = world();
  listen(w, { throwing: true });
  w.clock.run(600000);
  const threw = w.logs.filter((l) => l.includes(' threw: maker bug'));
  assert.ok(threw.some((l) => l.includes('onStateChange')) && threw.some((l) => l.includes('onWifiJoined')), threw.join('\n'));
  assert.ok(threw.every((l) => /error app: /.test(l)), threw.join('\n'));
  assert.equal(loadRecord(openWssStore(w.storage)).network, HOME);
});

test('clearSetup: the maker hears setup and the soft AP again', () => {
  const w = world();
  const { ffs, heard } = listen(w);
  w.clock.run(600000);
  const n = heard.states.length;
  ffs.clearSetup();
  assert.is(heard.states.length, n, 'not inside clearSetup');
  w.clock.run(w.clock.t + 60000);
  assert.is(heard.states[heard.states.length - 1], 'setup+ap/off', heard.states.join(' '));
  assert.is(heard.softAp, 2);
});

test.run();

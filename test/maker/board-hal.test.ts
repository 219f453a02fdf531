// hal/espruino/index.ts createBoardHal on the host, over stand-ins for the interpreter's globals
// (require('Storage'), require('Wifi'), E, getTime): the services made on first use are made once, at
// their first read, and never when not read; Wi-Fi and net are made at each read over a kept state;
// storage and the configuration are made once per turn and not kept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const files = new Map<string, string>([
  ['ffs.seed', 'x'.repeat(32)],
  ['ffs.cfg', JSON.stringify({ pins: { button: 'D4', buttonActiveLow: true, led: 'D5' }, discovery: { port: 50001 } })],
]);
const required: string[] = [];
const g = globalThis as any;
// set before each test, not when the file loads: the whole suite loads every file first, and another one
// (the flash tool's EspruinoTools) installs its own global require meanwhile
const stubRequire = (name: string): unknown => {
  required.push(name);
  if (name === 'Storage') return { read: (n: string) => files.get(n), readArrayBuffer: () => undefined, write: () => true, erase: () => undefined, list: () => [...files.keys()], getFree: () => 0, compact: () => undefined };
  if (name === 'Wifi') return { on: () => undefined, connect: (_s: string, _o: unknown, cb: (e: unknown) => void) => cb(null), getIP: () => ({ ip: '192.168.1.20' }), disconnect: (cb?: () => void) => cb && cb() };
  throw new Error('Module ' + name + ' not found');
};
const STUBBED = ['require', 'E', 'getTime', '__FEATURE_WSS__', '__FEATURE_MESH__', '__FEATURE_PB_ADV__', '__FEATURE_PB_GATT__', '__FEATURE_SOFTAP__'];
let saved: { [k: string]: unknown } = {};
let savedBoard: string | undefined;
test.after.each(() => {
  // put back what the other suites see (they run in the same process)
  for (const k of STUBBED) {
    if (saved[k] === undefined) delete g[k];
    else g[k] = saved[k];
  }
  if (savedBoard === undefined) delete g.process.env.BOARD;
  else g.process.env.BOARD = savedBoard;
});
test.before.each(() => {
  saved = {};
  for (const k of STUBBED) saved[k] = g[k];
  savedBoard = g.process.env.BOARD;
  g.require = stubRequire;
  g.E = { toUint8Array: (s: string) => Uint8Array.from(Buffer.from(s, 'latin1')), toString: (d: Uint8Array) => Buffer.from(d).toString('latin1') };
  g.getTime = () => 0;
  g.process.env.BOARD = 'TEST';
  // the build's feature flags (esbuild define), all on
  Object.assign(g, { __FEATURE_WSS__: true, __FEATURE_MESH__: true, __FEATURE_PB_ADV__: true, __FEATURE_PB_GATT__: true, __FEATURE_SOFTAP__: true });
});

const turn = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

test('first-use services (crypto, http, ble): a getter until read, then one plain property; never made when not read', async () => {
  // (a path in a variable: the host type-check leaves hal/espruino/, which uses the board's globals, out)
  const halIndex = '../../hal/espruino/index.ts';
  const hal = (await import(halIndex)).createBoardHal();
  for (const name of ['crypto', 'http', 'ble', 'wifi', 'net', 'storage', 'system', 'config']) {
    const d = Object.getOwnPropertyDescriptor(hal, name)!;
    assert.ok(d && d.get && d.enumerable, name + ' is a getter before it is read');
  }
  const ble = hal.ble;
  assert.ok(typeof ble.startScan === 'function');
  assert.is(hal.ble, ble, 'made once');
  const d = Object.getOwnPropertyDescriptor(hal, 'ble')!;
  assert.is(d.get, undefined);
  assert.is(d.value, ble, 'now a plain property');
  // reached through a prototype (how api.ts hands a maker page's HAL to WSS): made once, on the board's HAL
  const hal2 = (await import(halIndex)).createBoardHal();
  const child = Object.create(hal2);
  const ble2 = child.ble;
  assert.is(hal2.ble, ble2);
  assert.ok(Object.getOwnPropertyDescriptor(hal2, 'ble')!.value === ble2);
  assert.ok(Object.getOwnPropertyDescriptor(hal, 'crypto')!.get, 'the DRBG is still not made');
  assert.ok(Object.getOwnPropertyDescriptor(hal, 'http')!.get, 'the TLS client is still not made');
  assert.ok(Object.keys(hal).includes('crypto') && Object.keys(hal).includes('http'), 'enumerable before they are made');
});

test('Wi-Fi and net: made at each read over one kept state (the driver listener registered once); storage once per turn', async () => {
  const hal = (await import('../../hal/espruino/index.ts' as string)).createBoardHal();
  const before = required.filter((n) => n === 'Wifi').length;
  const w1 = hal.wifi;
  const w2 = hal.wifi;
  assert.is.not(w2, w1, 'not kept: made at each read');
  assert.is.not(hal.net, hal.net);
  const s1 = hal.storage;
  assert.is(hal.storage, s1, 'storage: one per turn');
  await turn();
  assert.is.not(hal.storage, s1, 'made again in the next turn');
  assert.is(required.filter((n) => n === 'Wifi').length, before + 1, 'one state, one Wifi module and listener');
  // what one read configures, the next one sees
  assert.is(w1.addConfiguration({ ssid: 'home', security: 'OPEN', key: '', hidden: false, priority: 0 }), null);
  const got: string[] = [];
  w2.connect({ ssid: 'home', onDone: (e: any, d: any) => got.push(e ? e.code : 'joined ' + d.ip) });
  await turn();
  assert.equal(got, ['joined 192.168.1.20'], 'the configuration reached the shared state');
  // (the removal of the joined network waits for the driver's leave: its onDone comes later)
  hal.wifi.removeConfiguration({ ssid: 'home', onDone: () => undefined });
  hal.wifi.connect({ ssid: 'home', onDone: (e: any) => got.push(e ? e.code : 'joined') });
  await turn();
  assert.equal(got, ['joined 192.168.1.20', 'WIFI_NOT_CONFIGURED'], 'so did the removal');
});

test('the configuration: one per turn, made again in a later turn (nothing kept at rest)', async () => {
  const hal = (await import('../../hal/espruino/index.ts' as string)).createBoardHal();
  const c1 = hal.config;
  assert.is(hal.config, c1, 'one per turn');
  assert.is(c1.getConfigurationValue('Discovery.Port'), 50001);
  await turn();
  const c2 = hal.config;
  assert.is.not(c2, c1, 'a new one in the next turn');
  assert.is(c2.getConfigurationValue('Discovery.Port'), 50001);
});

test('the pins come from ffs.cfg; the seed is checked at boot', async () => {
  const mod = await import('../../hal/espruino/index.ts' as string);
  const written: unknown[][] = [];
  g.digitalWrite = (...a: unknown[]) => written.push(a);
  mod.createBoardHal().led.set(true);
  assert.equal(written, [['D5', true]]);
  mod.createBoardHal({ button: 'D0', buttonActiveLow: true, led: 'D2' }).led.set(false);
  assert.equal(written[1], ['D2', false], "the maker's pins win");
  files.set('ffs.seed', 'short');
  assert.throws(() => mod.createBoardHal(), /ffs\.seed.*shorter than 32 bytes/);
  files.set('ffs.seed', 'x'.repeat(32));
});

test.run();

// hal/espruino/index.ts createBoardHal on the host, over stand-ins for the interpreter's globals
// (require('Storage'), require('Wifi'), E, getTime): the services made on first use are made once, at
// their first read, and never when not read; the configuration is made once per turn and not kept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const files = new Map<string, string>([
  ['ffs.seed', 'x'.repeat(32)],
  ['ffs.cfg', JSON.stringify({ pins: { button: 'D4', buttonActiveLow: true, led: 'D5' }, discovery: { port: 50001 } })],
]);
const required: string[] = [];
const g = globalThis as any;
g.require = (name: string): unknown => {
  required.push(name);
  if (name === 'Storage') return { read: (n: string) => files.get(n), readArrayBuffer: () => undefined, write: () => true, erase: () => undefined, list: () => [...files.keys()], getFree: () => 0, compact: () => undefined };
  if (name === 'Wifi') return { on: () => undefined };
  throw new Error('Module ' + name + ' not found');
};
g.E = { toUint8Array: (s: string) => Uint8Array.from(Buffer.from(s, 'latin1')), toString: (d: Uint8Array) => Buffer.from(d).toString('latin1') };
g.getTime = () => 0;
g.process.env.BOARD = 'TEST';

const turn = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

test('first-use services: a getter until read, then one plain property; never made when not read', async () => {
  // (a path in a variable: the host type-check leaves hal/espruino/, which uses the board's globals, out)
  const halIndex = '../../hal/espruino/index.ts';
  const hal = (await import(halIndex)).createBoardHal();
  for (const name of ['crypto', 'http', 'wifi', 'net', 'ble']) {
    const d = Object.getOwnPropertyDescriptor(hal, name)!;
    assert.ok(d && d.get && d.enumerable, name + ' is a getter before it is read');
  }
  assert.not.ok(required.includes('Wifi'), 'no Wifi module before hal.wifi is read');
  const wifi = hal.wifi;
  assert.ok(typeof wifi.connect === 'function');
  assert.is(hal.wifi, wifi, 'made once');
  assert.is(required.filter((n) => n === 'Wifi').length, 1);
  const d = Object.getOwnPropertyDescriptor(hal, 'wifi')!;
  assert.is(d.get, undefined);
  assert.is(d.value, wifi, 'now a plain property');
  // reached through a prototype (how api.ts hands a maker page's HAL to WSS): made once, on the board's HAL
  const child = Object.create(hal);
  const net = child.net;
  assert.is(hal.net, net);
  assert.ok(Object.getOwnPropertyDescriptor(hal, 'net')!.value === net);
  assert.ok(Object.getOwnPropertyDescriptor(hal, 'crypto')!.get, 'the DRBG is still not made');
  assert.ok(Object.getOwnPropertyDescriptor(hal, 'ble')!.get, 'BLE is still not made');
  assert.ok(Object.keys(hal).includes('crypto') && Object.keys(hal).includes('ble'), 'enumerable before they are made');
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

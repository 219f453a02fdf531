// The simulated BLE air, the emulated ESP32 NRF global (names, argument shapes, quirks) and the UDP
// bridge on loopback.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { VirtualClock } from '../../sim/clock.ts';
import { Timeline } from '../../sim/timeline.ts';
import { Rng } from '../../sim/rng.ts';
import { Board } from '../../sim/board/board.ts';
import { Air, validateAir, type AirPacket, type Radio } from '../../sim/world/air.ts';
import { createNrf } from '../../sim/board/nrf.ts';
import { validateEcho } from '../../sim/world/echo.ts';

function world(cfg: ConstructorParameters<typeof Air>[3] = {}) {
  const clock = new VirtualClock();
  const timeline = new Timeline(() => clock.now());
  const rng = new Rng(3);
  const air = new Air(clock, timeline, rng, cfg);
  const board = new Board({ id: 'dev1', clock, timeline, rng: rng.fork('b'), globals: { NRF: (b) => createNrf(b, air) } });
  board.powerOn();
  const heard: AirPacket[] = [];
  const probe: Radio = { id: 'probe', address: 'aa:aa:aa:aa:aa:aa', onPacket: (p) => void heard.push(p), owner: 'probe' };
  air.join(probe);
  return { clock, timeline, air, board, heard, probe };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** Run firmware code; a thrown error comes back as "ERR <message>" (evaluate() prints Uncaught instead). */
const tryEval = (board: Board, code: string): string =>
  String(board.evaluate('(function(){try{' + code + ';return "ok";}catch(e){return "ERR "+e.message;}})()'));

test('setAdvertising(raw, {interval, connectable}) puts the exact bytes on the air every interval + advDelay', async () => {
  const w = world();
  w.board.evaluate('NRF.setAdvertising([2,1,6,3,3,0x27,0x18], {connectable:false, interval:100})');
  await w.clock.run({ until: 1000 });
  assert.ok(w.heard.length >= 8 && w.heard.length <= 10, 'events: ' + w.heard.length);
  assert.is(hex(w.heard[0].data), '0201060303' + '2718');
  assert.is(w.heard[0].connectable, false);
  const gaps = w.heard.slice(1).map((p, i) => p.rssi && i); // rssi in range, one event each
  assert.ok(gaps.length > 0);
  w.board.evaluate('NRF.setAdvertising([[2,1,6],[2,1,4]], {interval:50})');
  w.heard.length = 0;
  await w.clock.run({ until: 1300 });
  assert.ok(w.heard.some((p) => hex(p.data) === '020106') && w.heard.some((p) => hex(p.data) === '020104'), 'rotates raw adverts');
  assert.match(tryEval(w.board, 'NRF.setAdvertising(new Uint8Array(32))'), /31 bytes/);
  assert.match(tryEval(w.board, 'NRF.setAdvertising({0x180F:[95]})'), /not emulated/);
});

test('setScan(cb) hands BluetoothDevice {id, rssi, data: ArrayBuffer}; setScan() stops', async () => {
  const w = world();
  w.board.evaluate('var got=[]; NRF.setScan(function(d){ got.push(d.id + "|" + (d.rssi<0) + "|" + (d.data instanceof ArrayBuffer) + "|" + new Uint8Array(d.data).join(",")); }, {active:false})');
  w.air.transmit(w.probe, new Uint8Array([3, 0x29, 1, 2]), false);
  await w.clock.run({ until: 50 });
  assert.equal(JSON.parse(String(w.board.evaluate('JSON.stringify(got)'))), ['aa:aa:aa:aa:aa:aa|true|true|3,41,1,2']);
  w.board.evaluate('NRF.setScan()');
  w.air.transmit(w.probe, new Uint8Array([2, 1, 6]), false);
  await w.clock.run({ until: 100 });
  assert.is(Number(w.board.evaluate('got.length')), 1);
});

test('scan garbage (#2138) when configured: id 00:00:00:00:00:00 and an impossible RSSI', async () => {
  const w = world({ scanGarbage: 0.9 });
  w.board.evaluate('var ids=[]; NRF.setScan(function(d){ ids.push(d.id + " " + d.rssi); })');
  for (let i = 0; i < 5; i++) w.air.transmit(w.probe, new Uint8Array([2, 1, 6]), false);
  await w.clock.run({ until: 50 });
  const ids = JSON.parse(String(w.board.evaluate('JSON.stringify(ids)'))) as string[];
  assert.ok(ids.some((s) => s.startsWith('00:00:00:00:00:00 ') && Number(s.split(' ')[1]) > 1000));
});

test('setServices with "0xABCD" keys, GATT connect/write/notify/disconnect events, uart option', async () => {
  const w = world();
  w.board.evaluate(`var log=[];
    NRF.on('connect', function(a){ log.push('connect'); });
    NRF.on('disconnect', function(r){ log.push('disconnect ' + r); });
    NRF.setServices({'0x1827': {'0x2adb': {value:[0], maxLen:66, writable:true, onWrite:function(e){ log.push('write ' + new Uint8Array(e.data).join(',')); }},
                                '0x2adc': {value:[0], maxLen:66, readable:true, notify:true}}}, {uart:false});
    NRF.setAdvertising([2,1,6], {connectable:true, interval:100});`);
  assert.is(w.board.consoles.bleUart, false);
  const notes: string[] = [];
  let closed = -1;
  const link = w.air.connect(w.board.storage && (w.board.evaluate('NRF.getAddress()') as string).split(' ')[0], {
    owner: 'probe',
    onNotify: (c, d) => void notes.push(c.toString(16) + ':' + hex(d)),
    onDisconnect: (r) => void (closed = r),
  });
  assert.ok(link);
  link!.write(0x2adb, new Uint8Array([3, 0, 5]));
  await w.clock.run({ until: 100 });
  w.board.evaluate("NRF.updateServices({'0x1827': {'0x2adc': {value:[3,1,2,3], notify:true}}})");
  await w.clock.run({ until: 200 });
  assert.equal(notes, ['2adc:03010203']);
  w.board.evaluate('NRF.disconnect()');
  await w.clock.run({ until: 300 });
  assert.is(closed, 0x16);
  assert.equal(JSON.parse(String(w.board.evaluate('JSON.stringify(log)'))), ['connect', 'write 3,0,5', 'disconnect 22']);
  assert.match(tryEval(w.board, "NRF.updateServices({'0x1827': {'0x2aaa': {value:[1]}}})"), /Unable to find service/);
  w.board.evaluate("NRF.setServices({'0x1827': {'0x2adb': {value:[0], writable:true}}})");
  assert.is(w.board.consoles.bleUart, true, 'setServices without uart:false reopens the console (the HAL must always pass it)');
});

test('legacy firmware profile: updateServices prints FIXME and throws (ESP32 before PR #2494)', () => {
  const w = world({ firmware: 'legacy' });
  w.board.evaluate("NRF.setServices({'0x1827': {'0x2adc': {value:[0], notify:true}}}, {uart:false})");
  assert.match(tryEval(w.board, "NRF.updateServices({'0x1827': {'0x2adc': {value:[1], notify:true}}})"), /Unable to find service with UUID 0x2adc/);
  assert.ok(w.board.console.some((l) => l.includes('FIXME')));
});

test('air faults come from the seeded RNG: loss, duplication and reordering are counted and repeatable', async () => {
  const counts: string[] = [];
  for (let run = 0; run < 2; run++) {
    const w = world({ loss: 0.3, duplicate: 0.3, reorder: 0.3 });
    const order: number[] = [];
    const rx: Radio = { id: 'rx', address: 'bb:bb:bb:bb:bb:bb', onPacket: (p) => void order.push(p.data[2]), owner: 'rx' };
    w.air.join(rx);
    for (let i = 0; i < 100; i++) w.air.transmit(w.probe, new Uint8Array([2, 0xff, i]), false);
    await w.clock.run({ until: 1000 });
    const s = w.air.stats;
    assert.ok(s.lost > 10 && s.duplicated > 10 && s.reordered > 10, JSON.stringify(s));
    assert.ok(order.some((v, i) => i > 0 && v < order[i - 1]), 'some packets overtaken');
    counts.push(JSON.stringify(s) + order.join(','));
  }
  assert.is(counts[0], counts[1], 'same seed, same air');
});

test('UDP bridge: every packet goes out as one datagram of the raw AD structures, and datagrams come in', async () => {
  const w = world();
  const peer = dgram.createSocket('udp4');
  await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
  const peerPort = (peer.address() as { port: number }).port;
  const port = await w.air.startUdp(0, [peerPort]);
  const got = new Promise<Buffer>((r) => peer.once('message', (m) => r(m)));
  w.board.evaluate('var seen=[]; NRF.setScan(function(d){ seen.push(new Uint8Array(d.data).join(",")); })');
  w.air.transmit(w.probe, new Uint8Array([0x14, 0x2b, 0x00, ...new Uint8Array(16).fill(7), 0x08, 0x04]), false);
  const dg = await got;
  assert.is(dg.toString('hex'), '142b00' + '07'.repeat(16) + '0804');
  await new Promise<void>((r) => peer.send(Buffer.from([3, 0x29, 9, 9]), port, '127.0.0.1', () => r()));
  await new Promise((r) => setTimeout(r, 50));
  await w.clock.run({ until: 100 });
  assert.ok((JSON.parse(String(w.board.evaluate('JSON.stringify(seen)'))) as string[]).includes('3,41,9,9'));
  peer.close();
  await w.air.stop();
});

test('world sections are validated field by field', () => {
  assert.equal(validateAir({ loss: 0.1, delayMs: [1, 5], udpBridge: { port: 0, peers: [9000] }, firmware: 'legacy' }), []);
  const bad = validateAir({ loss: 2, delayMs: [5, 1], udpBridge: { port: -1 }, firmware: 'x', colour: 1 });
  for (const f of ['loss', 'delayMs', 'udpBridge.port', 'firmware', 'colour']) assert.ok(bad.some((p) => p.startsWith('world.air.' + f + ':')), f);
  assert.equal(validateEcho({ bearer: 'pb-adv', fault: 'wrong-oob', mtu: 69, again: true }), []);
  const e = validateEcho({ bearer: 'nfc', fault: 'nope', mtu: 10, vanishAfter: 0 });
  for (const f of ['bearer', 'fault', 'mtu', 'vanishAfter']) assert.ok(e.some((p) => p.startsWith('world.echo.' + f + ':')), f);
});

test.run();

// The bearers on their own: PB-ADV generic provisioning (links, transactions, FCS, segments, acks,
// timers) and PB-GATT proxy SAR (violations, timeout), against a fake advertiser / fake BLE.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPbAdv, segmentPdu, RETRANSMIT_MS, TRANSACTION_TIMEOUT_MS } from '../../firmware/mesh/pb-adv.ts';
import { createPbGatt, SAR_TIMEOUT_MS } from '../../firmware/mesh/pb-gatt.ts';
import type { Advertiser } from '../../firmware/mesh/advertiser.ts';
import type { BearerEvents, BearerLink } from '../../firmware/mesh/bearer.ts';
import { FakeClock, fakeBle, hex } from './support.ts';

const UUID = new Uint8Array(16).fill(0xab);
const LINK = 0x01020304;

function advRig(accept = true) {
  const clock = new FakeClock();
  const sent: string[] = [];
  const advertiser: Advertiser = { setIdle() {}, burst: (p) => void sent.push(hex(p)), flush() {}, stop() {} };
  const got: string[] = [];
  const closes: Array<[number, boolean]> = [];
  let link: BearerLink | null = null;
  const events: BearerEvents = {
    onLinkOpen: (l) => ((link = l), accept),
    onPdu: (_l, p) => void got.push(hex(p)),
    onLinkClose: (_l, r, byPeer) => void closes.push([r, byPeer]),
  };
  const lines: string[] = [];
  const bearer = createPbAdv({ clock: clock as any, log: { log: (_a, _b, m) => void lines.push(m) }, uuid: UUID, advertiser, events });
  const feed = (tn: number, g: number[] | Uint8Array, id = LINK) => {
    const p = new Uint8Array(5 + g.length);
    new DataView(p.buffer).setUint32(0, id);
    p[4] = tn;
    p.set(g, 5);
    // as heard on the air: one AD structure [len][0x29][payload]
    bearer.onPacket(new Uint8Array([p.length + 1, 0x29, ...p]));
  };
  const open = () => feed(0, [0x03, ...UUID]);
  const ad = (tn: number, g: string) => '0' + ((6 + g.length / 2).toString(16)) + '29' + '01020304' + tn.toString(16).padStart(2, '0') + g;
  return { clock, sent, got, closes, bearer, feed, open, ad, lines, link: () => link! };
}

test('PB-ADV links: Link Ack for our UUID only, again on a repeated Link Open, other link ids ignored', () => {
  const r = advRig();
  r.feed(0, [0x03, ...new Uint8Array(16).fill(1)]);
  assert.equal(r.sent, []);
  r.open();
  assert.equal(r.sent, [r.ad(0, '07')]);
  r.open();
  assert.is(r.sent.length, 2, 'the Link Ack is repeated');
  r.feed(0, [0x03, ...UUID], 0x99);
  assert.is(r.sent.length, 2, 'another link id while a link is open: ignored');
  r.feed(0, [0x0b, 0x00], 0x99);
  assert.equal(r.closes, [], 'a Link Close for another link id is ignored');
  r.feed(0, [0x0b, 0x00]);
  assert.equal(r.closes, [[0, true]]);
});

test('PB-ADV refuses a link when the controller says no (provisioned or busy)', () => {
  const r = advRig(false);
  r.open();
  assert.equal(r.sent, []);
  r.feed(0, [0x0b, 0x00]);
  assert.equal(r.closes, [], 'no link to close');
});

test('PB-ADV receive: out-of-order and duplicate segments, bad FCS dropped, repeated transaction re-acked not redelivered', () => {
  const r = advRig();
  r.open();
  r.sent.length = 0;
  const pdu = new Uint8Array(65).map((_, i) => (i * 3 + 1) & 0xff);
  pdu[0] = 0x03;
  const segs = segmentPdu(pdu);
  r.feed(0x00, segs[2]);
  r.feed(0x00, segs[1]);
  r.feed(0x00, segs[1]);
  assert.equal(r.got, []);
  r.feed(0x00, segs[0]);
  assert.equal(r.got, [hex(pdu)]);
  assert.equal(r.sent, [r.ad(0, '01')], 'one Transaction Ack');
  r.feed(0x00, segs[0]);
  r.feed(0x00, segs[1]);
  assert.is(r.got.length, 1, 'not delivered twice');
  assert.is(r.sent.length, 2, 'the start of a repeated transaction is acked again');
  const bad = segmentPdu(new Uint8Array([0x05, ...new Uint8Array(16)]));
  bad[0][3] ^= 0xff;
  r.feed(0x01, bad[0]);
  assert.is(r.got.length, 1, 'bad FCS: dropped');
  assert.is(r.sent.length, 2, 'and not acked');
  r.feed(0x02, [0x04, 0x00, 0x05, 0x00, 1, 2, 3, 4, 5]);
  assert.is(r.got.length, 1, 'SegN=1 with a 5-byte total: inconsistent, ignored');
  r.feed(0x02, [0x00, 0x00, 0x03, 0x00, 1, 2]);
  assert.is(r.got.length, 1, 'start data shorter than the total with SegN=0: ignored');
  r.feed(0x03, segmentPdu(new Uint8Array([0x06, ...new Uint8Array(16)]))[0]);
  assert.is(r.got.length, 2, 'the next transaction is delivered');
  const acks = r.sent.length;
  r.feed(0x00, segs[0]);
  r.feed(0x00, segs[1]);
  r.feed(0x00, segs[2]);
  assert.is(r.got.length, 2, 'a late copy of an earlier transaction (reordered) is not delivered');
  assert.is(r.sent.length, acks, 'nor acked');
  r.feed(0x85, segmentPdu(new Uint8Array([0, 0]))[0]);
  assert.is(r.got.length, 2, 'a provisioner transaction number >= 0x80 is not the provisioner\'s');
});

test('PB-ADV send: device numbers from 0x80, retransmits every 500 ms, acked by Transaction Ack', () => {
  const r = advRig();
  r.open();
  r.sent.length = 0;
  r.link().send(new Uint8Array([0x01, ...new Uint8Array(11)]));
  assert.is(r.sent.length, 1);
  assert.ok(r.sent[0].startsWith('16' + '29' + '01020304' + '80' + '00000c'), r.sent[0]);
  r.clock.run(RETRANSMIT_MS * 2 + 10);
  assert.is(r.sent.length, 3, 'two retransmissions');
  r.feed(0x80, [0x01]);
  r.clock.run(RETRANSMIT_MS * 4);
  assert.is(r.sent.length, 3, 'acked: no more');
  r.link().send(new Uint8Array([0x03, ...new Uint8Array(64)]));
  assert.is(r.sent.length, 6, 'three segments');
  assert.ok(r.sent[3].slice(12, 14) === '81', 'next transaction number');
});

test('PB-ADV: the provisioner\'s next transaction is an implicit ack, except for Failed and Complete', () => {
  const r = advRig();
  r.open();
  r.feed(0x00, segmentPdu(new Uint8Array([0x00, 0x00]))[0]);
  r.link().send(new Uint8Array([0x01, ...new Uint8Array(11)]));
  r.feed(0x01, segmentPdu(new Uint8Array([0x02, 0, 0, 1, 0, 0]))[0]);
  const n = r.sent.length;
  r.clock.run(RETRANSMIT_MS * 3);
  assert.is(r.sent.length, n, 'Capabilities acked implicitly by Start');
  r.link().send(new Uint8Array([0x09, 0x02]));
  r.feed(0x02, segmentPdu(new Uint8Array([0x03, ...new Uint8Array(64)]))[0]);
  const m = r.sent.length;
  r.clock.run(RETRANSMIT_MS + 10);
  assert.ok(r.sent.length > m, 'Failed still retransmitted after the provisioner\'s next transaction');
});

test('PB-ADV: 30 s without an ack closes the link with reason Timeout (Link Close sent 3 times)', () => {
  const r = advRig();
  r.open();
  r.link().send(new Uint8Array([0x01, ...new Uint8Array(11)]));
  r.sent.length = 0;
  r.clock.run(TRANSACTION_TIMEOUT_MS - 100);
  assert.equal(r.closes, []);
  r.clock.run(200);
  assert.equal(r.closes, [[1, false]]);
  assert.is(r.sent.filter((s) => s.endsWith('0b01')).length, 3);
  const n = r.sent.length;
  r.link().send(new Uint8Array([0x01, ...new Uint8Array(11)]));
  assert.is(r.sent.length, n, 'the link is gone: nothing sent');
});

function gattRig(mtu = 23) {
  const clock = new FakeClock();
  const ble = fakeBle(clock);
  const got: string[] = [];
  const closes: number[] = [];
  let link: BearerLink | null = null;
  const bearer = createPbGatt({
    ble,
    clock: clock as any,
    log: { log: () => undefined },
    events: { onLinkOpen: (l) => ((link = l), true), onPdu: (_l, p) => void got.push(hex(p)), onLinkClose: (_l, r) => void closes.push(r) },
  });
  assert.ok(bearer.start());
  ble.gatt!.onConnect(mtu);
  const w = (h: string) => ble.gatt!.onWrite(new Uint8Array(Buffer.from(h, 'hex')));
  return { clock, ble, got, closes, w, link: () => link! };
}

test('PB-GATT SAR: complete, first/continuation/last, other message types ignored', () => {
  const r = gattRig();
  r.w('030000');
  r.w('43' + '0301');
  r.w('83' + '0203');
  r.w('c3' + '04');
  r.w('01' + 'aabb');
  assert.equal(r.got, ['0000', '0301020304']);
  assert.is(r.ble.disconnects, 0);
});

for (const [what, seq] of [
  ['continuation without a first segment', ['83aa']],
  ['last without a first segment', ['c3aa']],
  ['first segment twice', ['43aa', '43bb']],
  ['complete PDU inside a segmented one', ['43aa', '03bb']],
] as const) {
  test('PB-GATT SAR violation drops the connection: ' + what, () => {
    const r = gattRig();
    for (const s of seq) r.w(s);
    r.clock.run(200);
    assert.is(r.ble.disconnects, 1);
    assert.equal(r.got, []);
    assert.equal(r.closes, [2]);
  });
}

test('PB-GATT: a segmented PDU unfinished after 20 s drops the connection', () => {
  const r = gattRig();
  r.w('43aa');
  r.clock.run(SAR_TIMEOUT_MS - 100);
  assert.is(r.ble.disconnects, 0);
  r.clock.run(300);
  assert.is(r.ble.disconnects, 1);
  assert.equal(r.closes, [1]);
});

test('PB-GATT send: segments for the connection MTU, in order', () => {
  const r = gattRig(23);
  r.link().send(new Uint8Array(65).fill(7));
  r.clock.run(10);
  assert.equal(r.ble.notifications.map((n) => n[0].toString(16)), ['43', '83', '83', 'c3']);
  assert.ok(r.ble.notifications.every((n) => n.length <= 20));
  const big = gattRig(100);
  big.link().send(new Uint8Array(65).fill(7));
  big.clock.run(10);
  assert.is(big.ble.notifications.length, 1);
  assert.is(big.ble.notifications[0][0], 0x03);
});

test('PB-GATT is dropped when the firmware cannot notify (setGattService UNSUPPORTED)', () => {
  const clock = new FakeClock();
  const ble = fakeBle(clock);
  ble.setGattService = () => ({ code: 'UNSUPPORTED', message: 'no notifications' });
  const b = createPbGatt({ ble, clock: clock as any, log: { log: () => undefined }, events: { onLinkOpen: () => true, onPdu: () => undefined, onLinkClose: () => undefined } });
  assert.not.ok(b.start());
});

test.run();

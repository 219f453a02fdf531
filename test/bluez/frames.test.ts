// tools/bluez/frames.ts: the UDP air <-> bluetooth-meshd unit-io translation, checked against packets
// made by the simulator's own PB-ADV code (sim/world/echo.ts pbAdvAd/segmentGeneric) and against a
// datagram meshd 5.66 really sent (its Link Open, captured through tools/bluez/meshd-shim.c).
// No meshd needed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adStructures, fromMeshd, pbAdv, toMeshd, unprovisionedBeacon } from '../../tools/bluez/frames.ts';
import { pbAdvAd, segmentGeneric } from '../../sim/world/echo.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const uuid = hex('00112233445566778899aabbccddeeff');

test('a PB-GATT advertisement splits into its AD structures; none goes to meshd', () => {
  // Flags, Complete List of 16-bit UUIDs (0x1827), Service Data (0x1827, UUID, OOB info)
  const pkt = Buffer.concat([hex('020106'), hex('03032718'), Buffer.from([0x15, 0x16, 0x27, 0x18]), uuid, hex('0000')]);
  const ads = adStructures(pkt)!;
  assert.equal(ads.map((a) => a.type), [0x01, 0x03, 0x16]);
  assert.equal(Buffer.concat(ads.map((a) => a.bytes)), pkt);
  assert.equal(toMeshd(pkt), []);
});

test('malformed packets give nothing: a structure past the end, more than 31 bytes', () => {
  assert.is(adStructures(hex('0529aabb')), null);
  assert.equal(toMeshd(hex('0529aabb')), []);
  assert.is(adStructures(Buffer.alloc(32, 1)), null);
  // a zero length ends the significant part (padding follows)
  assert.equal(adStructures(hex('0201060000ff'))!.map((a) => a.type), [0x01]);
});

test('device -> meshd: every Mesh AD structure as its own datagram, [length][type][payload] unchanged', () => {
  const beacon = Buffer.concat([hex('142b00'), uuid, hex('0804')]);
  const pb = pbAdvAd(0x01020304, 0x80, segmentGeneric(Buffer.from([0x01, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]))[0]);
  const both = Buffer.concat([hex('020106'), beacon]);
  assert.equal(toMeshd(beacon), [beacon]);
  assert.equal(toMeshd(pb), [pb]);
  assert.equal(toMeshd(both), [beacon]);
  const msg = hex('062a0102030405');
  assert.equal(toMeshd(msg), [msg]);
});

test('meshd -> device: [type][payload] gets its length byte; empty and over-long frames are refused', () => {
  // meshd 5.66's Link Open, as it left the unit io (captured)
  const frame = hex('29eca096f9000300112233445566778899aabbccddeeff');
  const pkt = fromMeshd(frame)!;
  assert.is(pkt[0], frame.length);
  assert.equal(pkt.subarray(1), frame);
  assert.equal(adStructures(pkt)!.length, 1);
  assert.is(fromMeshd(Buffer.alloc(0)), null);
  assert.is(fromMeshd(Buffer.alloc(31, 0x29)), null);
  assert.ok(fromMeshd(Buffer.alloc(30, 0x29)));
  // and the way back is the identity on a PB-ADV packet
  const ad = pbAdvAd(7, 0x81, Buffer.from([0x01]));
  assert.equal(fromMeshd(ad.subarray(1)), ad);
});

test('the unprovisioned beacon: UUID and OOB information, with or without the URI hash', () => {
  const b = unprovisionedBeacon(Buffer.concat([hex('142b00'), uuid, hex('0804')]))!;
  assert.equal(b, { uuid: uuid.toString('hex'), oobInfo: 0x0804 });
  assert.ok(unprovisionedBeacon(Buffer.concat([hex('182b00'), uuid, hex('0000'), hex('01020304')])));
  // a Secure Network beacon (type 1) and a truncated one are not
  assert.is(unprovisionedBeacon(Buffer.concat([hex('142b01'), uuid, hex('0804')])), null);
  assert.is(unprovisionedBeacon(Buffer.concat([hex('142b00'), uuid])), null);
});

test('PB-ADV described: link control, acks, transaction starts with their PDU, continuations', () => {
  const open = pbAdv(fromMeshd(hex('29eca096f9000300112233445566778899aabbccddeeff'))!);
  assert.equal(open, { kind: 'link-open', linkId: 0xeca096f9, uuid: uuid.toString('hex') });
  assert.equal(pbAdv(pbAdvAd(9, 0, Buffer.from([0x07]))), { kind: 'link-ack', linkId: 9 });
  assert.equal(pbAdv(pbAdvAd(9, 0, Buffer.from([0x0b, 0x01]))), { kind: 'link-close', linkId: 9, reason: 1 });
  assert.equal(pbAdv(pbAdvAd(9, 0x82, Buffer.from([0x01]))), { kind: 'ack', linkId: 9, tn: 0x82 });
  // a Public Key PDU (type 3, 65 bytes) is 3 segments: start (20 bytes) + 23 + 22
  const key = Buffer.concat([Buffer.from([0x03]), Buffer.alloc(64, 0xab)]);
  const segs = segmentGeneric(key).map((g) => pbAdvAd(9, 2, g));
  assert.is(segs.length, 3);
  assert.equal(pbAdv(segs[0]), { kind: 'start', linkId: 9, tn: 2, segN: 2, total: 65, pdu: 'Public Key' });
  assert.equal(segs.slice(1).map((s) => pbAdv(s)), [1, 2].map((index) => ({ kind: 'continuation', linkId: 9, tn: 2, index })));
  const complete = pbAdvAd(9, 0x84, segmentGeneric(Buffer.from([0x08]))[0]);
  assert.equal(pbAdv(complete), { kind: 'start', linkId: 9, tn: 0x84, segN: 0, total: 1, pdu: 'Complete' });
  assert.is(pbAdv(hex('062a0102030405')), null);
  assert.is(pbAdv(hex('0729010203')), null);
});

test.run();

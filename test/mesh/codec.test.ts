// PDU codec, FCS, segmentation, beacon and proxy SAR against the published vectors; the Echo's
// independent primitives (sim/world/echo.ts) checked against the same vectors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fcs } from '../../firmware/mesh/fcs.ts';
import { segmentPdu, pbAdvPacket } from '../../firmware/mesh/pb-adv.ts';
import { proxySegments } from '../../firmware/mesh/pb-gatt.ts';
import { unprovisionedBeacon, uriHash, pbGattAdvertisement, eachAd } from '../../firmware/mesh/ad.ts';
import { capabilitiesParams, checkStart, PDU_LENGTHS, ALG_BIT_CMAC } from '../../firmware/mesh/pdu.ts';
import * as echo from '../../sim/world/echo.ts';
import { hex, unhex } from './support.ts';

const V = JSON.parse(readFileSync(new URL('./vectors/mesh-bearers.json', import.meta.url), 'utf8'));
const CMAC = JSON.parse(readFileSync(new URL('../vectors/rfc4493-aes-cmac.json', import.meta.url), 'utf8'));

test('FCS matches every §8.7 sample PDU (firmware and Echo)', () => {
  assert.ok(V.mesh_8_7_pbadv_fcs.vectors.length >= 11);
  for (const v of V.mesh_8_7_pbadv_fcs.vectors) {
    const pdu = unhex(v.pdu);
    assert.is(fcs(new Uint8Array(pdu)), parseInt(v.fcs, 16), v.name);
    assert.is(echo.fcs(pdu), parseInt(v.fcs, 16), 'echo ' + v.name);
  }
  assert.is(fcs(new Uint8Array([0, 0])), 0x14);
});

test('Transaction Start/Continuation segments are byte-exact (Silvair vectors)', () => {
  for (const t of V.mesh_generic_provisioning_segmentation.transactions) {
    const segs = segmentPdu(new Uint8Array(unhex(t.pdu))).map(hex);
    assert.equal(segs, t.segments, t.name);
    assert.equal(echo.segmentGeneric(unhex(t.pdu)).map(hex), t.segments, 'echo ' + t.name);
  }
  const ad = pbAdvPacket(0xdeadbeef, 0x80, new Uint8Array([0x07]));
  assert.is(hex(ad), '07' + '29' + 'deadbeef' + '80' + '07');
  assert.is(hex(echo.pbAdvAd(0xdeadbeef, 0x80, Buffer.from([7]))), hex(ad));
});

test('unprovisioned beacon and URI hash match §8.4.1/§8.4.2', () => {
  for (const v of V.mesh_8_4_unprovisioned_beacon.vectors) {
    const hash = v.uri_utf8_with_scheme_code ? uriHash(new Uint8Array(unhex(v.uri_utf8_with_scheme_code))) : null;
    if (v.uri_hash) assert.is(hex(hash!), v.uri_hash);
    const b = unprovisionedBeacon(new Uint8Array(unhex(v.device_uuid)), parseInt(v.oob_information, 16), hash);
    assert.is(hex(b), v.ad_structure, v.name);
  }
});

test('PB-GATT advertisement: flags, 0x1827, service data with UUID and OOB info, within 31 bytes', () => {
  const uuid = unhex('70cf7c9732a345b691494810d2e9cbf4');
  const adv = pbGattAdvertisement(new Uint8Array(uuid), 0x0804);
  assert.ok(adv.length <= 31);
  const seen: string[] = [];
  eachAd(adv, (type, s, e) => seen.push(type.toString(16) + ':' + hex(adv.subarray(s, e))));
  assert.equal(seen, ['1:06', '3:2718', '16:2718' + hex(uuid) + '0804']);
});

test('Capabilities for Static OOB only are the BlueZ-observed bytes', () => {
  assert.is(hex(capabilitiesParams(1, ALG_BIT_CMAC)), '0100010001000000000000');
  assert.equal(PDU_LENGTHS, [2, 12, 6, 65, 1, 17, 17, 34, 1, 2]);
});

test('Start validation: prohibited values, unadvertised methods, non-zero action/size', () => {
  const caps = capabilitiesParams(1, ALG_BIT_CMAC);
  const ok = (s: string, noOob = false) => checkStart(new Uint8Array(unhex(s)), caps, noOob);
  assert.is(ok('0000010000'), null);
  assert.is(ok('0100010000'), 2, 'HMAC not advertised');
  assert.is(ok('0500010000'), 2, 'prohibited algorithm');
  assert.is(ok('0001010000'), 2, 'OOB public key not advertised');
  assert.is(ok('0002010000'), 2, 'prohibited public key value');
  assert.is(ok('0000000000'), 2, 'No OOB not configured');
  assert.is(ok('0000000000', true), null, 'No OOB when configured');
  assert.is(ok('0000020004'), 2, 'Output OOB not advertised');
  assert.is(ok('0000030001'), 2, 'Input OOB not advertised');
  assert.is(ok('0000040000'), 2, 'prohibited method');
  assert.is(ok('0000010100'), 2, 'non-zero action with static OOB');
  assert.is(ok('0000010001'), 2, 'non-zero size with static OOB');
});

test('proxy SAR: any MTU splits and rejoins every PDU size (firmware and Echo agree)', () => {
  const reasm = new echo.ProxyReassembler();
  for (const mtu of [23, 24, 30, 33, 50, 69, 100, 185, 517]) {
    for (const len of [1, 2, 17, 18, 19, 20, 34, 46, 65]) {
      const pdu = Buffer.from(Array.from({ length: len }, (_, i) => (i * 7 + len) & 0xff));
      const segs = proxySegments(new Uint8Array(pdu), mtu);
      assert.equal(segs.map(hex), echo.proxySegments(pdu, mtu).map(hex), `mtu ${mtu} len ${len}`);
      for (const s of segs) assert.ok(s.length <= mtu - 3, 'segment fits ATT_MTU - 3');
      let out: Buffer | null = null;
      for (const s of segs) out = reasm.push(Buffer.from(s));
      assert.is(hex(out!), hex(pdu));
      assert.is(segs.length === 1 ? segs[0][0] : segs[0][0] >> 6, segs.length === 1 ? 0x03 : 1);
    }
  }
});

test('the Echo\'s AES-CMAC is independent and matches RFC 4493', () => {
  const vs = CMAC.vectors ?? CMAC.rfc4493_aes_cmac?.vectors ?? CMAC;
  assert.ok(Array.isArray(vs) && vs.length >= 4);
  for (const v of vs) assert.is(hex(echo.cmac(unhex(v.key), unhex(v.msg ?? v.message ?? ''))), v.mac ?? v.tag);
});

test.run();

// Espruino 2v29's TypedArray.subarray does not clamp its end to the view's length (measured on the real
// interpreter, emulated in sim/board/globals.ts): segmentation must never ask past the end. Shown by the
// simulator: a 12-byte Capabilities went out as a 20-byte start segment (8 bytes of whatever followed),
// and the Echo dropped every transaction ("bad transaction from the device (length or FCS)").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { segmentPdu } from '../../firmware/mesh/pb-adv.ts';
import { proxySegments } from '../../firmware/mesh/pb-gatt.ts';

/** Run fn with Espruino's subarray: a too-large end reads past the view (zeros past the buffer). */
function espruinoSubarray<T>(fn: () => T): T {
  const TA = Object.getPrototypeOf(Uint8Array.prototype);
  const v8 = TA.subarray;
  TA.subarray = function (this: Uint8Array, begin: number, end?: number) {
    const len = this.length;
    const e = end === undefined ? len : end;
    if (e <= len) return v8.call(this, begin, e);
    const out = new Uint8Array(e - begin);
    out.set(v8.call(this, begin, len));
    return out;
  };
  try {
    return fn();
  } finally {
    TA.subarray = v8;
  }
}

test('PB-ADV: a PDU shorter than a start segment, and a last continuation, are cut at the PDU end', () => {
  for (const n of [1, 12, 20, 21, 43, 44, 65]) {
    const pdu = new Uint8Array(n).map((_, i) => i + 1);
    const segs = espruinoSubarray(() => segmentPdu(pdu));
    const data = segs.map((s, i) => s.subarray(i ? 1 : 4));
    assert.is(data.reduce((k, d) => k + d.length, 0), n, `${n}-byte PDU: ${segs.map((s) => s.length)}`);
    assert.equal([...data.flatMap((d) => [...d])], [...pdu]);
  }
});

test('PB-GATT: the last proxy segment is cut at the PDU end', () => {
  for (const [n, mtu] of [[12, 23], [65, 23], [65, 69], [1, 23]]) {
    const pdu = new Uint8Array(n).map((_, i) => 255 - i);
    const segs = espruinoSubarray(() => proxySegments(pdu, mtu));
    assert.equal([...segs.flatMap((s) => [...s.subarray(1)])], [...pdu], `${n} bytes at MTU ${mtu}`);
  }
});

test.run();

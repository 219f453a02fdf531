// HMAC_DRBG (SP 800-90A §10.1.2): CAVP vectors are in vectors.test.ts; here an independent reference
// written over Node's createHmac checks reseeding and additional input, and misuse is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac } from 'node:crypto';
import { HmacDrbg } from '../../firmware/crypto/drbg.ts';
import { hex, seeded } from './helpers.ts';

class Reference {
  k = Buffer.alloc(32, 0);
  v = Buffer.alloc(32, 1);
  constructor(entropy: Uint8Array, nonce: Uint8Array, pers: Uint8Array) {
    this.update(Buffer.concat([entropy, nonce, pers]));
  }
  hmac(k: Buffer, ...parts: Uint8Array[]) {
    const h = createHmac('sha256', k);
    for (const p of parts) h.update(p);
    return h.digest();
  }
  update(data: Buffer) {
    this.k = this.hmac(this.k, this.v, Buffer.from([0]), data);
    this.v = this.hmac(this.k, this.v);
    if (!data.length) return;
    this.k = this.hmac(this.k, this.v, Buffer.from([1]), data);
    this.v = this.hmac(this.k, this.v);
  }
  reseed(entropy: Uint8Array, add: Uint8Array) {
    this.update(Buffer.concat([entropy, add]));
  }
  generate(n: number, add: Uint8Array) {
    if (add.length) this.update(Buffer.from(add));
    const out: Buffer[] = [];
    let len = 0;
    while (len < n) {
      this.v = this.hmac(this.k, this.v);
      out.push(this.v);
      len += 32;
    }
    this.update(Buffer.from(add));
    return Buffer.concat(out).subarray(0, n);
  }
}

test('matches a Node-crypto reference through reseeds and additional input (300 random runs)', () => {
  const r = seeded(11);
  for (let i = 0; i < 300; i++) {
    const e = r.bytes(32 + r.int(32));
    const nonce = r.bytes(r.int(20));
    const pers = r.bytes(r.int(40));
    const ours = new HmacDrbg(e, nonce, pers);
    const ref = new Reference(e, nonce, pers);
    for (let j = 0; j < 6; j++) {
      const op = r.int(3);
      const add = r.int(2) ? r.bytes(r.int(40)) : new Uint8Array(0);
      if (op === 0) {
        const e2 = r.bytes(32 + r.int(16));
        ours.reseed(e2, add);
        ref.reseed(e2, add);
      } else {
        const n = r.int(200);
        assert.is(hex(ours.generate(n, add)), ref.generate(n, add).toString('hex'));
      }
    }
  }
});

test('refuses short entropy and oversized requests', () => {
  assert.throws(() => new HmacDrbg(new Uint8Array(31), new Uint8Array(16), null), /drbg:/);
  const d = new HmacDrbg(new Uint8Array(32), new Uint8Array(16), null);
  assert.throws(() => d.reseed(new Uint8Array(16)), /drbg:/);
  assert.throws(() => d.generate(65537), /drbg:/);
  assert.is(d.generate(0).length, 0);
});

test('outputs differ with any change of entropy, nonce or personalization', () => {
  const base = () => new HmacDrbg(new Uint8Array(32), new Uint8Array(8), new Uint8Array(4)).generate(32);
  const a = hex(base());
  assert.is(hex(base()), a, 'deterministic');
  const e = new Uint8Array(32);
  e[31] = 1;
  assert.is.not(hex(new HmacDrbg(e, new Uint8Array(8), new Uint8Array(4)).generate(32)), a);
  const n = new Uint8Array(8);
  n[7] = 1;
  assert.is.not(hex(new HmacDrbg(new Uint8Array(32), n, new Uint8Array(4)).generate(32)), a);
  assert.is.not(hex(new HmacDrbg(new Uint8Array(32), new Uint8Array(8), new Uint8Array(5)).generate(32)), a);
});

test.run();

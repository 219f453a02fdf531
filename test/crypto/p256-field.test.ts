// The P-256 convolution engine (firmware/crypto/p256-field.ts, p256-scalar.ts) against BigInt:
// Montgomery products mod p and mod n at the limb bounds the header claims (factor products up to
// 11, lazy limbs, the top limb), canonical reduction of lazy values, width-4 NAF recoding; and every
// E.convolve call checked for exactness (the double sum equals the exact integer sum and stays below
// 2^53) while Wycheproof ECDH/ECDSA vectors and Node-oracle ECDH run through it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createECDH, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as F from '../../firmware/crypto/p256-field.ts';
import * as S from '../../firmware/crypto/p256-scalar.ts';
import { naf } from '../../firmware/crypto/p256-point.ts';
import * as p256 from '../../firmware/crypto/p256.ts';
import { seededBytes } from '../support/seeded-bytes.ts';

const P = BigInt('0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff');
const N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const R = 1n << 264n;
const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
const val = (a: Int32Array) => a.reduce((s, v, i) => s + BigInt(v) * (1n << BigInt(24 * i)), 0n);
const inv = (a: bigint, m: bigint) => {
  let [o, r, x, y] = [mod(a, m), m, 1n, 0n];
  while (r) {
    const q = o / r;
    [o, r, x, y] = [r, o - q * r, y, x - q * y];
  }
  return mod(x, m);
};
const RINV_P = inv(R, P);
const RINV_N = inv(R, N);

/** E.convolve's definition, with every call checked: exact double sum, below 2^53 all the way. */
let calls = 0;
let maxAbs = 0;
function checkedConvolve(a: ArrayLike<number>, b: ArrayLike<number>, off: number): number {
  let s = 0;
  let exact = 0n;
  for (let i = 0; i < a.length; i++) {
    const t = a[i] * b[(i + off) % b.length];
    s += t;
    exact += BigInt(a[i]) * BigInt(b[(i + off) % b.length]);
    if (Math.abs(s) > maxAbs) maxAbs = Math.abs(s);
  }
  if (BigInt(s) !== exact || Math.abs(s) >= 2 ** 53) throw new Error('inexact convolution: ' + s + ' vs ' + exact);
  calls++;
  return s;
}
F.setConvolve(checkedConvolve);

const rnd = seededBytes(0x5eed);
/** Random limbs in [-lim, lim] (limb 10 in [-top, top]). */
function lazy(lim: number, top: number): Int32Array {
  const a = new Int32Array(11);
  const b = rnd(44);
  for (let i = 0; i < 11; i++) {
    const u = ((b[4 * i] | (b[4 * i + 1] << 8) | (b[4 * i + 2] << 16) | (b[4 * i + 3] << 24)) >>> 0) / 2 ** 32;
    const l = i < 10 ? lim : top;
    a[i] = Math.round((2 * u - 1) * l);
  }
  return a;
}
/** Limbs at the extremes (all +lim or all -lim), the worst case for the column sums. */
function extreme(lim: number, top: number, sign: number): Int32Array {
  const a = new Int32Array(11).fill(sign * lim);
  a[10] = sign * top;
  return a;
}

function isNormalised(r: Int32Array): boolean {
  for (let i = 0; i < 10; i++) if (Math.abs(r[i]) > 2 ** 23) return false;
  return Math.abs(r[10]) < 2 ** 17 && (val(r) < 0n ? -val(r) : val(r)) < 1n << 256n;
}

test('feMul: x*y/R mod p, normalised output, exact columns up to factor products of 11', () => {
  const r = F.fe();
  const cases: [Int32Array, Int32Array][] = [];
  const f23 = 2 ** 23;
  for (let i = 0; i < 300; i++) cases.push([lazy(f23, 2 ** 16), lazy(f23, 2 ** 16)]);
  for (let i = 0; i < 300; i++) cases.push([lazy(11 * f23, 2 ** 20), lazy(f23, 2 ** 16)]); // 11 x 1
  for (let i = 0; i < 300; i++) cases.push([lazy(3 * f23, 2 ** 18), lazy(3 * f23, 2 ** 18)]); // 3 x 3
  for (const s of [1, -1]) {
    cases.push([extreme(11 * f23, 2 ** 20, s), extreme(f23, 2 ** 16, s)]);
    cases.push([extreme(11 * f23, 2 ** 20, s), extreme(f23, 2 ** 16, -s)]);
    cases.push([extreme(2 * f23, 2 ** 17, s), extreme(5 * f23, 2 ** 19, s)]);
    cases.push([extreme(f23, 2 ** 16, s), extreme(f23, 2 ** 16, s)]);
  }
  for (const [x, y] of cases) {
    F.feMul(r, x, y);
    assert.is(mod(val(r), P), mod(val(x) * val(y) * RINV_P, P));
    assert.ok(isNormalised(r), 'normalised: ' + Array.from(r));
  }
  // aliasing: r = x = y
  const x = lazy(f23, 2 ** 16);
  const want = mod(val(x) * val(x) * RINV_P, P);
  F.feMul(x, x, x);
  assert.is(mod(val(x), P), want);
});

test('feReduce / feIsZero: canonical form of lazy values of either sign; multiples of p are zero', () => {
  const r = F.fe();
  for (let i = 0; i < 500; i++) {
    const a = lazy(17 * 2 ** 23, 2 ** 21);
    F.feReduce(r, a);
    assert.is(val(r), mod(val(a), P));
    for (let k = 0; k < 11; k++) assert.ok(r[k] >= 0 && r[k] < 2 ** 24);
  }
  for (const k of [0n, 1n, -1n, 2n, -5n, 17n]) {
    const a = F.fe();
    let v = k * P;
    const neg = v < 0n;
    if (neg) v = -v;
    for (let i = 0; i < 11; i++) a[i] = Number((v >> BigInt(24 * i)) & 0xffffffn) * (neg ? -1 : 1);
    assert.ok(F.feIsZero(a), 'k = ' + k);
    a[3] += 1;
    assert.not.ok(F.feIsZero(a));
  }
});

test('snMul: x*y/R mod n, canonical, for canonical inputs and for inputs at the limits', () => {
  const r = F.fe();
  const canon = () => {
    const b = rnd(32);
    return S.snFrom(b, true);
  };
  const nm1 = F.fe();
  nm1.set(S.N);
  nm1[0] -= 1;
  const cases: [Int32Array, Int32Array][] = [[nm1, nm1]];
  for (let i = 0; i < 400; i++) cases.push([canon(), canon()]);
  for (const [x, y] of cases) {
    S.snMul(r, x, y);
    assert.is(val(r), mod(val(x) * val(y) * RINV_N, N));
  }
});

test('naf: the digits read from k and 3k reproduce the scalar; in {-1, 0, 1}, never two non-zero in a row', () => {
  const ks: Uint8Array[] = [new Uint8Array(32).fill(255), new Uint8Array(32)];
  for (let i = 0; i < 300; i++) ks.push(rnd(32));
  for (const k of ks) {
    const x = S.snFrom(k);
    const h = naf(x);
    assert.is(val(h), 3n * val(x), '3k');
    let v = 0n;
    let last = -10;
    for (let i = 0; i <= 256; i++) {
      const d = F.bitOf(h, i + 1) - F.bitOf(x, i + 1);
      if (!d) continue;
      assert.ok(d === 1 || d === -1);
      assert.ok(i - last >= 2, 'non-adjacent');
      last = i;
      v += BigInt(d) << BigInt(i);
    }
    assert.is(v, BigInt('0x' + Buffer.from(k).toString('hex')));
  }
});

test('every E.convolve call stays exact through Wycheproof ECDH/ECDSA, Node-oracle ECDH and signing', () => {
  const load = (n: string) => JSON.parse(readFileSync(new URL('../vectors/' + n, import.meta.url), 'utf8'));
  const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
  calls = 0;
  maxAbs = 0;
  const ecdhV = load('p256-ecdh-wycheproof.json');
  for (const t of ecdhV.tests.slice(0, 40)) {
    const pub = p256.parseSpkiPublicKey(bytes(t.public));
    if (t.result !== 'valid') continue;
    const d = bytes(t.private.replace(/^00(?=[0-9a-f]{64}$)/, '').padStart(64, '0'));
    assert.is(Buffer.from(p256.ecdh(d, pub as Uint8Array) as Uint8Array).toString('hex'), t.shared);
  }
  const ecdsaV = load('p256-ecdsa-wycheproof.json');
  for (const g of ecdsaV.testGroups.slice(0, 3)) {
    const pub = bytes(g.publicKey).subarray(1);
    for (const t of g.tests) {
      const h = new Uint8Array(createHash('sha256').update(bytes(t.msg)).digest());
      assert.is(p256.verify(pub, h, bytes(t.sig)), t.result === 'valid', 'tcId ' + t.tcId);
    }
  }
  for (let i = 0; i < 10; i++) {
    const a = rnd(32);
    const b = rnd(32);
    const ea = createECDH('prime256v1');
    ea.setPrivateKey(Buffer.from(a));
    const eb = createECDH('prime256v1');
    eb.setPrivateKey(Buffer.from(b));
    const shared = p256.ecdh(a, new Uint8Array(eb.getPublicKey().subarray(1)));
    assert.is(Buffer.from(shared as Uint8Array).toString('hex'), ea.computeSecret(eb.getPublicKey()).toString('hex'));
    // signing too (its s = k^-1 (r d + e) multiplies a sum of two canonical scalars)
    const h = rnd(32);
    const sig = p256.sign(a, h, null);
    assert.ok(p256.verify(new Uint8Array(ea.getPublicKey().subarray(1)), h, sig), 'signature ' + i);
  }
  assert.ok(calls > 100000, calls + ' checked calls');
  assert.ok(maxAbs < 2 ** 53 && maxAbs > 2 ** 48, 'largest partial sum 2^' + Math.log2(maxAbs).toFixed(2));
});

test.run();

// Arithmetic in GF(p), p = 2^256 - 2^224 + 2^192 + 2^96 - 1 (FIPS 186-4 D.1.2.3, SEC 2 v2 2.4.2).
//
// Representation: 11 limbs of 24 bits in a Float64Array (little-endian limb order, 264 bits), in the
// Montgomery domain with R = 2^264 (a is stored as a*R mod p). Doubles are exact below 2^53 and the
// interpreter has no 64-bit integers, so every intermediate stays below 2^53 in magnitude:
//
//  * feMul inputs have limbs in [-2^8, 2^24 + 2^16) and value in [0, 2^257).
//    A product column is at most 11 * (2^24 + 2^16)^2 < 2^51.47.
//  * Montgomery reduction (word-by-word, HAC 14.32): p = -1 (mod 2^24), so
//    -p^-1 = 1 and the digit m_k is column_k mod 2^24. p is sparse in base 2^24:
//      p = -1 + 2^(24*4) + 2^(24*8) - 2^8 * 2^(24*9) + 2^16 * 2^(24*10)
//    so m*p*2^(24k) touches 5 limbs; a column receives at most 4 such terms (each below 2^40.1)
//    and a carry below 2^29: every sum stays below 2^51.47 + 2^43 < 2^52 (floor(c * 2^-24) exact).
//  * Output: (T + M*p) / R < 2^514 / 2^264 + p < 2^256, limbs in [0, 2^24); the value may be >= p
//    (lazy reduction; feReduce gives the canonical form).
//  * feAdd/feSub: one carry pass, then the c = floor(v / 2^256) < 2^8 above 2^256 are folded back
//    with 2^256 = 2^224 - 2^192 - 2^96 + 1 (mod p): limbs end in the input range above; for sums of
//    inputs below 2^259 (c <= 7) the value ends below 2^256 + 2^228.
// Every function allows the output to alias an input.

import { base64Decode } from './base64.ts';

/** A field element (11 limbs of 24 bits). */
export type Fe = Float64Array;

export const W = 16777216; // 2^24
export const IW = 1 / 16777216; // a power of two: x * IW is exact
export const floor = Math.floor;

export function fe(): Fe {
  return new Float64Array(11);
}

/** 32 big-endian bytes at b[off..] to limbs (plain integer, not reduced). */
export function feFromBytes(r: Fe, b: Uint8Array, off: number): void {
  for (let i = 0; i < 11; i++) {
    const k = off + 31 - 3 * i;
    r[i] = b[k] + (i < 10 ? b[k - 1] * 256 + b[k - 2] * 65536 : b[k - 1] * 256);
  }
}

/** Limbs of a 256-bit constant given as 32 big-endian bytes in base64 (shorter than hex). */
export function feB64(b64: string): Fe {
  const r = fe();
  feFromBytes(r, base64Decode(b64) as Uint8Array, 0);
  return r;
}

// p = ffffffff 00000001 00000000 00000000 00000000 ffffffff ffffffff ffffffff
export const P = feB64('/////wAAAAEAAAAAAAAAAAAAAAD///////////////8=');

/** Product columns of two field elements or scalars (23 entries: the mod-n reduction reaches T[22]). */
export const T = new Float64Array(23);

/** The 21 columns of the product x * y into T[0..20] (T[21] = 0); shared with mod-n products. Row by
 * row (x[i] times all of y, y kept in locals): the loop form of bench/p256-gen-field.mjs's columns. */
export function feProd(x: Fe, y: Fe): void {
  const b0 = y[0], b1 = y[1], b2 = y[2], b3 = y[3], b4 = y[4], b5 = y[5], b6 = y[6], b7 = y[7], b8 = y[8], b9 = y[9], b10 = y[10];
  const t = T;
  let i, a;
  t.fill(0, 0, 22);
  for (i = 0; i < 11; i++) {
    a = x[i];
    t[i] += a * b0;
    t[i + 1] += a * b1;
    t[i + 2] += a * b2;
    t[i + 3] += a * b3;
    t[i + 4] += a * b4;
    t[i + 5] += a * b5;
    t[i + 6] += a * b6;
    t[i + 7] += a * b7;
    t[i + 8] += a * b8;
    t[i + 9] += a * b9;
    t[i + 10] += a * b10;
  }
}

/** Montgomery multiplication r = x * y / R mod p: feProd, then the word-by-word reduction with the sparse p. */
export function feMul(r: Fe, x: Fe, y: Fe): void {
  const t = T;
  let i, c, q, m;
  feProd(x, y);
  for (i = 0; i < 11; i++) {
    c = t[i];
    q = floor(c * IW);
    m = c - q * W; // the digit; t_i - m = q * 2^24 is carried
    t[i + 1] += q;
    t[i + 4] += m;
    t[i + 8] += m;
    t[i + 9] -= m * 256;
    t[i + 10] += m * 65536;
  }
  r.set(t.subarray(11, 22));
  carry(r);
}

/** r = a^2 / R mod p. */
export function feSqr(r: Fe, a: Fe): void {
  feMul(r, a, a);
}

/** One carry pass over all 11 limbs: limbs in [0, 2^24) for a value in [0, 2^264). */
export function carry(r: Fe): void {
  for (let i = 0, c = 0, v; i < 11; i++) {
    v = r[i] + c;
    c = floor(v * IW);
    r[i] = v - c * W;
  }
}

/** Carry, then fold the bits above 2^256 back (see header). */
function carryFold(r: Fe): void {
  carry(r);
  const c = r[10] >> 16; // multiple of 2^256 to fold (r[10] < 2^24)
  r[10] -= c * 65536;
  r[0] += c;
  r[4] -= c;
  r[8] -= c;
  r[9] += c * 256;
}

/** r = a + b mod p (lazy). */
export function feAdd(r: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < 11; i++) r[i] = a[i] + b[i];
  carryFold(r);
}

/** r = a - b mod p (lazy): a - b + 4p is positive for b < 2^257. */
export function feSub(r: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < 11; i++) r[i] = a[i] - b[i] + 4 * P[i];
  carryFold(r);
}

/** a < b for normalised limbs. */
export function feLess(a: Fe, b: Fe): boolean {
  for (let i = 10; i >= 0; i--) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

const Z = fe();
/** r = the canonical representative of a (limbs in [0, 2^24), value < p). */
export function feReduce(r: Fe, a: Fe): void {
  r.set(a);
  carryFold(r); // value < 2^256 + 2^228
  carryFold(r); // value < 2^256
  carry(r);
  subIfAtLeast(r, P);
}

/** r = r - m when r >= m (normalised limbs). */
export function subIfAtLeast(r: Fe, m: Fe): void {
  if (feLess(r, m)) return;
  for (let i = 0; i < 11; i++) r[i] -= m[i];
  carry(r);
}

/** a == 0 (mod p). */
export function feIsZero(a: Fe): boolean {
  feReduce(Z, a);
  let d = 0;
  for (let i = 0; i < 11; i++) d += Z[i];
  return d === 0;
}

/** 1 and R^2 in the Montgomery domain, by doubling 1 (R = 2^264): R mod p and R^2 mod p. */
export const ONE = fe();
const R2 = fe();
R2[0] = 1;
for (let i = 1; i <= 528; i++) {
  feAdd(R2, R2, R2);
  if (i === 264) feReduce(ONE, R2);
}

/** Montgomery form of a plain integer (limbs, value < 2^257). */
export function feToMont(r: Fe, a: Fe): void {
  feMul(r, a, R2);
}

/** The curve coefficient b (SEC 2 2.4.2) in the Montgomery domain. */
// b = 5ac635d8 aa3a93e7 b3ebbd55 769886bc 651d06b0 cc53b0f6 3bce3c3e 27d2604b
export const B = feB64('WsY12Ko6k+ez671VdpiGvGUdBrDMU7D2O848PifSYEs=');
feToMont(B, B);

/** 1 as a plain integer: feMul(r, a, PLAIN_ONE) leaves the Montgomery domain. */
export const PLAIN_ONE = fe();
PLAIN_ONE[0] = 1;

/** Normalised limbs (value < 2^256) to 32 big-endian bytes at out[off..]. */
export function feToBytes(out: Uint8Array, off: number, a: Fe): void {
  for (let i = 0; i < 11; i++) {
    const k = off + 31 - 3 * i;
    const v = a[i];
    out[k] = v & 255;
    out[k - 1] = (v >> 8) & 255;
    if (i < 10) out[k - 2] = v >> 16;
  }
}

/** p - 2: the Fermat exponent (a^(p-2) = a^-1 in GF(p)). */
export const PM2 = fe();
PM2.set(P);
PM2[0] -= 2;

/** One left-to-right square-and-multiply step of acc = a^e (bit = 255..0); `mul` is the modular product. */
export function powStep(acc: Fe, a: Fe, e: Fe, bit: number, mul: (r: Fe, x: Fe, y: Fe) => void): void {
  mul(acc, acc, acc);
  if ((e[(bit / 24) | 0] >> bit % 24) & 1) mul(acc, acc, a);
}

// Arithmetic in GF(p), p = 2^256 - 2^224 + 2^192 + 2^96 - 1 (FIPS 186-4 D.1.2.3, SEC 2 v2 2.4.2).
//
// Representation: 11 limbs of 24 bits in a Float64Array (little-endian limb order), 264 bits, in the
// Montgomery domain with R = 2^264 (a is stored as a*R mod p). Doubles are exact below 2^53, and the
// interpreter has no 64-bit integers, so every intermediate is kept below 2^53 in magnitude:
//
//  * Inputs of feMul/feSqr have limbs in [-2^11, 2^24 + 2^12) and value in [0, 2^257).
//    One column of the 11x11 product is at most 11 * (2^24 + 2^12)^2 < 2^51.47.
//  * Montgomery reduction (word-by-word, HAC 14.32) with the digit q = t_i mod 2^24: since
//    p = -1 (mod 2^24), -p^-1 = 1 and the digit is t_i itself. p is sparse in base 2^24:
//      p = -1 + 2^(24*4) + 2^(24*8) - 2^8 * 2^(24*9) + 2^16 * 2^(24*10)
//    so adding q*p*2^(24i) touches 5 limbs; a column receives at most 4 such terms
//    (|q| * (1 + 1 + 2^8 + 2^16) < 2^40.1 each) and a carry < 2^29: |column| < 2^51.47 + 2^43 < 2^52.
//  * Output: (T + Q*p) / R < 2^514 / 2^264 + p < 2^256, limbs normalised to [0, 2^24): the value is
//    in [0, 2^256) but not necessarily below p (lazy reduction; feReduce gives the canonical form).
//  * feAdd/feSub: one carry pass, then the bits above 2^256 are folded back with
//    2^256 = 2^224 - 2^192 - 2^96 + 1 (mod p), leaving limbs in the input range above and a value
//    below 2^256 + 2^228.
// All functions allow the output to alias an input.

/** A field element (11 limbs of 24 bits). */
export type Fe = Float64Array;

const W = 16777216; // 2^24
const IW = 1 / 16777216; // exact power of two: x * IW is exact
const floor = Math.floor;

export function fe(): Fe {
  return new Float64Array(11);
}

/** p in 24-bit limbs. */
const P = new Float64Array([16777215, 16777215, 16777215, 16777215, 0, 0, 0, 0, 1, 16776960, 65535]);
/** R^2 mod p (to enter the Montgomery domain). */
const R2 = new Float64Array([196608, 0, 0, 16776960, 16515071, 16777215, 16777214, 16777215, 16646143, 16777215, 4]);
/** 1 in the Montgomery domain (R mod p). */
export const ONE = new Float64Array([256, 0, 0, 0, 16776960, 16777215, 16777215, 16777215, 16776959, 65535, 0]);
/** The curve coefficient b in the Montgomery domain (b*R mod p). */
export const B = new Float64Array([12443612, 6433220, 14195935, 8663184, 380060, 14068976, 16195886, 10625195, 4731913, 1958023, 12294]);

const T = new Float64Array(22);

/** Montgomery reduction of the 21-column product in T into r. */
function montReduce(r: Fe): void {
  const t = T;
  let i, c, q, m;
  for (i = 0; i < 11; i++) {
    c = t[i];
    q = floor(c * IW);
    m = c - q * W; // digit in [0, 2^24); t_i - m = q * 2^24 is carried
    t[i + 1] += q;
    t[i + 4] += m;
    t[i + 8] += m;
    t[i + 9] -= m * 256;
    t[i + 10] += m * 65536;
  }
  c = 0;
  for (i = 0; i < 10; i++) {
    m = t[11 + i] + c;
    c = floor(m * IW);
    r[i] = m - c * W;
  }
  r[10] = c;
}

/** r = a * b / R mod p. */
export function feMul(r: Fe, a: Fe, b: Fe): void {
  const t = T;
  let i, j, ai;
  t.fill(0);
  for (i = 0; i < 11; i++) {
    ai = a[i];
    for (j = 0; j < 11; j++) t[i + j] += ai * b[j];
  }
  montReduce(r);
}

/** r = a^2 / R mod p. */
export function feSqr(r: Fe, a: Fe): void {
  const t = T;
  let i, j, ai;
  t.fill(0);
  for (i = 0; i < 11; i++) {
    ai = a[i];
    t[2 * i] += ai * ai;
    ai += ai;
    for (j = i + 1; j < 11; j++) t[i + j] += ai * a[j];
  }
  montReduce(r);
}

/** One carry pass over s (value >= 0), then fold the bits above 2^256 (see header). */
function carryFold(r: Fe): void {
  let c = 0;
  let v, i;
  for (i = 0; i < 10; i++) {
    v = r[i] + c;
    c = floor(v * IW);
    r[i] = v - c * W;
  }
  v = r[10] + c;
  c = floor(v / 65536); // multiple of 2^256 to fold
  r[10] = v - c * 65536;
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

export function feCopy(r: Fe, a: Fe): void {
  r.set(a);
}

/** r = the canonical representative (limbs in [0, 2^24), value < p). */
export function feReduce(r: Fe, a: Fe): void {
  if (r !== a) r.set(a);
  carryFold(r); // value < 2^256 + 2^228
  carryFold(r); // value < 2^256
  let c = 0;
  for (let i = 0; i < 11; i++) {
    const v = r[i] + c;
    c = floor(v * IW);
    r[i] = v - c * W;
  }
  if (!feLessThanP(r)) {
    c = 0;
    for (let i = 0; i < 11; i++) {
      const v = r[i] - P[i] + c;
      c = floor(v * IW);
      r[i] = v - c * W;
    }
  }
}

/** a (normalised limbs, value < 2^264) < p ? */
export function feLessThanP(a: Fe): boolean {
  for (let i = 10; i >= 0; i--) {
    if (a[i] !== P[i]) return a[i] < P[i];
  }
  return false;
}

const Z = fe();
/** a == 0 mod p. */
export function feIsZero(a: Fe): boolean {
  feReduce(Z, a);
  let d = 0;
  for (let i = 0; i < 11; i++) d += Z[i];
  return d === 0;
}

/** Montgomery form of a plain integer a < p. */
export function feToMont(r: Fe, a: Fe): void {
  feMul(r, a, R2);
}

const PLAIN_ONE = fe();
PLAIN_ONE[0] = 1;
/** Plain canonical integer of a Montgomery-form element. */
export function feFromMont(r: Fe, a: Fe): void {
  feMul(r, a, PLAIN_ONE);
  feReduce(r, r);
}

/** 32 big-endian bytes at b[off..] to limbs (plain integer, not reduced). */
export function feFromBytes(r: Fe, b: Uint8Array, off: number): void {
  for (let i = 0; i < 11; i++) {
    const k = off + 31 - 3 * i;
    r[i] = b[k] + (k > off ? b[k - 1] * 256 : 0) + (k - 1 > off ? b[k - 2] * 65536 : 0);
  }
}

/** Canonical limbs (value < 2^256) to 32 big-endian bytes at out[off..]. */
export function feToBytes(out: Uint8Array, off: number, a: Fe): void {
  for (let i = 0; i < 11; i++) {
    const k = off + 31 - 3 * i;
    const v = a[i];
    out[k] = v & 255;
    if (k > off) out[k - 1] = (v >> 8) & 255;
    if (k - 1 > off) out[k - 2] = (v >> 16) & 255;
  }
}

/** p - 2 as big-endian bytes: the Fermat exponent (a^(p-2) = a^-1, FIPS 186-4 B.5... / SEC 1 2.2.1). */
const P_MINUS_2 = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd];

/**
 * Inversion by Fermat's little theorem, one exponent bit per call so it can be sliced:
 * call with bit = 255..0 on an accumulator starting at ONE. Returns nothing; r accumulates.
 */
export function feInvStep(acc: Fe, a: Fe, bit: number): void {
  feSqr(acc, acc);
  if ((P_MINUS_2[31 - (bit >> 3)] >> (bit & 7)) & 1) feMul(acc, acc, a);
}

/** r = a^-1 (Montgomery domain in, Montgomery domain out); 0 maps to 0. */
export function feInv(r: Fe, a: Fe): void {
  const acc = fe();
  acc.set(ONE);
  for (let bit = 255; bit >= 0; bit--) feInvStep(acc, a, bit);
  r.set(acc);
}

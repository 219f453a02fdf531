// Arithmetic modulo the P-256 group order n (FIPS 186-4 D.1.2.3), for ECDSA (FIPS 186-4 6.4, SEC 1 4.1).
// Same limb layout as p256-field.ts (11 x 24-bit limbs in a Float64Array), generic Montgomery
// multiplication (HAC 14.36) with R = 2^264 and n' = -n^-1 mod 2^24. Only a handful of products per
// signature, so this file favours size over speed. Bound: inputs canonical (< n, limbs < 2^24); a
// column holds at most 11 products of the operands and 11 of q*n_j, each < 2^48, plus a carry:
// 22 * 2^48 + 2^30 < 2^52.5 < 2^53. Output (T + Qn)/R < 2n, made canonical by one subtraction.
import { Fe, fe, feFromBytes, feToBytes } from './p256-field.ts';

const W = 16777216;
const IW = 1 / 16777216;
const floor = Math.floor;

/** n in 24-bit limbs. */
export const N = new Float64Array([6497617, 13288188, 8713145, 10950558, 15137453, 16777148, 16777215, 16777215, 0, 16776960, 65535]);
const N0 = 48207; // -n^-1 mod 2^24
const R2N = new Float64Array([10481103, 14191258, 3018624, 2800439, 12109450, 6393962, 7072857, 11680043, 2081124, 5945942, 11669]);
/** n - 2, big-endian (Fermat inversion exponent). */
const N_MINUS_2 = [255, 255, 255, 255, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x4f];

const T = new Float64Array(23);

/** a (normalised limbs) < n ? */
export function snLessThanN(a: Fe): boolean {
  for (let i = 10; i >= 0; i--) {
    if (a[i] !== N[i]) return a[i] < N[i];
  }
  return false;
}

export function snIsZero(a: Fe): boolean {
  let d = 0;
  for (let i = 0; i < 11; i++) d += a[i];
  return d === 0;
}

/** r = a - n if a >= n (a normalised, a < 2n). */
function condSubN(r: Fe): void {
  if (snLessThanN(r)) return;
  let c = 0;
  for (let i = 0; i < 11; i++) {
    const v = r[i] - N[i] + c;
    c = floor(v * IW);
    r[i] = v - c * W;
  }
}

/** r = a * b / R mod n, canonical. */
export function snMul(r: Fe, a: Fe, b: Fe): void {
  const t = T;
  let i, j, c, q, m;
  t.fill(0);
  for (i = 0; i < 11; i++) for (j = 0; j < 11; j++) t[i + j] += a[i] * b[j];
  for (i = 0; i < 11; i++) {
    c = t[i];
    q = floor(c * IW);
    m = (c - q * W) * N0; // < 2^40, exact
    m = m - floor(m * IW) * W;
    for (j = 0; j < 11; j++) t[i + j] += m * N[j];
    t[i + 1] += t[i] * IW; // t_i is now a multiple of 2^24
  }
  c = 0;
  for (i = 0; i < 11; i++) {
    m = t[11 + i] + c;
    c = floor(m * IW);
    r[i] = m - c * W;
  }
  condSubN(r);
}

/** r = a + b mod n (canonical inputs). */
export function snAdd(r: Fe, a: Fe, b: Fe): void {
  let c = 0;
  for (let i = 0; i < 11; i++) {
    const v = a[i] + b[i] + c;
    c = floor(v * IW);
    r[i] = v - c * W;
  }
  condSubN(r);
}

/** 32 big-endian bytes to a scalar reduced mod n (input < 2^256 < 2n). */
export function snFromBytes(b: Uint8Array, off: number): Fe {
  const r = fe();
  feFromBytes(r, b, off);
  condSubN(r);
  return r;
}

/** Raw 32 big-endian bytes to limbs without reduction (to range-check). */
export function snRaw(b: Uint8Array, off: number): Fe {
  const r = fe();
  feFromBytes(r, b, off);
  return r;
}

export function snToBytes(a: Fe): Uint8Array {
  const out = new Uint8Array(32);
  feToBytes(out, 0, a);
  return out;
}

/** Montgomery form a*R mod n of a canonical scalar. */
export function snToMont(r: Fe, a: Fe): void {
  snMul(r, a, R2N);
}

/** r = a^-1 * R mod n for a canonical non-zero scalar a (Fermat: a^(n-2)); snMul(x, r) = x / a. */
export function snInvMont(r: Fe, a: Fe): void {
  const am = fe();
  snMul(am, a, R2N);
  const acc = fe();
  acc.set(am);
  // the exponent's top bit is 1: start from a*R and scan the remaining 255 bits
  for (let bit = 254; bit >= 0; bit--) {
    snMul(acc, acc, acc);
    if ((N_MINUS_2[31 - (bit >> 3)] >> (bit & 7)) & 1) snMul(acc, acc, am);
  }
  r.set(acc);
}

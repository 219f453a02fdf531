// Arithmetic modulo the P-256 group order n (FIPS 186-4 D.1.2.3), for ECDSA (FIPS 186-4 6.4, SEC 1 4.1).
// Same limb layout as p256-field.ts (11 x 24-bit limbs in a Float64Array); generic Montgomery
// multiplication (HAC 14.36) with R = 2^264 and n' = -n^-1 mod 2^24. A signature needs only a few
// products and one inversion (Fermat), so this file favours size: loops, except the product columns,
// which come from the field's unrolled feProd.
// Bound: inputs canonical (< n, limbs < 2^24); a column holds at most 11 operand products and 11
// q*n_j terms, each < 2^48, plus a carry: 22 * 2^48 + 2^30 < 2^52.5 < 2^53. The output
// (T + Qn)/R < 2n is made canonical by one subtraction.
import { Fe, fe, feB64, feLess, feFromBytes, feToBytes, feIsZero, feProd, powStep, carry, subIfAtLeast, T, IW, floor } from './p256-field.ts';

/** n in 24-bit limbs. */
// n = ffffffff 00000000 ffffffff ffffffff bce6faad a7179e84 f3b9cac2 fc632551
export const N = feB64('/////wAAAAD//////////7zm+q2nF56E87nKwvxjJVE=');
const N0 = 48207; // -n^-1 mod 2^24

/** a (normalised limbs) < n ? */
export function snLessThanN(a: Fe): boolean {
  return feLess(a, N);
}

/** Is a canonical 32-byte scalar in [1, n-1] ? */
export function snInRange(b: Uint8Array): boolean {
  const v = snFrom(b);
  return snLessThanN(v) && !feIsZero(v);
}

/** r = a + b mod n (canonical inputs). */
export function snAdd(r: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < 11; i++) r[i] = a[i] + b[i];
  carry(r);
  subIfAtLeast(r, N);
}

/** r = a * b / R mod n, canonical. */
export function snMul(r: Fe, a: Fe, b: Fe): void {
  const t = T;
  let i, j, c, m;
  feProd(a, b); // unrolled columns, T[21] = 0
  t[22] = 0;
  for (i = 0; i < 11; i++) {
    c = t[i];
    m = (c - floor(c * IW) * 16777216) * N0; // < 2^40, exact
    m = m - floor(m * IW) * 16777216;
    for (j = 0; j < 11; j++) t[i + j] += m * N[j];
    t[i + 1] += t[i] * IW; // t_i is now a multiple of 2^24
  }
  r.set(t.subarray(11, 22));
  carry(r);
  subIfAtLeast(r, N);
}

/** A 32-byte big-endian number as limbs, reduced mod n when `reduce` (input < 2^256 < 2n). */
export function snFrom(b: Uint8Array, reduce?: boolean): Fe {
  const r = fe();
  feFromBytes(r, b, 0);
  if (reduce) subIfAtLeast(r, N);
  return r;
}

export function snToBytes(a: Fe): Uint8Array {
  const out = new Uint8Array(32);
  feToBytes(out, 0, a);
  return out;
}

/** R^2 mod n by doubling 1 (528 times), to enter the Montgomery domain. */
const R2N = fe();
R2N[0] = 1;
for (let i = 0; i < 528; i++) snAdd(R2N, R2N, R2N);

/** R^2 mod n: snMul(r, a, R2N) = a*R mod n enters the Montgomery domain. */
export { R2N };

/** n - 2, the Fermat exponent. */
const NM2 = fe();
NM2.set(N);
NM2[0] -= 2;

/**
 * a^-1 * R mod n for a canonical non-zero a (Fermat: a^(n-2)), so that snMul(x, result) = x / a mod n,
 * as a step machine of 16 exponent bits per step: [step() -> done?, result()].
 */
export function snInvJob(a: Fe): [() => boolean, () => Fe] {
  const am = fe();
  const r = fe();
  let i = 254;
  snMul(am, a, R2N);
  r.set(am); // the exponent's top bit is 1
  return [
    () => {
      for (let j = 0; j < 16 && i >= 0; j++) powStep(r, am, NM2, i--, snMul);
      return i < 0;
    },
    () => r,
  ];
}

// Arithmetic modulo the P-256 group order n (FIPS 186-4 D.1.2.3), for ECDSA (FIPS 186-4 6.4, SEC 1 4.1).
// Same limbs and the same convolution engine as p256-field.ts: Montgomery multiplication (HAC 14.36)
// with R = 2^264, the product x*y and m*n in the same E.convolve calls. n is dense, so the digit is
// m_k = (column mod W) * n' mod W with n' = -n^-1 mod 2^24, and the column's own m_k * n_0 is added
// by hand (B holds n_1..n_10 reversed at 41 - j, and 0 for n_0).
// Bound: inputs canonical (limbs < 2^24) or nMul outputs: a column holds at most 11 products < 2^48
// plus 11 m_j n_i < 2^47 (balanced digits) plus a carry: below 2^51.5 + 2^50.5 + 2^29 < 2^53. One
// input may be the sum of two canonical values (limbs < 2^25; the signature's r d + e): 2^52.5 + 2^50.5.
// The output (x*y + m*n) / R lies in (-n/2, n) (|m| < R/2): snCanon makes it canonical.
import { Fe, fe, feB64, feLess, feLinN, feFromBytes, feToBytes, feIsZero, carry, subIfAtLeast, montMul, powStep } from './p256-field.ts';

/** n in 24-bit limbs. */
// n = ffffffff 00000000 ffffffff ffffffff bce6faad a7179e84 f3b9cac2 fc632551
export const N = feB64('/////wAAAAD//////////7zm+q2nF56E87nKwvxjJVE=');
/** r = a * b / R mod n, not canonical: value in (-n/2, n), limbs 0..9 balanced (see p256-field.ts). */
const nMul = montMul(N, 48207); // n' = -n^-1 mod 2^24

/** Is a canonical 32-byte scalar in [1, n-1] ? */
export function snInRange(b: Uint8Array): boolean {
  const v = snFrom(b);
  return feLess(v, N) && !feIsZero(v);
}

/** An nMul output (or any value in (-n, 2n) with small limbs) to its canonical form. */
function snCanon(r: Fe): void {
  carry(r);
  if (r[10] < 0) {
    feLinN(r, r, 1, N, 1);
    carry(r);
  }
  subIfAtLeast(r, N);
}

/** r = a * b / R mod n, canonical. */
export function snMul(r: Fe, a: Fe, b: Fe): void {
  nMul(r, a, b);
  snCanon(r);
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

/** R^2 mod n (computed on the host: (2^264)^2 mod n), to enter the Montgomery domain. */
export const R2N = feB64('LZVaulYfwWSyOStr7FlhkGq4xooquzcuD4DYipqf7c8=');
/** n - 2, the Fermat exponent. */
const NM2 = fe();
NM2.set(N);
NM2[0] -= 2;

/**
 * a^-1 * R mod n for a canonical non-zero a (Fermat: a^(n-2)), so that snMul(x, result) = x / a mod n,
 * as a step machine of 16 exponent bits per step (see Job in p256-point.ts).
 */
export function snInvJob(a: Fe): () => [Fe] | undefined {
  const am = fe();
  const r = fe();
  let i = 254;
  nMul(am, a, R2N);
  r.set(am); // the exponent's top bit is 1
  return () => {
    for (let j = 16; j-- && i >= 0; ) powStep(r, am, NM2, i--, nMul);
    if (i < 0) {
      snCanon(r);
      return [r];
    }
    return undefined;
  };
}

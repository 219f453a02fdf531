// P-256 group operations in Jacobian coordinates (X, Y, Z) ~ (X/Z^2, Y/Z^3), a = -3 (SEC 1 v2 2.2.1,
// FIPS 186-4 D.1.2.3). Formulas from the Explicit-Formulas Database (hyperelliptic.org/EFD,
// g1p/auto-shortw-jacobian-3.html): doubling "dbl-2001-b" (with Z3 = 2*Y1*Z1), and the mixed form
// (Z2 = 1) of addition "add-1998-cmo-2": every point added is affine. The point at infinity is Z = 0
// (exactly zero limbs); the addition handles P = Q (doubling) and P = -Q (infinity) explicitly.
//
// Limbs (see p256-field.ts): every sum is carried by feLinN (normalised limbs 0..9; limb 10 grows by
// at most |x| + |y| times, below 2^23 here), so products only ever see factors of 1 or 2: table points
// (standard limbs) have factor 2, base points from bytes (feToMont outputs) factor 1. (Lazy sums
// without a carry ran the point formulas ~8% faster on 2v29, for ~70 more bytes.)
//
// Scalar multiplication (mulJob) is a step machine so it can run in slices:
//  * variable base: NAF digits (in {-1, 0, 1}, never two non-zero in a row) read from k and 3k, so
//    +-P (affine) is the only multiple: 257 doublings and about 86 mixed additions, no precomputed points (width-4
//    NAF over P, 3P, 5P, 7P needed ~51 additions, but ~330 more bytes of code and 3 more points);
//  * fixed base: an 8-tooth comb (Lim-Lee, HAC 14.117-style) over 255 precomputed affine points
//    T[i] = sum_t bit_t(i) * 2^(32t) * P: 31 doublings + <= 32 mixed additions. A table is bytes
//    (Montgomery-form X||Y, 64 bytes per entry), so it can stay in Storage (memory-mapped flash);
//  * several terms share the doublings (Shamir's trick): u1*G + u2*Q is one loop.
import { Fe, fe, feMul, feLinN, feIsZero, feReduce, feFromBytes, feToBytes, powStep, bitOf, carry, ONE, B, PM2, PLAIN_ONE } from './p256-field.ts';

/** A Jacobian point [X, Y, Z] (Montgomery-form coordinates). */
export type Pt = Fe[];
/** A term of a multi-scalar multiplication: [scalar (standard limbs), comb table or null, affine base point [x, y]]. */
export type Term = [Fe, Uint8Array | null | undefined, Pt | null];

/** The point at infinity (Z = 0) until set. */
export function pt(): Pt {
  return [fe(), fe(), fe()];
}

/**
 * 3k for a scalar k (standard limbs): the non-adjacent form's digit i is bit i + 1 of 3k minus bit i + 1
 * of k (in {-1, 0, 1}; i = 0..256), so it can be read from the top without being stored
 * (test/crypto/p256-field.test.ts checks the identity).
 */
export function naf(k: Fe): Fe {
  const h = fe();
  feLinN(h, k, 3, k, 0);
  carry(h);
  return h;
}

/** A step machine: each call does one bounded step and returns undefined, until the one that returns [result]. */
export type Job<T> = () => [T] | undefined;

/**
 * The point formulas inside one small closure, like the products in p256-field.ts (the interpreter
 * walks the scopes to find a name; the bundle's top scope lists every module-level name).
 */
function formulas(): [(x: Fe, y: Fe) => boolean, (terms: Term[], len: number) => Job<Uint8Array | null>] {
  const t1 = fe(), t2 = fe(), t3 = fe(), t4 = fe(), t5 = fe(), t6 = fe();
  const mul = feMul, lin = feLinN, isZero = feIsZero;

  /** r = 2p (r may be p). dbl-2001-b: 8 products. Infinity stays infinity (Z3 = 2YZ = 0). */
  function ptDbl(r: Pt, p: Pt): void {
    const X = p[0], Y = p[1], Z = p[2];
    mul(t1, Z, Z); // delta
    mul(t2, Y, Y); // gamma
    mul(t3, X, t2); // beta
    lin(t4, X, 1, t1, -1);
    lin(t5, X, 1, t1, 1);
    mul(t4, t4, t5); // alpha / 3 = (X - delta)(X + delta)
    mul(t5, Y, Z);
    lin(r[2], t5, 2, t5, 0); // Z3 = 2YZ
    mul(t5, t4, t4);
    lin(r[0], t5, 9, t3, -8); // X3 = alpha^2 - 8 beta
    lin(t5, t3, 4, r[0], -1);
    mul(t5, t4, t5);
    mul(t2, t2, t2);
    lin(r[1], t5, 3, t2, -8); // Y3 = alpha (4 beta - X3) - 8 gamma^2
  }

  /**
   * Is p the point at infinity? Infinity is only ever made with exactly-zero Z limbs (pt(), fill(0),
   * or 2*Y*Z with Z = 0), and a finite point never gets Z = 0 (mod p), so no reduction is needed.
   */
  function isInf(p: Pt): boolean {
    const z = p[2];
    let i = 11;
    while (i--) if (z[i]) return false;
    return true;
  }

  /**
   * r = p + sg q (sg = 1 or -1), for an affine q (x, y; its Z is not read): the mixed addition, 11
   * products. Every q here is affine: a table entry, or a base point from bytes. r may be p.
   */
  function ptAdd(r: Pt, p: Pt, q: Pt, sg: number): void {
    const z = p[2];
    if (isInf(p)) {
      r[0].set(q[0]);
      lin(r[1], q[1], sg, q[1], 0);
      r[2].set(ONE);
      return;
    }
    mul(t5, z, z);
    mul(t3, q[0], t5); // U2 = X2 Z1^2
    mul(t5, t5, z);
    mul(t4, q[1], t5); // S2 = Y2 Z1^3
    lin(t3, t3, 1, p[0], -1); // H = U2 - X1
    lin(t4, t4, sg, p[1], -1); // R = +-S2 - Y1
    if (isZero(t3)) {
      if (isZero(t4)) ptDbl(r, p);
      else r[2].fill(0);
      return;
    }
    mul(r[2], z, t3); // Z3 = Z1 H (z is not needed after this)
    mul(t5, t3, t3); // HH
    mul(t6, p[0], t5); // V = X1 HH (before r[0] is written: r may be p)
    mul(t3, t3, t5); // HHH
    mul(t5, t4, t4);
    lin(t5, t5, 1, t3, -1);
    lin(r[0], t5, 1, t6, -2); // X3 = R^2 - HHH - 2V
    lin(t6, t6, 1, r[0], -1);
    mul(t6, t4, t6);
    mul(t2, p[1], t3);
    lin(r[1], t6, 1, t2, -1); // Y3 = R(V - X3) - Y1 HHH
  }

  /** Is affine (x, y) (Montgomery form) on y^2 = x^3 - 3x + b ? */
  function onCurve(x: Fe, y: Fe): boolean {
    mul(t1, x, x);
    mul(t1, t1, x);
    lin(t1, t1, 1, x, -3);
    lin(t1, t1, 1, B, 1);
    mul(t2, y, y);
    lin(t1, t1, 1, t2, -1);
    return isZero(t1);
  }
  /**
   * sum k_i * P_i as a step machine. A step does one precomputed multiple, or one bit position (a
   * doubling and at most one addition per term), or up to 16 products of the inversion of Z. The
   * result is the affine point as bytes, x (len 32) or x||y (len 64), or null for the point at infinity.
   */
  function mulJob(terms: Term[], len: number): Job<Uint8Array | null> {
    const R = pt();
    const nafs: Fe[] = [];
    const inv = fe();
    let bit = 255;
    inv.set(ONE);
    let n = 31;
    for (let t = 0; t < terms.length; t++) {
      if (!terms[t][1]) {
        n = 256;
        nafs[t] = naf(terms[t][0]);
      }
    }
    const d2 = pt();
    const bits = bitOf, fromBytes = feFromBytes;
    return function (): [Uint8Array | null] | undefined {
      let t, k, j, term;
      if (n >= 0) {
        ptDbl(R, R); // (infinity stays infinity: Z = 2 Y Z stays exactly zero)
        for (t = 0; t < terms.length; t++) {
          term = terms[t];
          k = term[0];
          if (term[1]) {
            if (n < 32) {
              j = 0;
              for (let b = 8; b--; ) j = j * 2 + bits(k, n + 32 * b);
              if (j) {
                fromBytes(d2[0], term[1], j * 64 - 64);
                fromBytes(d2[1], term[1], j * 64 - 32);
                ptAdd(R, R, d2, 1);
              }
            }
          } else {
            j = bits(nafs[t], n + 1) - bits(k, n + 1);
            if (j) ptAdd(R, R, term[2] as Pt, j); // j = +-1
          }
        }
        n--;
        return;
      }
      if (isInf(R)) return [null];
      if (bit >= 0) {
        for (j = 16; j--; ) powStep(inv, R[2], PM2, bit--, mul); // Z^(p-2) = 1/Z (Fermat)
        return;
      }
      // x = X / Z^2, y = Y / Z^3, out of the Montgomery domain, canonical
      const u = fe();
      const out = new Uint8Array(len);
      mul(u, inv, inv);
      for (j = 0; j < len; j += 32) {
        const c = R[j >> 5];
        mul(c, c, u);
        mul(c, c, PLAIN_ONE);
        feReduce(c, c);
        feToBytes(out, j, c);
        mul(u, u, inv);
      }
      return [out];
    };
  }

  return [onCurve, mulJob];
}
const F = formulas();
/** Is affine (x, y) (Montgomery form) on the curve? */
export const onCurve = F[0];
/** sum k_i * P_i as a step machine (above). */
export const mulJob = F[1];

// P-256 group operations in Jacobian coordinates (X, Y, Z) ~ (X/Z^2, Y/Z^3), a = -3 (SEC 1 v2 2.2.1,
// FIPS 186-4 D.1.2.3). Formulas from the Explicit-Formulas Database (hyperelliptic.org/EFD,
// g1p/auto-shortw-jacobian-3.html): doubling "dbl-2001-b" (with Z3 = 2*Y1*Z1), addition
// "add-1998-cmo-2", and its mixed form with Z2 = 1. The point at infinity is Z = 0 (a fresh pt());
// the additions handle P = Q (doubling) and P = -Q (infinity) explicitly.
//
// Scalar multiplication (mulJob) is a step machine so it can run in slices:
//  * variable base: 4-bit fixed windows over 1P..15P (Jacobian): 256 doublings + <= 64 additions;
//  * fixed base: an 8-tooth comb (Lim-Lee, HAC 14.117-style) over 255 precomputed affine points
//    T[i] = sum_t bit_t(i) * 2^(32t) * P: 31 doublings + <= 32 mixed additions. A table is bytes
//    (Montgomery-form X||Y, 64 bytes per entry), so it can stay in Storage (memory-mapped flash);
//  * several terms share the doublings (Shamir's trick): u1*G + u2*Q is one loop.
import { Fe, fe, feMul, feSqr, feAdd, feSub, feIsZero, feReduce, feFromBytes, powStep, ONE, B, PM2, PLAIN_ONE } from './p256-field.ts';

/** A Jacobian point [X, Y, Z] (Montgomery-form coordinates). */
export type Pt = Fe[];
/** A term of a multi-scalar multiplication: [scalar (32 bytes big-endian), comb table or null, base point]. */
export type Term = [Uint8Array, Uint8Array | null, Pt | null];

/** The point at infinity (Z = 0) until set. */
export function pt(): Pt {
  return [fe(), fe(), fe()];
}

export function ptCopy(r: Pt, p: Pt): void {
  for (let i = 0; i < 3; i++) r[i].set(p[i]);
}

const t1 = fe();
const t2 = fe();
const t3 = fe();
const t4 = fe();
const t5 = fe();
const t6 = fe();

/** r = 2p (r may be p). dbl-2001-b: 4M + 4S here. Infinity stays infinity (Z3 = 2YZ = 0). */
export function ptDbl(r: Pt, p: Pt): void {
  const X = p[0];
  const Y = p[1];
  const Z = p[2];
  feSqr(t1, Z); // delta
  feSqr(t2, Y); // gamma
  feMul(t3, X, t2); // beta
  feSub(t4, X, t1);
  feAdd(t5, X, t1);
  feMul(t4, t4, t5);
  feAdd(t5, t4, t4);
  feAdd(t4, t5, t4); // alpha = 3(X - delta)(X + delta)
  feMul(t5, Y, Z);
  feAdd(r[2], t5, t5); // Z3 = 2YZ
  feAdd(t3, t3, t3);
  feAdd(t3, t3, t3); // 4 beta
  feSqr(t5, t4);
  feSub(t5, t5, t3);
  feSub(r[0], t5, t3); // X3 = alpha^2 - 8 beta
  feSub(t3, t3, r[0]);
  feMul(t3, t4, t3);
  feSqr(t2, t2);
  feAdd(t2, t2, t2);
  feAdd(t2, t2, t2);
  feAdd(t2, t2, t2); // 8 gamma^2
  feSub(r[1], t3, t2); // Y3 = alpha(4 beta - X3) - 8 gamma^2
}

/**
 * Is p the point at infinity? Infinity is only ever made with exactly-zero Z limbs (pt(), fill(0),
 * or 2*Y*Z with Z = 0), and a finite point never gets Z = 0 (mod p), so no reduction is needed.
 */
export function isInf(p: Pt): boolean {
  for (let i = 0; i < 11; i++) if (p[2][i]) return false;
  return true;
}

const zz = fe();
/**
 * r = p + q. q is affine (x, y, Z = 1) when `affine` (mixed addition, 8M + 3S), else Jacobian
 * (add-1998-cmo-2, 12M + 4S). r may be p or q.
 */
export function ptAdd(r: Pt, p: Pt, q: Pt, affine?: boolean): void {
  if (isInf(p)) {
    ptCopy(r, q);
    if (affine) r[2].set(ONE);
    return;
  }
  if (!affine && isInf(q)) return ptCopy(r, p);
  let u1 = p[0]; // U1 = X1, S1 = Y1, Z1 Z2 = Z1 when Z2 = 1
  let s1 = p[1];
  let z = p[2];
  if (!affine) {
    u1 = t1;
    s1 = t2;
    z = zz;
    feSqr(t5, q[2]);
    feMul(t1, p[0], t5); // U1 = X1 Z2^2
    feMul(t5, t5, q[2]);
    feMul(t2, p[1], t5); // S1 = Y1 Z2^3
    feMul(zz, p[2], q[2]);
  }
  feSqr(t5, p[2]);
  feMul(t3, q[0], t5); // U2 = X2 Z1^2
  feMul(t5, t5, p[2]);
  feMul(t4, q[1], t5); // S2 = Y2 Z1^3
  feSub(t3, t3, u1); // H = U2 - U1
  feSub(t4, t4, s1); // R = S2 - S1
  if (feIsZero(t3)) {
    if (feIsZero(t4)) ptDbl(r, p);
    else r[2].fill(0);
    return;
  }
  feMul(r[2], z, t3); // Z3 = Z1 Z2 H (z may be r[2]: read before written)
  feSqr(t5, t3); // HH
  feMul(t6, u1, t5); // V = U1 HH (before r[0] is written: u1 may be p[0] = r[0])
  feMul(t3, t3, t5); // HHH
  feSqr(t5, t4);
  feSub(t5, t5, t3);
  feSub(t5, t5, t6);
  feSub(r[0], t5, t6); // X3 = R^2 - HHH - 2V
  feSub(t6, t6, r[0]);
  feMul(t6, t4, t6);
  feMul(t2, s1, t3);
  feSub(r[1], t6, t2); // Y3 = R(V - X3) - S1 HHH
}

/** Is affine (x, y) (Montgomery form) on y^2 = x^3 - 3x + b ? */
export function onCurve(x: Fe, y: Fe): boolean {
  feSqr(t1, x);
  feMul(t1, t1, x);
  feAdd(t2, x, x);
  feAdd(t2, t2, x);
  feSub(t1, t1, t2);
  feAdd(t1, t1, B);
  feSqr(t2, y);
  feSub(t1, t1, t2);
  return feIsZero(t1);
}

/** Bit i (little-endian) of a big-endian byte string of length 32. */
export function bitOf(k: Uint8Array, i: number): number {
  return (k[31 - (i >> 3)] >> (i & 7)) & 1;
}

/**
 * R = sum k_i * P_i as a step machine: [step, R]. step() does one precomputed multiple, or one bit
 * position (a doubling and at most one addition per term), or 16 bits of the inversion of Z, and
 * returns true when done. With `affine`, R ends as (x, y, 1) with x, y plain canonical integers;
 * R[2] = 0 means the point at infinity.
 */
export function mulJob(terms: Term[], affine: boolean): [() => boolean, Pt] {
  const R = pt();
  const wins: Pt[][] = [];
  const inv = fe();
  const q = pt();
  let n = 31;
  let bit = 255;
  for (let t = 0; t < terms.length; t++) {
    if (!terms[t][1]) {
      n = 255;
      wins[t] = [pt()];
    }
  }
  inv.set(ONE);
  function step(): boolean {
    let t, k, j, term;
    for (t = 0; t < terms.length; t++) {
      const w = wins[t];
      if (w && w.length < 16) {
        const p = pt();
        ptAdd(p, w[w.length - 1], terms[t][2] as Pt);
        w.push(p);
        return false;
      }
    }
    if (n >= 0) {
      if (!isInf(R)) ptDbl(R, R); // (doubling infinity would only cost time)
      for (t = 0; t < terms.length; t++) {
        term = terms[t];
        k = term[0];
        if (term[1]) {
          if (n < 32) {
            j = 0;
            for (let b = 7; b >= 0; b--) j = j * 2 + bitOf(k, n + 32 * b);
            if (j) {
              feFromBytes(q[0], term[1], j * 64 - 64);
              feFromBytes(q[1], term[1], j * 64 - 32);
              ptAdd(R, R, q, true);
            }
          }
        } else if (!(n & 3)) {
          j = (k[31 - (n >> 3)] >> (n & 4)) & 15;
          if (j) ptAdd(R, R, wins[t][j]);
        }
      }
      n--;
      return false;
    }
    if (!affine || isInf(R)) return true;
    if (bit >= 0) {
      for (j = 0; j < 16; j++) powStep(inv, R[2], PM2, bit--, feMul); // Z^(p-2) = 1/Z (Fermat)
      return false;
    }
    feSqr(t1, inv);
    feMul(R[0], R[0], t1);
    feMul(t1, t1, inv);
    feMul(R[1], R[1], t1);
    for (j = 0; j < 2; j++) {
      feMul(R[j], R[j], PLAIN_ONE); // out of the Montgomery domain
      feReduce(R[j], R[j]);
    }
    R[2].set(ONE);
    affine = false;
    return true;
  }
  return [step, R];
}

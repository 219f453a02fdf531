// P-256 group operations in Jacobian coordinates (X, Y, Z) ~ (X/Z^2, Y/Z^3), a = -3 (SEC 1 v2 2.2.1,
// FIPS 186-4 D.1.2.3). Formulas from the Explicit-Formulas Database (hyperelliptic.org/EFD,
// g1p/auto-shortw-jacobian-3.html): doubling "dbl-2001-b" (with Z3 = 2*Y1*Z1), addition
// "add-1998-cmo-2", mixed addition "madd" (Z2 = 1) derived from it. The point at infinity is Z = 0;
// the additions handle P = Q (doubling) and P = -Q (infinity) explicitly.
//
// Scalar multiplication is a step machine so that it can run in slices (one bit position per step):
//  * variable base: fixed 4-bit windows, table of 1P..15P (Jacobian), 256 doublings + <= 64 additions;
//  * fixed base: an 8-tooth comb (Lim-Lee; HAC 14.117-style) with 255 precomputed affine points
//    T[i] = sum_t bit_t(i) * 2^(32t) * P, 31 doublings + <= 32 mixed additions. Tables are bytes
//    (Montgomery-form X||Y, 64 bytes per entry) so they can live in Storage.
// Several terms share the doublings (Shamir's trick), so u1*G + u2*Q costs one loop.
import { Fe, fe, feMul, feSqr, feAdd, feSub, feIsZero, feFromBytes, feToBytes, feInvStep, feFromMont, ONE, B } from './p256-field.ts';

/** A Jacobian point [X, Y, Z] (Montgomery-form coordinates). */
export type Pt = Fe[];

export function pt(): Pt {
  return [fe(), fe(), fe()];
}

export function ptCopy(r: Pt, p: Pt): void {
  r[0].set(p[0]);
  r[1].set(p[1]);
  r[2].set(p[2]);
}

export function ptIsInf(p: Pt): boolean {
  return feIsZero(p[2]);
}

const t1 = fe();
const t2 = fe();
const t3 = fe();
const t4 = fe();
const t5 = fe();
const t6 = fe();

/** r = 2p (r may be p). dbl-2001-b: 3M + 5S. Infinity stays infinity (Z3 = 2YZ = 0). */
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
  feAdd(t6, t3, t3);
  feSub(r[0], t5, t6); // X3 = alpha^2 - 8 beta
  feSub(t3, t3, r[0]);
  feMul(t3, t4, t3);
  feSqr(t2, t2);
  feAdd(t2, t2, t2);
  feAdd(t2, t2, t2);
  feAdd(t2, t2, t2); // 8 gamma^2
  feSub(r[1], t3, t2); // Y3 = alpha(4 beta - X3) - 8 gamma^2
}

function setInf(r: Pt): void {
  r[0].set(ONE);
  r[1].set(ONE);
  r[2].fill(0);
}

/**
 * Finish an addition from U1, S1 (in t1, t2), H = U2 - U1, R = S2 - S1 (in t3, t4); Z3 = zh * H.
 * Returns false when H = 0 (the caller doubles or returns infinity).
 */
function addFinish(r: Pt, zh: Fe, p: Pt): void {
  if (feIsZero(t3)) {
    if (feIsZero(t4)) ptDbl(r, p);
    else setInf(r);
    return;
  }
  feMul(r[2], zh, t3); // Z3 = Z1 Z2 H
  feSqr(t5, t3); // HH
  feMul(t6, t1, t5); // V = U1 HH
  feMul(t3, t3, t5); // HHH
  feSqr(t5, t4);
  feSub(t5, t5, t3);
  feSub(t5, t5, t6);
  feSub(r[0], t5, t6); // X3 = R^2 - HHH - 2V
  feSub(t6, t6, r[0]);
  feMul(t6, t4, t6);
  feMul(t2, t2, t3);
  feSub(r[1], t6, t2); // Y3 = R(V - X3) - S1 HHH
}

const zz = fe();
/** r = p + q, Jacobian (r may be p or q). add-1998-cmo-2: 12M + 4S. */
export function ptAdd(r: Pt, p: Pt, q: Pt): void {
  if (ptIsInf(p)) return ptCopy(r, q);
  if (ptIsInf(q)) return ptCopy(r, p);
  feSqr(t5, q[2]);
  feMul(t1, p[0], t5); // U1 = X1 Z2^2
  feMul(t5, t5, q[2]);
  feMul(t2, p[1], t5); // S1 = Y1 Z2^3
  feSqr(t5, p[2]);
  feMul(t3, q[0], t5); // U2 = X2 Z1^2
  feMul(t5, t5, p[2]);
  feMul(t4, q[1], t5); // S2 = Y2 Z1^3
  feSub(t3, t3, t1); // H
  feSub(t4, t4, t2); // R
  feMul(zz, p[2], q[2]);
  addFinish(r, zz, p);
}

/** r = p + (x, y) with (x, y) affine (not infinity); r may be p. 8M + 3S. */
export function ptAddAffine(r: Pt, p: Pt, x: Fe, y: Fe): void {
  if (ptIsInf(p)) {
    r[0].set(x);
    r[1].set(y);
    r[2].set(ONE);
    return;
  }
  t1.set(p[0]); // U1 = X1
  t2.set(p[1]); // S1 = Y1
  feSqr(t5, p[2]);
  feMul(t3, x, t5); // U2 = x Z1^2
  feMul(t5, t5, p[2]);
  feMul(t4, y, t5); // S2 = y Z1^3
  feSub(t3, t3, t1);
  feSub(t4, t4, t2);
  zz.set(p[2]);
  addFinish(r, zz, p);
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

/** A scalar-multiplication term: scalar (32 bytes big-endian) times a base given by a comb table or a point. */
export interface Term {
  k: Uint8Array;
  /** comb table bytes (255 * 64), or null to use windows over `p` */
  comb: Uint8Array | null;
  /** the base point (Jacobian) when comb is null */
  p: Pt | null;
  /** window table 0..15 (filled by the machine) */
  w?: Pt[];
}

const ax = fe();
const ay = fe();
/** Read comb entry idx (1..255) into ax, ay. */
function combEntry(table: Uint8Array, idx: number): void {
  const off = (idx - 1) * 64;
  feFromBytes(ax, table, off);
  feFromBytes(ay, table, off + 32);
}

/** Nibble j (0..63, little-endian) of a big-endian 32-byte scalar. */
function nibble(k: Uint8Array, j: number): number {
  return (k[31 - (j >> 1)] >> ((j & 1) * 4)) & 15;
}

function bit(k: Uint8Array, i: number): number {
  return (k[31 - (i >> 3)] >> (i & 7)) & 1;
}

/**
 * A multi-scalar multiplication R = sum k_i * P_i as a step machine: `step()` does a bounded amount
 * of work (one precomputed multiple, or one bit position: 1 doubling + at most one addition per term)
 * and returns true when R is ready.
 */
export class MulMachine {
  r: Pt;
  terms: Term[];
  i: number;
  pre: number;
  preTerm: number;
  constructor(terms: Term[]) {
    this.r = pt();
    setInf(this.r);
    this.terms = terms;
    let top = 31;
    for (let t = 0; t < terms.length; t++) {
      if (!terms[t].comb) {
        top = 255;
        const w: Pt[] = [pt()];
        setInf(w[0]);
        terms[t].w = w;
      }
    }
    this.i = top;
    this.pre = 1;
    this.preTerm = 0;
  }
  step(): boolean {
    const terms = this.terms;
    // precompute 1P..15P for window terms, one point per step
    while (this.preTerm < terms.length) {
      const term = terms[this.preTerm];
      if (term.comb || this.pre > 15) {
        this.preTerm++;
        this.pre = 1;
        continue;
      }
      const w = term.w as Pt[];
      const q = pt();
      if (this.pre === 1) ptCopy(q, term.p as Pt);
      else if (this.pre === 2) ptDbl(q, w[1]);
      else ptAdd(q, w[this.pre - 1], w[1]);
      w.push(q);
      this.pre++;
      return false;
    }
    if (this.i < 0) return true;
    const i = this.i;
    const r = this.r;
    ptDbl(r, r);
    for (let t = 0; t < terms.length; t++) {
      const term = terms[t];
      if (term.comb) {
        if (i < 32) {
          let idx = 0;
          for (let j = 7; j >= 0; j--) idx = idx * 2 + bit(term.k, i + 32 * j);
          if (idx) {
            combEntry(term.comb, idx);
            ptAddAffine(r, r, ax, ay);
          }
        }
      } else if ((i & 3) === 0) {
        const nib = nibble(term.k, i >> 2);
        if (nib) ptAdd(r, r, (term.w as Pt[])[nib]);
      }
    }
    this.i--;
    return this.i < 0;
  }
}

/**
 * Affine conversion as a step machine: 16 exponent bits of Z^(p-2) per step, then x = X/Z^2, y = Y/Z^3
 * (plain integers, canonical). `ok` is false for the point at infinity.
 */
export class AffineMachine {
  p: Pt;
  acc: Fe;
  bit: number;
  x: Fe;
  y: Fe;
  ok: boolean;
  constructor(p: Pt) {
    this.p = p;
    this.acc = fe();
    this.acc.set(ONE);
    this.bit = 255;
    this.x = fe();
    this.y = fe();
    this.ok = !ptIsInf(p);
  }
  step(): boolean {
    if (!this.ok) return true;
    const end = this.bit - 16;
    for (; this.bit > end && this.bit >= 0; this.bit--) feInvStep(this.acc, this.p[2], this.bit);
    if (this.bit >= 0) return false;
    const zi = this.acc;
    feSqr(t1, zi);
    feMul(this.x, this.p[0], t1);
    feMul(t1, t1, zi);
    feMul(this.y, this.p[1], t1);
    feFromMont(this.x, this.x);
    feFromMont(this.y, this.y);
    return true;
  }
}

/** Write the Montgomery-form affine coordinates of entry (x, y) into a comb table. */
export function writeEntry(table: Uint8Array, idx: number, x: Fe, y: Fe): void {
  feToBytes(table, (idx - 1) * 64, x);
  feToBytes(table, (idx - 1) * 64 + 32, y);
}

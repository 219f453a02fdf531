// Arithmetic in GF(p), p = 2^256 - 2^224 + 2^192 + 2^96 - 1 (FIPS 186-4 D.1.2.3, SEC 2 v2 2.4.2),
// written for the interpreter's cost model: it runs source text, so every token in a hot loop costs,
// while its native vector operation E.convolve (a dot product with a cyclic offset) is cheap.
//
// Representation: 11 signed limbs of 24 bits in an Int32Array, value = sum a[i] * 2^(24 i), in the
// Montgomery domain with R = 2^264 (a is stored as a*R mod p). "Normalised" (every feMul output):
// limbs 0..9 in [-2^23, 2^23], limb 10 below 2^17 in magnitude, |value| < 2^256. An operand with limbs
// up to f * 2^23 has "factor" f.
//
// feMul is Montgomery multiplication (HAC 14.36) with the product and the reduction in the same
// E.convolve calls. A = [x | 10 zeros | m] and B = [zeros | y reversed | zeros | p' reversed | zeros],
// so E.convolve(A, B, 20 - k) = column k of x*y + column k of m*p' (p' = p + 1, sparse:
// 2^96 + 2^192 - 2^224 + 2^256 = W^4 + W^8 - 256 W^9 + 65536 W^10 with W = 2^24). p = -1 (mod W),
// so the Montgomery digit is m_k = column mod W (balanced), and the column minus m_k is carried. The
// same code serves n (p256-scalar.ts) with its own digit factor: p is given to it as signed limbs
// (p' and the -1 of limb 0 added by hand), which costs feMul ~12% against a p-only loop (measured on
// 2v29) and saves ~160 bytes.
// Exactness (doubles are exact below 2^53): a column is at most 11 * fx * fy * 2^46 from x*y, plus
// 2^23 * (1 + 1 + 256 + 65536) < 2^39.01 from m*p', plus a carry below 2^29: below 2^53 whenever
// fx * fy <= 11. Output (x*y + m*p) / R: |m| < R/2, so |out| < fx fy 2^514 / 2^264 + p/2 < 2^256.
import { base64Decode } from './base64.ts';

/** A field element (11 signed limbs of 24 bits). */
export type Fe = Int32Array;
/** E.convolve's contract: sum over i of a[i] * b[(i + off) % b.length] (off >= 0 here). */
export type Convolve = (a: ArrayLike<number>, b: ArrayLike<number>, off: number) => number;


/** The pure form of E.convolve (host tests); the HAL plugs in the native one with setConvolve. */
export const pureConvolve: Convolve = function (a, b, off) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[(i + off) % b.length];
  return s;
};

/** A Montgomery product r = x * y / R (mod p or n). */
export type Mul = (r: Fe, x: Fe, y: Fe) => void;
/** r = x*a + y*b limb by limb. */
export type Lin = (r: Fe, a: Fe, x: number, b: Fe, y: number) => void;

export function fe(): Fe {
  return new Int32Array(11);
}

/** 32 big-endian bytes at b[off..] to limbs (plain integer in [0, 2^256), standard limbs). */
export function feFromBytes(r: Fe, b: Uint8Array, off: number): void {
  for (let i = 11; i--; ) {
    const k = off + 31 - 3 * i;
    r[i] = b[k] + b[k - 1] * 256 + (i < 10 ? b[k - 2] * 65536 : 0); // limb 10 has 16 bits
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

/**
 * The Montgomery products, built inside one small closure: the interpreter finds a name by walking the
 * scopes, and the bundle's top scope lists every module-level name (hundreds in the firmware; measured:
 * 300 names declared before make feMul 15-20% slower), so the hot code finds everything here.
 * Returns [a maker of the product for a modulus, feLinN, setConvolve].
 */
function engine(): [(n: Fe, np: number) => Mul, Lin, (fn: Convolve) => void] {
  const a = new Int32Array(32); // [x | 10 zeros | m_0..m_10]
  const f = Math.floor, w = 16777216, i = 1 / 16777216;
  let c = pureConvolve;
  /**
   * The product r = x * y / R mod the modulus with limbs n (signed) and np = -n^-1 mod 2^24. B holds
   * y reversed at 10..20 and n_1..n_10 reversed at 41 - j, so c(a, B, 20 - k) is column k of x*y + m*n
   * but for m_k * n_0, added by hand once the digit m_k = (column mod W) * np (balanced) is known.
   * For p (signed limbs -1, 0, 0, 0, 1, 0, 0, 0, 1, -256, 65536; np = 1) the column sums are those of
   * p' = p + 1 in the header. Output normalised for p; for n in (-n/2, n), limbs 0..9 balanced.
   */
  function mont(n: Fe, np: number): Mul {
    const b = new Int32Array(42);
    const yb = b.subarray(10, 21);
    const n0 = n[0];
    for (let j = 1; j < 11; j++) b[41 - j] = n[j];
    return function (r: Fe, x: Fe, y: Fe): void {
      let q = 0, k = 20, s, m;
      a.set(x);
      yb.set(y);
      yb.reverse();
      do {
        s = c(a, b, k) + q;
        m = (s % w) * np; // (s mod W) * np, |.| < 2^40 (% is exact on doubles)
        a[41 - k] = m = m - f(m * i + 0.5) * w;
        q = (s + m * n0) * i; // exact: s + m n_0 = 0 (mod W)
      } while (--k > 9);
      // columns 11..20 into r (r[10] = the last carry)
      do {
        s = c(a, b, k) + q;
        r[9 - k] = s - (q = f(s * i + 0.5)) * w;
      } while (k--);
      r[10] = q;
    };
  }
  /** r = x*a + y*b, carried to normalised limbs (|value| grows by at most |x| + |y| times). */
  function linN(r: Fe, a: Fe, x: number, b: Fe, y: number): void {
    let c = 0, j = 0, v;
    do {
      v = x * a[j] + y * b[j] + c;
      r[j] = v - (c = f(v * i + 0.5)) * w;
    } while (++j < 10);
    r[10] = x * a[10] + y * b[10] + c;
  }
  return [
    mont,
    linN,
    function (fn: Convolve): void {
      c = fn;
    },
  ];
}
const ENGINE = engine();

/** The Montgomery product for a modulus's signed limbs and -n^-1 mod 2^24 (p here, n in p256-scalar.ts). */
export const montMul: (n: Fe, np: number) => Mul = ENGINE[0];
/** r = x*a + y*b, carried to normalised limbs (|value| grows by at most |x| + |y| times). */
export const feLinN: Lin = ENGINE[1];
/** Use the interpreter's native E.convolve (same results: exact double sums, see the header). */
export const setConvolve: (fn: Convolve) => void = ENGINE[2];

/** p in signed limbs: -1 + W^4 + W^8 - 256 W^9 + 65536 W^10 (feLinN's balanced form of P). */
const PS = fe();
feLinN(PS, P, 1, P, 0);
/** Montgomery multiplication r = x * y / R mod p (normalised; r may alias x or y). */
export const feMul: Mul = montMul(PS, 1);

/** a < b for standard limbs (each in [0, 2^24)). */
export function feLess(a: Fe, b: Fe): boolean {
  for (let i = 11; i--; ) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/** One carry pass to standard limbs 0..9 in [0, 2^24); limb 10 takes the (signed) rest. */
export function carry(r: Fe): void {
  let c = 0, i = 0, v;
  do {
    v = r[i] + c;
    c = Math.floor(v / 16777216); // exact: a power of two
    r[i] = v - c * 16777216;
  } while (++i < 10);
  r[10] += c;
}

/** r = r - m when r >= m (standard limbs). */
export function subIfAtLeast(r: Fe, m: Fe): void {
  if (feLess(r, m)) return;
  feLinN(r, r, 1, m, -1);
  carry(r);
}

/**
 * r = the canonical representative of a (standard limbs, value in [0, p)), for any lazy element
 * (|value| < 2^262). Each round folds the multiple c of 2^256 above limb 10's 16 bits back with
 * 2^256 = 2^224 - 2^192 - 2^96 + 1 (mod p), which changes the value by -c * p; it ends with c = 0.
 */
export function feReduce(r: Fe, a: Fe): void {
  let c;
  r.set(a);
  do {
    carry(r);
    c = r[10] >> 16;
    r[10] &= 65535; // less c * 2^16
    r[0] += c;
    r[4] -= c;
    r[8] -= c;
    r[9] += c * 256;
  } while (c);
  subIfAtLeast(r, P);
}

const Z = fe();
const ZERO = fe();
/** a == 0 (mod p): its canonical form is not above zero. */
export function feIsZero(a: Fe): boolean {
  feReduce(Z, a);
  return !feLess(ZERO, Z);
}

/** R^2 mod p (computed on the host: (2^264)^2 mod p), to enter the Montgomery domain. */
const R2 = feB64('AAT////9//////////7////7/////wAAAAAAAAADAAA=');

/** Montgomery form of a plain integer (standard limbs, value < 2^257). */
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
/** 1 in the Montgomery domain: R mod p (normalised limbs). */
export const ONE = fe();
feToMont(ONE, PLAIN_ONE);

/** Canonical limbs (value < 2^256) to 32 big-endian bytes at out[off..]. */
export function feToBytes(out: Uint8Array, off: number, a: Fe): void {
  for (let i = 11; i--; ) {
    const k = off + 31 - 3 * i;
    const v = a[i];
    out[k] = v; // stores keep the low 8 bits
    out[k - 1] = v >> 8;
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
  if (bitOf(e, bit)) mul(acc, acc, a);
}

/** Bit i of standard limbs (scalars and exponents are kept as limbs; i below 264). */
export function bitOf(k: Fe, i: number): number {
  return (k[(i / 24) | 0] >> i % 24) & 1;
}

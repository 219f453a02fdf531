// NIST P-256 (secp256r1): keys, ECDH, ECDSA over SHA-256 hashes, key formats, fixed-base tables.
// Specs: SEC 1 v2 (3.2 key pairs, 3.2.2.1 public key validation, 3.3.1 ECDH primitive, 4.1 ECDSA),
// FIPS 186-4 (6.4 ECDSA, D.1.2.3 curve), RFC 6979 (deterministic / hedged nonces, 3.2 and 3.6).
// Keys: private = 32 bytes big-endian in [1, n-1]; public = 64 bytes X||Y (no 0x04 prefix).
// Every long operation exists as a step machine: the sync form runs it to the end, the sliced form
// runs `stepsPerSlice` steps (default 2; one step = one scalar bit: a doubling plus at most one
// addition per base, or 16 bits of an inversion) and schedules the next slice with `defer`.
// Timing: the code has no secret-dependent branches on key bits beyond the window/comb lookups and the
// skip of zero digits; an interpreter gives no constant-time guarantee, so keys are protected by never
// being exposed to a remote timing oracle (each private key is used for few operations).
import { Fe, fe, feFromBytes, feToBytes, feToMont, feLessThanP, feMul, feSqr, feSub, feIsZero, feInv, feReduce, ONE } from './p256-field.ts';
import { N, snLessThanN, snIsZero, snFromBytes, snRaw, snToBytes, snInvMont, snMul, snAdd, snToMont } from './p256-scalar.ts';
import { Pt, pt, ptDbl, ptAdd, onCurve, MulMachine, AffineMachine, Term, writeEntry } from './p256-point.ts';
import { derDecodeSignature, derEncodeSignature, spkiDecode, spkiEncode, privateKeyDecode } from './der.ts';
import { hmacSha256 } from './sha256.ts';

export type RandomBytes = (n: number) => Uint8Array;
export type Defer = (fn: () => void) => void;
export interface KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}
interface SliceOptions {
  defer: Defer;
  /** steps per slice (default 2); a benchmark can time each deferred call to find the longest slice */
  stepsPerSlice?: number;
}

const G_BYTES = [
  0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
  0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
];
const TABLE_BYTES = 255 * 64;

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error('p256: ' + what);
}

function checkLen(b: Uint8Array, n: number, what: string): void {
  check(!!b && b.length === n, what + ' must be ' + n + ' bytes');
}

/** Public key bytes to a validated Jacobian point (SEC 1 3.2.2.1: coordinates < p, on the curve); null if invalid. */
function toPoint(pub: Uint8Array): Pt | null {
  if (!pub || pub.length !== 64) return null;
  const p = pt();
  feFromBytes(p[0], pub, 0);
  feFromBytes(p[1], pub, 32);
  if (!feLessThanP(p[0]) || !feLessThanP(p[1])) return null;
  feToMont(p[0], p[0]);
  feToMont(p[1], p[1]);
  p[2].set(ONE);
  // (0, 0) is not on the curve (b != 0), so the all-zero key and "infinity" encodings fail here
  return onCurve(p[0], p[1]) ? p : null;
}

let gPoint: Pt | null = null;
function basePoint(): Pt {
  if (!gPoint) gPoint = toPoint(new Uint8Array(G_BYTES)) as Pt;
  return gPoint;
}

let gTable: Uint8Array | null = null;
const keyTables: { pub: Uint8Array; table: Uint8Array }[] = [];

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function tableFor(pub: Uint8Array): Uint8Array | null {
  for (let i = 0; i < keyTables.length; i++) if (sameBytes(keyTables[i].pub, pub)) return keyTables[i].table;
  return null;
}

/** A term k*G: the comb table when registered, else windows over G. */
function gTerm(k: Uint8Array): Term {
  return { k: k, comb: gTable, p: gTable ? null : basePoint() };
}

function privateScalar(priv: Uint8Array): Fe {
  checkLen(priv, 32, 'private key');
  const d = snRaw(priv, 0);
  check(snLessThanN(d) && !snIsZero(d), 'private key out of range');
  return d;
}

/** A job: step() until true, then result(). */
interface Job<T> {
  step: () => boolean;
  result: () => T;
}

function runSync<T>(job: Job<T>): T {
  while (!job.step()) {
    /* run to the end */
  }
  return job.result();
}

function runSliced<T>(job: Job<T> | null, err: Error | null, o: SliceOptions, onDone: (err: Error | null, v?: T) => void): void {
  const n = o.stepsPerSlice && o.stepsPerSlice > 0 ? o.stepsPerSlice : 2;
  function slice(): void {
    let done = false;
    let value: T | undefined;
    try {
      if (err) throw err;
      const j = job as Job<T>;
      for (let i = 0; i < n && !done; i++) done = j.step();
      if (done) value = j.result();
    } catch (e) {
      onDone(e as Error);
      return;
    }
    if (done) onDone(null, value);
    else o.defer(slice);
  }
  o.defer(slice);
}

/** Scalar multiplication followed by conversion to affine: x, y plain canonical (ok false at infinity). */
function mulAffineJob(terms: Term[]): { step: () => boolean; am: () => AffineMachine } {
  const mm = new MulMachine(terms);
  let am: AffineMachine | null = null;
  return {
    step: function () {
      if (!am) {
        if (mm.step()) am = new AffineMachine(mm.r);
        return false;
      }
      return am.step();
    },
    am: function () {
      return am as AffineMachine;
    },
  };
}

function pubBytes(am: AffineMachine): Uint8Array {
  const out = new Uint8Array(64);
  feToBytes(out, 0, am.x);
  feToBytes(out, 32, am.y);
  return out;
}

function publicKeyJob(priv: Uint8Array): Job<Uint8Array> {
  privateScalar(priv);
  const j = mulAffineJob([gTerm(priv)]);
  return { step: j.step, result: function () { return pubBytes(j.am()); } };
}

/** The public key X||Y of a private key (throws on a key outside [1, n-1]). */
export function getPublicKey(priv: Uint8Array): Uint8Array {
  return runSync(publicKeyJob(priv));
}

/** SEC 1 3.2.2.1 partial validation (enough for a prime-order curve): coordinates < p, on the curve. */
export function isValidPublicKey(pub: Uint8Array): boolean {
  return toPoint(pub) !== null;
}

function ecdhJob(priv: Uint8Array, pub: Uint8Array): Job<Uint8Array | null> {
  privateScalar(priv);
  const p = toPoint(pub);
  if (!p) return { step: function () { return true; }, result: function () { return null; } };
  const j = mulAffineJob([{ k: priv, comb: tableFor(pub), p: p }]);
  return {
    step: j.step,
    result: function () {
      const am = j.am();
      if (!am.ok) return null; // impossible for a valid point and d in [1, n-1] (prime order)
      const x = new Uint8Array(32);
      feToBytes(x, 0, am.x);
      return x;
    },
  };
}

/** ECDH (SEC 1 3.3.1): the shared point's X coordinate, 32 bytes big-endian; null for an invalid peer key. */
export function ecdh(priv: Uint8Array, peerPub: Uint8Array): Uint8Array | null {
  return runSync(ecdhJob(priv, peerPub));
}

export function ecdhSliced(o: SliceOptions & { privateKey: Uint8Array; publicKey: Uint8Array; onDone: (err: Error | null, x?: Uint8Array | null) => void }): void {
  let job: Job<Uint8Array | null> | null = null;
  let err: Error | null = null;
  try {
    job = ecdhJob(o.privateKey, o.publicKey);
  } catch (e) {
    err = e as Error;
  }
  runSliced(job, err, o, o.onDone);
}

/** A uniformly random private key by rejection sampling (SEC 1 3.2.1 / FIPS 186-4 B.4.2). */
function randomPrivateKey(randomBytes: RandomBytes): Uint8Array {
  for (let i = 0; i < 64; i++) {
    const d = randomBytes(32);
    checkLen(d, 32, 'randomBytes(32)');
    const v = snRaw(d, 0);
    if (snLessThanN(v) && !snIsZero(v)) return new Uint8Array(d);
  }
  throw new Error('p256: random source is broken');
}

function keyPairJob(randomBytes: RandomBytes): Job<KeyPair> {
  const d = randomPrivateKey(randomBytes);
  const j = publicKeyJob(d);
  return { step: j.step, result: function () { return { privateKey: d, publicKey: j.result() }; } };
}

export function generateKeyPair(randomBytes: RandomBytes): KeyPair {
  return runSync(keyPairJob(randomBytes));
}

export function generateKeyPairSliced(o: SliceOptions & { randomBytes: RandomBytes; onDone: (err: Error | null, kp?: KeyPair) => void }): void {
  let job: Job<KeyPair> | null = null;
  let err: Error | null = null;
  try {
    job = keyPairJob(o.randomBytes);
  } catch (e) {
    err = e as Error;
  }
  runSliced(job, err, o, o.onDone);
}

const FALSE_JOB: Job<boolean> = { step: function () { return true; }, result: function () { return false; } };

/** ECDSA verification (FIPS 186-4 6.4.2 / SEC 1 4.1.4) of a strict-DER signature over a 32-byte hash. */
function verifyJob(pub: Uint8Array, hash: Uint8Array, sig: Uint8Array): Job<boolean> {
  checkLen(hash, 32, 'hash');
  const q = toPoint(pub);
  const rs = sig ? derDecodeSignature(sig) : null;
  if (!q || !rs) return FALSE_JOB;
  const r = snRaw(rs[0], 0);
  const s = snRaw(rs[1], 0);
  if (snIsZero(r) || snIsZero(s) || !snLessThanN(r) || !snLessThanN(s)) return FALSE_JOB;
  const e = snFromBytes(hash, 0); // the hash is exactly 256 bits: e = H mod n
  const w = fe();
  snInvMont(w, s);
  const u1 = fe();
  const u2 = fe();
  snMul(u1, e, w);
  snMul(u2, r, w);
  const mm = new MulMachine([gTerm(snToBytes(u1)), { k: snToBytes(u2), comb: tableFor(pub), p: q }]);
  return {
    step: function () {
      return mm.step();
    },
    result: function () {
      // x(R) mod n == r without an inversion: X == r' Z^2 for r' in {r, r + n} with r' < p
      const R = mm.r;
      if (feIsZero(R[2])) return false;
      const z2 = fe();
      feSqr(z2, R[2]);
      const c = fe();
      c.set(r);
      for (let k = 0; k < 2; k++) {
        if (k === 1) {
          let carry = 0;
          for (let i = 0; i < 11; i++) {
            const v = c[i] + N[i] + carry;
            carry = v >= 16777216 ? 1 : 0;
            c[i] = v - carry * 16777216;
          }
          if (!feLessThanP(c)) return false;
        }
        const t = fe();
        feToMont(t, c);
        feMul(t, t, z2);
        feSub(t, R[0], t);
        if (feIsZero(t)) return true;
      }
      return false;
    },
  };
}

export function verify(pub: Uint8Array, hash: Uint8Array, sig: Uint8Array): boolean {
  return runSync(verifyJob(pub, hash, sig));
}

export function verifySliced(o: SliceOptions & { publicKey: Uint8Array; hash: Uint8Array; signature: Uint8Array; onDone: (err: Error | null, ok?: boolean) => void }): void {
  let job: Job<boolean> | null = null;
  let err: Error | null = null;
  try {
    job = verifyJob(o.publicKey, o.hash, o.signature);
  } catch (e) {
    err = e as Error;
  }
  runSliced(job, err, o, o.onDone);
}

function hmacCat(key: Uint8Array, parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i].length;
  const m = new Uint8Array(n);
  n = 0;
  for (let i = 0; i < parts.length; i++) {
    m.set(parts[i], n);
    n += parts[i].length;
  }
  return hmacSha256(key, m);
}

/**
 * RFC 6979 3.2 nonce generator for P-256/SHA-256 (qlen = hlen = 256, so bits2int is the identity and
 * bits2octets(h) = (h mod n)), with optional extra entropy k' (3.6). Returns next() giving candidates.
 */
function rfc6979(priv: Uint8Array, h: Uint8Array, extra: Uint8Array | null): () => Uint8Array {
  let V: Uint8Array = new Uint8Array(32);
  V.fill(1);
  let K: Uint8Array = new Uint8Array(32);
  const hm = snToBytes(snFromBytes(h, 0));
  const tail = extra ? [priv, hm, extra] : [priv, hm];
  K = hmacCat(K, [V, new Uint8Array([0])].concat(tail));
  V = hmacSha256(K, V);
  K = hmacCat(K, [V, new Uint8Array([1])].concat(tail));
  V = hmacSha256(K, V);
  let first = true;
  return function () {
    for (;;) {
      if (!first) {
        K = hmacCat(K, [V, new Uint8Array([0])]);
        V = hmacSha256(K, V);
      }
      first = false;
      V = hmacSha256(K, V);
      const k = snRaw(V, 0);
      if (snLessThanN(k) && !snIsZero(k)) return new Uint8Array(V);
    }
  };
}

/** ECDSA signing (FIPS 186-4 6.4.1 / SEC 1 4.1.3) with an RFC 6979 nonce, hedged with 32 random bytes. */
function signJob(priv: Uint8Array, hash: Uint8Array, randomBytes: RandomBytes | null): Job<Uint8Array> {
  checkLen(hash, 32, 'hash');
  const d = privateScalar(priv);
  let extra: Uint8Array | null = null;
  if (randomBytes) {
    extra = randomBytes(32);
    checkLen(extra, 32, 'randomBytes(32)');
  }
  const nextK = rfc6979(priv, hash, extra);
  const e = snFromBytes(hash, 0);
  let k = nextK();
  let j = mulAffineJob([gTerm(k)]);
  let sig: Uint8Array | null = null;
  return {
    step: function () {
      if (!j.step()) return false;
      // r = x(kG) mod n; s = k^-1 (e + r d) mod n; retry with the next k when r or s is 0
      const r = snFromBytes(snToBytes(j.am().x), 0);
      const t = fe();
      snToMont(t, r);
      snMul(t, t, d); // r d
      snAdd(t, t, e);
      const ki = fe();
      snInvMont(ki, snRaw(k, 0));
      const s = fe();
      snMul(s, t, ki);
      if (snIsZero(r) || snIsZero(s)) {
        k = nextK();
        j = mulAffineJob([gTerm(k)]);
        return false;
      }
      sig = derEncodeSignature(snToBytes(r), snToBytes(s));
      k.fill(0);
      return true;
    },
    result: function () {
      return sig as Uint8Array;
    },
  };
}

/**
 * ECDSA signature (DER) of a 32-byte hash. `randomBytes` hedges the RFC 6979 nonce (RFC 6979 3.6);
 * pass null for the plain deterministic nonce.
 */
export function sign(priv: Uint8Array, hash: Uint8Array, randomBytes: RandomBytes | null): Uint8Array {
  return runSync(signJob(priv, hash, randomBytes));
}

export function signSliced(o: SliceOptions & { privateKey: Uint8Array; hash: Uint8Array; randomBytes: RandomBytes | null; onDone: (err: Error | null, sig?: Uint8Array) => void }): void {
  let job: Job<Uint8Array> | null = null;
  let err: Error | null = null;
  try {
    job = signJob(o.privateKey, o.hash, o.randomBytes);
  } catch (e) {
    err = e as Error;
  }
  runSliced(job, err, o, o.onDone);
}

/** X||Y from the 91-byte SubjectPublicKeyInfo, or null (wrong structure or not a valid point). */
export function parseSpkiPublicKey(der: Uint8Array): Uint8Array | null {
  const pub = der ? spkiDecode(der) : null;
  return pub && isValidPublicKey(pub) ? pub : null;
}

export function encodeSpkiPublicKey(pub: Uint8Array): Uint8Array {
  checkLen(pub, 64, 'public key');
  return spkiEncode(pub);
}

/** The private scalar from PKCS#8 or SEC 1 DER, or null (malformed, other curve, or outside [1, n-1]). */
export function parsePrivateKey(der: Uint8Array): Uint8Array | null {
  const d = der ? privateKeyDecode(der) : null;
  if (!d) return null;
  const v = snRaw(d, 0);
  return snLessThanN(v) && !snIsZero(v) ? d : null;
}

function baseOf(key: Uint8Array | 'G'): Pt {
  if (key === 'G') return basePoint();
  const p = toPoint(key);
  check(p !== null, 'invalid public key');
  return p as Pt;
}

/**
 * Comb table for a fixed base (host side, for the flash tool): 255 entries, entry i = sum over set
 * bits t of i of 2^(32t) * P, each as Montgomery-form affine X||Y (64 bytes): 16,320 bytes.
 */
export function buildTable(key: Uint8Array | 'G'): Uint8Array {
  const base = baseOf(key);
  const table = new Uint8Array(TABLE_BYTES);
  const pts: Pt[] = [pt()];
  pts[0][2].fill(0); // index 0: infinity
  const step = pt();
  step[0].set(base[0]);
  step[1].set(base[1]);
  step[2].set(base[2]);
  for (let t = 0; t < 8; t++) {
    const bitIdx = 1 << t;
    for (let i = 0; i < bitIdx; i++) {
      const q = pt();
      ptAdd(q, pts[i], step);
      pts[bitIdx + i] = q;
    }
    for (let i = 0; i < 32; i++) ptDbl(step, step);
  }
  const zi = fe();
  const x = fe();
  const y = fe();
  for (let i = 1; i < 256; i++) {
    const q = pts[i];
    feInv(zi, q[2]);
    feSqr(x, zi);
    feMul(y, x, zi);
    feMul(x, x, q[0]);
    feMul(y, y, q[1]);
    feReduce(x, x);
    feReduce(y, y);
    writeEntry(table, i, x, y);
  }
  return table;
}

/**
 * Register a comb table (e.g. read from Storage) for G or for a public key; null removes it. Checks
 * the size and that entry 1 is the key itself (a table for another key is an error).
 */
export function useTable(key: Uint8Array | 'G', table: Uint8Array | null): void {
  const base = baseOf(key);
  if (table) {
    checkLen(table, TABLE_BYTES, 'table');
    const x = fe();
    const y = fe();
    feReduce(x, base[0]);
    feReduce(y, base[1]);
    const want = new Uint8Array(64);
    feToBytes(want, 0, x);
    feToBytes(want, 32, y);
    check(sameBytes(want, table.subarray(0, 64)), 'table does not belong to this key');
  }
  if (key === 'G') {
    gTable = table;
    return;
  }
  for (let i = 0; i < keyTables.length; i++) {
    if (sameBytes(keyTables[i].pub, key)) {
      if (table) keyTables[i].table = table;
      else keyTables.splice(i, 1);
      return;
    }
  }
  if (table) keyTables.push({ pub: new Uint8Array(key), table: table });
}

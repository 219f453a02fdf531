// NIST P-256 (secp256r1): keys, ECDH, ECDSA over SHA-256 hashes, key formats, fixed-base tables.
// Specs: SEC 1 v2 (3.2.1 key pairs, 3.2.2.1 public key validation, 3.3.1 ECDH primitive, 4.1 ECDSA),
// FIPS 186-4 (6.4 ECDSA, B.4.2 key pairs by rejection, D.1.2.3 the curve), RFC 6979 3.6 (hedged nonces).
// Keys: private = 32 bytes big-endian in [1, n-1]; public = 64 bytes X||Y (no 0x04 prefix).
//
// Every long operation is a step machine (see p256-point.ts): the sync form runs it to the end; the
// sliced form runs `stepsPerSlice` steps (default 2; a step is one scalar bit - a doubling plus at most
// one addition per base - or 16 bits of an inversion) per call of `defer`, never calls onDone
// synchronously, and reports errors through onDone. To find the longest slice, time each deferred call.
//
// Timing (limits): the windows/comb skip zero digits and the code branches on them, and an
// interpreter offers no constant-time guarantee anyway (token counts, allocation, GC). What keeps
// this acceptable here: each private key serves few operations (mesh keys are ephemeral, the device
// key signs once per setup), and nonces are a keyed PRF of key, hash and fresh randomness.
import { Fe, fe, P, feFromBytes, feToBytes, feToMont, feLess, feLinN, feIsZero, feReduce } from './p256-field.ts';
import { snInRange, snFrom, snToBytes, snInvJob, snMul, R2N } from './p256-scalar.ts';
import { Pt, Term, Job, onCurve, mulJob } from './p256-point.ts';

/** Plug in the interpreter's native E.convolve (the HAL does it on the board; see p256-field.ts). */
export { setConvolve } from './p256-field.ts';
import { derDecodeSignature, derEncodeSignature, spkiEncode, b64Of, SPKI_HEAD } from './der.ts';
import { bytesToHex, equalBytes } from './bytes.ts';
import { base64Decode } from './base64.ts';
import { hmacSha256 } from './sha256.ts';

export type RandomBytes = (n: number) => Uint8Array;
export interface KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}
export interface SliceOptions<T> {
  /** schedules the next slice (on the device hal.clock.defer) */
  defer: (fn: () => void) => void;
  onDone: (err: Error | null, value?: T) => void;
  /** steps per slice (default 2) */
  stepsPerSlice?: number;
}

/** Throws "p256: bad <what>" unless ok. */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error('p256: bad ' + what);
}

const RANDOM = 'random bytes';

/** b is n bytes long, else throws "p256: bad <what>". */
function len(b: Uint8Array, n: number, what: string): void {
  check(!!b && b.length === n, what);
}

function run<T>(job: Job<T>): T {
  let r: [T] | undefined;
  while (!(r = job())) {
    /* to the end */
  }
  return r[0];
}

/** Runs make(o)'s job in slices (make runs in the first one, so its errors reach onDone too). */
function sliced<T, O>(o: SliceOptions<T> & O, make: (o: O) => Job<T>): void {
  let job: Job<T> | null = null;
  const n = o.stepsPerSlice || 2;
  function slice(): void {
    let r: [T] | undefined;
    let i = 0;
    try {
      if (!job) job = make(o);
      while (i++ < n && !(r = job()));
    } catch (e) {
      return o.onDone(e as Error);
    }
    if (r) o.onDone(null, r[0]);
    else o.defer(slice);
  }
  o.defer(slice);
}

function done<T>(v: T): Job<T> {
  return () => [v];
}

/** `first`, then the job `next` makes from its result (each step still bounded). */
function seq<A, B>(first: Job<A>, next: (a: A) => Job<B>): Job<B> {
  let j: Job<B> | null = null;
  return () => {
    if (j) return j();
    const r = first();
    if (r) j = next(r[0]);
    return undefined;
  };
}

/** The job, then f of its result in the same step. */
function map<A, B>(job: Job<A>, f: (a: A) => B): Job<B> {
  return () => {
    const r = job();
    return r && [f(r[0])];
  };
}

/** Public key bytes to a validated affine point [x, y] (SEC 1 3.2.2.1: coordinates < p, on the curve), or null. */
function toPoint(pub: Uint8Array): Pt | null {
  if (!pub || pub.length !== 64) return null;
  const p = [fe(), fe()];
  for (let i = 2; i--; ) {
    feFromBytes(p[i], pub, 32 * i);
    if (!feLess(p[i], P)) return null;
    feToMont(p[i], p[i]);
  }
  // (0, 0) is not on the curve (b != 0): the all-zero key and "infinity" encodings fail here
  return onCurve(p[0], p[1]) ? p : null;
}

let G: Pt | null = null;
/** Comb tables registered by useTable, by 'G' or the key's hex. */
const tables: { [key: string]: Uint8Array } = {};

function keyName(key: Uint8Array | string): string {
  return key === 'G' ? key : bytesToHex(key as Uint8Array);
}

/** The base point of `key` ('G' or a public key; throws when invalid). */
function baseOf(key: Uint8Array | string): Pt {
  // G = (6b17d1f2...d898c296, 4fe342e2...37bf51f5) as 64 bytes x || y, in base64 (shorter than hex); the
  // literal inside the function stays in flash (a module-level string of it held 10 JsVars)
  if (!G) G = toPoint(base64Decode('axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpZP40Li/hp/m47n60p8D54WK84zV2sxXs7LtkBoN79R9Q==') as Uint8Array);
  const p = key === 'G' ? G : toPoint(key as Uint8Array);
  check(!!p, 'public key');
  return p as Pt;
}

/** k * base as a term: the comb table when one is registered for the base (undefined when none), and the base. */
function term(k: Fe, key: Uint8Array | string, p?: Pt): Term {
  return [k, tables[keyName(key)], p || baseOf(key)];
}

function scalar(priv: Uint8Array): Fe {
  check(!!priv && priv.length === 32 && snInRange(priv), 'private key'); // 32 bytes in [1, n-1]
  return snFrom(priv);
}

/** The public key X||Y of a private key (throws on a key outside [1, n-1]). */
export function getPublicKey(priv: Uint8Array): Uint8Array {
  return run(mulJob([term(scalar(priv), 'G')], 64)) as Uint8Array;
}

/** Public key validation (SEC 1 3.2.2.1; n is prime, so nQ = O holds for every point on the curve). */
export function isValidPublicKey(pub: Uint8Array): boolean {
  return !!toPoint(pub);
}

type EcdhIn = { privateKey: Uint8Array; publicKey: Uint8Array };

function ecdhJob(o: EcdhIn): Job<Uint8Array | null> {
  const priv = o.privateKey;
  const pub = o.publicKey;
  const d = scalar(priv);
  const p = toPoint(pub);
  return p ? mulJob([term(d, pub, p)], 32) : done(null);
}

/** ECDH (SEC 1 3.3.1): X of d*Q, 32 bytes big-endian; null for an invalid peer key. */
export function ecdh(priv: Uint8Array, peerPub: Uint8Array): Uint8Array | null {
  return run(ecdhJob({ privateKey: priv, publicKey: peerPub }));
}

export function ecdhSliced(o: SliceOptions<Uint8Array | null> & EcdhIn): void {
  sliced(o, ecdhJob);
}

/** A key pair; the private key uniformly random by rejection sampling (FIPS 186-4 B.4.2). */
type KeyPairIn = { randomBytes: RandomBytes };

function keyPairJob(o: KeyPairIn): Job<KeyPair> {
  for (let i = 0; i < 64; i++) {
    const d = new Uint8Array(o.randomBytes(32));
    len(d, 32, RANDOM);
    if (snInRange(d)) {
      return map(mulJob([term(snFrom(d), 'G')], 64), (q) => ({ privateKey: d, publicKey: q as Uint8Array }));
    }
  }
  return check(false, RANDOM) as never;
}

export function generateKeyPair(randomBytes: RandomBytes): KeyPair {
  return run(keyPairJob({ randomBytes: randomBytes }));
}

export function generateKeyPairSliced(o: SliceOptions<KeyPair> & KeyPairIn): void {
  sliced(o, keyPairJob);
}

/** ECDSA verification (FIPS 186-4 6.4.2, SEC 1 4.1.4) of a strict-DER signature over a 32-byte hash. */
type VerifyIn = { publicKey: Uint8Array; hash: Uint8Array; signature: Uint8Array };

function verifyJob(o: VerifyIn): Job<boolean> {
  const pub = o.publicKey;
  const hash = o.hash;
  const sig = o.signature;
  len(hash, 32, 'hash');
  const q = toPoint(pub);
  const rs = sig && derDecodeSignature(sig);
  if (!q || !rs) return done(false);
  if (!snInRange(rs[0]) || !snInRange(rs[1])) return done(false);
  const r = snFrom(rs[0]);
  return seq(snInvJob(snFrom(rs[1])), (w) => {
    const u1 = fe();
    const u2 = fe();
    snMul(u1, snFrom(hash, true), w); // e / s, with e = H mod n (the hash is exactly 256 bits)
    snMul(u2, r, w); // r / s
    // accept when R is not infinity and x(R) mod n == r
    return map(mulJob([term(u1, 'G'), term(u2, pub, q)], 32), (x) => !!x && equalBytes(snToBytes(snFrom(x, true)), rs[0]));
  });
}

export function verify(pub: Uint8Array, hash: Uint8Array, sig: Uint8Array): boolean {
  return run(verifyJob({ publicKey: pub, hash: hash, signature: sig }));
}

export function verifySliced(o: SliceOptions<boolean> & VerifyIn): void {
  sliced(o, verifyJob);
}

/**
 * ECDSA signing (FIPS 186-4 6.4.1, SEC 1 4.1.3). The nonce is a keyed PRF output with rejection
 * sampling: k = HMAC-SHA-256(d, H || Z || counter) until 1 <= k < n, with Z = 32 fresh random bytes
 * (zeros when randomBytes is null: then deterministic). Like RFC 6979 3.6 ("hedged"), a weak random
 * source cannot repeat k for different messages, and a good one keeps k unpredictable even if the
 * key were used in a fault attack.
 */
type SignIn = { privateKey: Uint8Array; hash: Uint8Array; randomBytes: RandomBytes | null };

function signJob(o: SignIn): Job<Uint8Array> {
  const priv = o.privateKey;
  const hash = o.hash;
  const randomBytes = o.randomBytes;
  len(hash, 32, 'hash');
  const d = scalar(priv);
  const e = snFrom(hash, true);
  const m = new Uint8Array(65);
  m.set(hash);
  if (randomBytes) {
    const z = randomBytes(32);
    len(z, 32, RANDOM);
    m.set(z, 32);
  }
  /** One attempt with the next nonce: the DER signature, or null when r or s is 0 (then try again). */
  function attempt(): Job<Uint8Array | null> {
    let k: Uint8Array;
    do {
      m[64]++;
      k = hmacSha256(priv, m);
    } while (!snInRange(k));
    const kl = snFrom(k);
    k.fill(0);
    return seq(mulJob([term(kl, 'G')], 32), (x) =>
      map(snInvJob(kl), (ki) => {
        // r = x(kG) mod n; s = k^-1 (e + r d) mod n
        const r = snFrom(x as Uint8Array, true);
        const s = fe();
        snMul(s, r, R2N); // r R
        snMul(s, s, d); // r d
        feLinN(s, s, 1, e, 1); // r d + e < 2n, normalised limbs: snMul's columns stay below 2^53
        snMul(s, s, ki);
        kl.fill(0); // wipe the nonce and its inverse
        ki.fill(0);
        return feIsZero(r) || feIsZero(s) ? null : derEncodeSignature(snToBytes(r), snToBytes(s));
      }),
    );
  }
  let j = attempt();
  return () => {
    const r = j();
    if (r) {
      if (r[0]) {
        d.fill(0);
        return r as [Uint8Array];
      }
      j = attempt();
    }
    return undefined;
  };
}

/** ECDSA signature (DER) of a 32-byte hash; `randomBytes` hedges the nonce (null: deterministic). */
export function sign(priv: Uint8Array, hash: Uint8Array, randomBytes: RandomBytes | null): Uint8Array {
  return run(signJob({ privateKey: priv, hash: hash, randomBytes: randomBytes }));
}

export function signSliced(o: SliceOptions<Uint8Array> & SignIn): void {
  sliced(o, signJob);
}

/** X||Y from the 91-byte SubjectPublicKeyInfo, or null (wrong structure or not a valid point). */
export function parseSpkiPublicKey(der: Uint8Array): Uint8Array | null {
  let pub: Uint8Array;
  return der && der.length === 91 && b64Of(der, 0, 27) === SPKI_HEAD && toPoint((pub = new Uint8Array(der.subarray(27)))) ? pub : null;
}

export function encodeSpkiPublicKey(pub: Uint8Array): Uint8Array {
  len(pub, 64, 'public key');
  return spkiEncode(pub);
}

/** The private key from P-256 PKCS#8 in the flash tool's 138-byte layout, or null (malformed, another layout or curve, or outside [1, n-1]). */
export function parsePrivateKey(der: Uint8Array): Uint8Array | null {
  let d: Uint8Array;
  return der &&
    der.length === 138 &&
    b64Of(der, 0, 36) === 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg' &&
    b64Of(der, 68, 74) === 'oUQDQgAE' &&
    snInRange((d = new Uint8Array(der.subarray(36, 68))))
    ? d
    : null;
}

const TABLE_BYTES = 255 * 64;

/**
 * Comb table for a fixed base (host side, for the flash tool): entry i (1..255) = sum over the set bits
 * t of i of 2^(32t) * P, as Montgomery-form affine X||Y (64 bytes each), 16,320 bytes in all.
 */
export function buildTable(key: Uint8Array | 'G'): Uint8Array {
  const table = new Uint8Array(TABLE_BYTES);
  const c = fe();
  for (let i = 1; i < 256; i++) {
    const k = new Uint8Array(32);
    for (let t = 0; t < 8; t++) k[31 - 4 * t] = (i >> t) & 1;
    const xy = run(mulJob([[snFrom(k), null, baseOf(key)]], 64)) as Uint8Array;
    for (let t = 0; t < 64; t += 32) {
      feFromBytes(c, xy, t);
      feToMont(c, c);
      feReduce(c, c);
      feToBytes(table, i * 64 - 64 + t, c);
    }
  }
  return table;
}

/**
 * Register a comb table (e.g. memory-mapped from Storage) for 'G' or a public key; null removes it.
 * Checks the size and that entry 1 is the key itself: a table for another key throws.
 */
export function useTable(key: Uint8Array | 'G', table: Uint8Array | null): void {
  const base = baseOf(key);
  delete tables[keyName(key)];
  if (!table) return;
  len(table, TABLE_BYTES, 'table');
  const x = fe();
  for (let k = 2; k--; ) {
    feFromBytes(x, table, 32 * k);
    feLinN(x, x, 1, base[k], -1);
    check(feIsZero(x), 'table for this key');
  }
  tables[keyName(key)] = table;
}

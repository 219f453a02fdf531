// Host-side P-256 keys for manufacturing: deterministic key derivation from a seed (for the
// simulator and reproducible test identities) and deterministic ECDSA (RFC 6979) so that test
// certificates are byte-for-byte reproducible. Node's generateKeyPair is not seedable, so the private
// scalar is derived with HMAC-SHA-256 and the key objects are built via createECDH + JWK import.
import { createECDH, createHash, createHmac, createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { seq, uint } from './der';

/** Order of the P-256 group (SEC 2 §2.4.2). */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

export interface P256Key {
  /** 32-byte big-endian private scalar d (secret). */
  d: Uint8Array;
  /** Uncompressed public point 04 ‖ X ‖ Y (65 bytes). */
  publicPoint: Uint8Array;
  /** PKCS#8 PrivateKeyInfo DER (secret). */
  pkcs8: Uint8Array;
  /** SubjectPublicKeyInfo DER (91 bytes). */
  spki: Uint8Array;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const toBig = (b: Uint8Array): bigint => (b.length ? BigInt('0x' + Buffer.from(b).toString('hex')) : 0n);
function toBytes32(v: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(v.toString(16).padStart(64, '0'), 'hex'));
}
const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/** Build the full key from a private scalar (1 ≤ d ≤ n−1). */
export function keyFromScalar(d: Uint8Array): P256Key {
  const dv = toBig(d);
  if (d.length !== 32 || dv < 1n || dv >= P256_N) throw new Error('P-256 private scalar out of range');
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(d));
  const pub = new Uint8Array(ecdh.getPublicKey());
  const jwk = { kty: 'EC', crv: 'P-256', x: b64u(pub.subarray(1, 33)), y: b64u(pub.subarray(33, 65)), d: b64u(d) };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  const publicKey = createPublicKey(privateKey);
  return {
    d: new Uint8Array(d),
    publicPoint: pub,
    pkcs8: new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' })),
    spki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
    privateKey,
    publicKey,
  };
}

/**
 * Derive a P-256 key from seed material and a label: 48 bytes of HMAC-SHA-256 output
 * (HMAC(seed, label ‖ 0x01) ‖ HMAC(seed, label ‖ 0x02)), reduced into [1, n−1]
 * (the FIPS 186-4 B.4.1 "extra random bits" method: d = c mod (n−1) + 1).
 */
export function deriveKey(seed: Uint8Array, label: string): P256Key {
  const block = (i: number) => createHmac('sha256', seed).update(label).update(Uint8Array.of(i)).digest();
  const c = toBig(new Uint8Array(Buffer.concat([block(1), block(2)]).subarray(0, 48)));
  return keyFromScalar(toBytes32((c % (P256_N - 1n)) + 1n));
}

/** A fresh random key (production identities). */
export function randomKey(): P256Key {
  return deriveKey(randomBytes(32), 'fresh');
}

/** Import a maker's existing private key (PEM or DER, PKCS#8 or SEC1). */
export function importPrivateKey(data: Uint8Array | string): P256Key {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
  const key = text.includes('-----BEGIN')
    ? createPrivateKey({ key: text, format: 'pem' })
    : (() => {
        try {
          return createPrivateKey({ key: Buffer.from(data as Uint8Array), format: 'der', type: 'pkcs8' });
        } catch {
          return createPrivateKey({ key: Buffer.from(data as Uint8Array), format: 'der', type: 'sec1' });
        }
      })();
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d) throw new Error('the private key is not a P-256 key');
  return keyFromScalar(new Uint8Array(Buffer.from(jwk.d, 'base64url')));
}

const hmac = (k: Uint8Array, ...parts: Uint8Array[]): Uint8Array => {
  const h = createHmac('sha256', k);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

function modInv(a: bigint, m: bigint): bigint {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

/**
 * Deterministic ECDSA P-256 with SHA-256 (RFC 6979 §3.2). Returns the DER signature
 * (SEQUENCE { r INTEGER, s INTEGER }), as X.509 signatureValue expects.
 */
export function signDeterministic(key: P256Key, message: Uint8Array): Uint8Array {
  const n = P256_N;
  const h1 = new Uint8Array(createHash('sha256').update(message).digest());
  const z = toBig(h1) % n;
  const x = key.d;
  const h1o = toBytes32(z);
  let v: Uint8Array = new Uint8Array(32).fill(1);
  let k: Uint8Array = new Uint8Array(32);
  k = hmac(k, v, Uint8Array.of(0), x, h1o);
  v = hmac(k, v);
  k = hmac(k, v, Uint8Array.of(1), x, h1o);
  v = hmac(k, v);
  const dv = toBig(x);
  for (;;) {
    v = hmac(k, v);
    const kv = toBig(v);
    if (kv >= 1n && kv < n) {
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(Buffer.from(v));
      const R = ecdh.getPublicKey();
      const r = toBig(new Uint8Array(R.subarray(1, 33))) % n;
      const s = (modInv(kv, n) * (z + r * dv)) % n;
      if (r !== 0n && s !== 0n) return seq(uint(toBytes32(r)), uint(toBytes32(s)));
    }
    k = hmac(k, v, Uint8Array.of(0));
    v = hmac(k, v);
  }
}

// AES-CCM (RFC 3610, NIST SP 800-38C) with a 128-bit key. The mesh uses a 13-byte nonce (so a
// 2-byte length field) and an 8-byte MIC with no AAD (Mesh Profile 5.4.2.5); both are parameters here.
// Decryption verifies the MIC before any plaintext leaves the function.

import { aes128Encryptor } from './aes';
import { equalBytes } from './bytes';

export interface CcmEncryptOptions {
  key: Uint8Array;
  nonce: Uint8Array;
  plaintext: Uint8Array;
  aad?: Uint8Array;
  micLength: number;
}

export interface CcmDecryptOptions {
  key: Uint8Array;
  nonce: Uint8Array;
  /** ciphertext || MIC */
  data: Uint8Array;
  aad?: Uint8Array;
  micLength: number;
}

/**
 * The CCM core: CTR-encrypts (or decrypts) `src` from counter 1 and computes the MIC over the
 * plaintext. Returns text || MIC (for decryption: plaintext || expected MIC).
 */
function ccm(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array | undefined, m: number, src: Uint8Array, encrypt: boolean): Uint8Array {
  const L = 15 - nonce.length;
  const n = src.length;
  const a = aad ? aad.length : 0;
  if (L < 2 || L > 8 || m < 4 || m > 16 || m % 2 || a >= 0xff00 || (L < 4 && n >= 1 << (8 * L))) {
    throw new Error('ccm: bad lengths');
  }
  const e = aes128Encryptor(key);
  const ctr = new Uint8Array(16);
  const s = new Uint8Array(16);
  const x = new Uint8Array(16);
  const out = new Uint8Array(n + m);
  const block = (b: Uint8Array, flags: number, v: number): void => {
    b[0] = flags;
    b.set(nonce, 1);
    for (let j = 15; j > 15 - L; j--) {
      b[j] = v; // typed-array stores keep the low 8 bits; v < 2^32 here
      v >>>= 8;
    }
  };
  // CBC-MAC over B_0, then (with AAD) its 2-byte length and itself, zero-padded to whole blocks
  const head = new Uint8Array(a ? (a + 33) & ~15 : 16);
  block(head, (a && 64) | (((m - 2) / 2) << 3) | (L - 1), n);
  if (a) {
    head[16] = a >> 8;
    head[17] = a;
    head.set(aad as Uint8Array, 18);
  }
  for (let p = 0; p < head.length; p += 16) {
    for (let j = 16; j--; ) x[j] ^= head[p + j];
    e(x, x);
  }
  // The payload, block by block: CTR from counter 1, and the CBC-MAC over the plaintext (its zero
  // padding xors nothing into the MAC state)
  for (let p = 0, i = 1; p < n; p += 16, i++) {
    block(ctr, L - 1, i);
    e(ctr, s);
    for (let j = 0; j < 16 && p + j < n; j++) {
      out[p + j] = src[p + j] ^ s[j];
      x[j] ^= encrypt ? src[p + j] : out[p + j];
    }
    e(x, x);
  }
  block(ctr, L - 1, 0);
  e(ctr, s);
  for (let j = m; j--; ) out[n + j] = x[j] ^ s[j];
  e();
  s.fill(0);
  x.fill(0);
  return out;
}

/** Encrypt and authenticate: ciphertext || MIC. */
export function ccmEncrypt(o: CcmEncryptOptions): Uint8Array {
  return ccm(o.key, o.nonce, o.aad, o.micLength, o.plaintext, true);
}

/** Decrypt and verify: the plaintext, or null when the MIC does not verify (nothing is released). */
export function ccmDecrypt(o: CcmDecryptOptions): Uint8Array | null {
  const n = o.data.length - o.micLength;
  const r = ccm(o.key, o.nonce, o.aad, o.micLength, o.data.subarray(0, n < 0 ? 0 : n), false);
  const ok = n >= 0 && equalBytes(r.subarray(n), o.data.subarray(n));
  const plain = ok ? new Uint8Array(r.subarray(0, n)) : null;
  r.fill(0);
  return plain;
}

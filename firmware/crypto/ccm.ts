// AES-CCM (RFC 3610, NIST SP 800-38C) with a 128-bit key. The mesh uses a 13-byte nonce (so a
// 2-byte length field) and an 8-byte MIC with no AAD (Mesh Profile 5.4.2.5); both are parameters here.
// Decryption verifies the MIC before any plaintext leaves the function.

import { aes128Encryptor, type BlockEncrypt } from './aes';
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

function check(key: Uint8Array, nonce: Uint8Array, micLength: number, aad: Uint8Array | undefined, n: number): number {
  if (key.length !== 16) throw new Error('ccm: key must be 16 bytes');
  if (nonce.length < 7 || nonce.length > 13) throw new Error('ccm: nonce must be 7..13 bytes');
  if (micLength < 4 || micLength > 16 || micLength % 2) throw new Error('ccm: micLength must be 4..16 and even');
  if (aad && aad.length >= 0xff00) throw new Error('ccm: aad too long');
  const L = 15 - nonce.length;
  if (L < 4 && n >= 1 << (8 * L)) throw new Error('ccm: message too long for the nonce size');
  return L;
}

/** Counter block A_i = flags(L-1) || nonce || i (RFC 3610 2.3). */
function counterBlock(nonce: Uint8Array, L: number, i: number, out: Uint8Array): void {
  out[0] = L - 1;
  out.set(nonce, 1);
  for (let j = 15; j > 15 - L; j--) {
    out[j] = i & 255;
    i = Math.floor(i / 256);
  }
}

/** CBC-MAC over B_0, the encoded AAD and the message (RFC 3610 2.2): the unencrypted tag T (16 bytes). */
function cbcMac(e: BlockEncrypt, nonce: Uint8Array, L: number, micLength: number, aad: Uint8Array | undefined, msg: Uint8Array): Uint8Array {
  const x = new Uint8Array(16);
  const a = aad ? aad.length : 0;
  x[0] = (a > 0 ? 64 : 0) | (((micLength - 2) / 2) << 3) | (L - 1);
  x.set(nonce, 1);
  let len = msg.length;
  for (let j = 15; j > 15 - L; j--) {
    x[j] = len & 255;
    len = Math.floor(len / 256);
  }
  e(x, x);
  if (aad && a > 0) {
    // l(a) as 2 bytes (a < 2^16 - 2^8), then a, zero-padded to a block boundary
    const buf = new Uint8Array(2 + a);
    buf[0] = a >> 8;
    buf[1] = a & 255;
    buf.set(aad, 2);
    absorb(e, x, buf);
  }
  absorb(e, x, msg);
  return x;
}

function absorb(e: BlockEncrypt, x: Uint8Array, data: Uint8Array): void {
  for (let p = 0; p < data.length; p += 16) {
    for (let i = 0; i < 16 && p + i < data.length; i++) x[i] ^= data[p + i];
    e(x, x);
  }
}

/** CTR keystream xor from counter 1 (counter 0 is kept for the MIC). */
function ctr(e: BlockEncrypt, nonce: Uint8Array, L: number, input: Uint8Array, output: Uint8Array): void {
  const a = new Uint8Array(16);
  const s = new Uint8Array(16);
  for (let p = 0, i = 1; p < input.length; p += 16, i++) {
    counterBlock(nonce, L, i, a);
    e(a, s);
    for (let j = 0; j < 16 && p + j < input.length; j++) output[p + j] = input[p + j] ^ s[j];
  }
  s.fill(0);
}

/** The MIC: the first micLength bytes of T xor S_0. */
function mic(e: BlockEncrypt, nonce: Uint8Array, L: number, t: Uint8Array, micLength: number): Uint8Array {
  const a = new Uint8Array(16);
  counterBlock(nonce, L, 0, a);
  e(a, a);
  const out = new Uint8Array(micLength);
  for (let i = 0; i < micLength; i++) out[i] = t[i] ^ a[i];
  a.fill(0);
  t.fill(0);
  return out;
}

/** Encrypt and authenticate: ciphertext || MIC. */
export function ccmEncrypt(o: CcmEncryptOptions): Uint8Array {
  const n = o.plaintext.length;
  const L = check(o.key, o.nonce, o.micLength, o.aad, n);
  const k = aes128Encryptor(o.key);
  const out = new Uint8Array(n + o.micLength);
  const t = cbcMac(k.encrypt, o.nonce, L, o.micLength, o.aad, o.plaintext);
  ctr(k.encrypt, o.nonce, L, o.plaintext, out);
  out.set(mic(k.encrypt, o.nonce, L, t, o.micLength), n);
  k.done();
  return out;
}

/** Decrypt and verify: the plaintext, or null when the MIC does not verify (nothing is released). */
export function ccmDecrypt(o: CcmDecryptOptions): Uint8Array | null {
  if (o.data.length < o.micLength) {
    check(o.key, o.nonce, o.micLength, o.aad, 0);
    return null;
  }
  const n = o.data.length - o.micLength;
  const L = check(o.key, o.nonce, o.micLength, o.aad, n);
  const k = aes128Encryptor(o.key);
  const plain = new Uint8Array(n);
  ctr(k.encrypt, o.nonce, L, o.data.subarray(0, n), plain);
  const t = cbcMac(k.encrypt, o.nonce, L, o.micLength, o.aad, plain);
  const expected = mic(k.encrypt, o.nonce, L, t, o.micLength);
  k.done();
  const ok = equalBytes(expected, o.data.subarray(n));
  expected.fill(0);
  if (!ok) {
    plain.fill(0);
    return null;
  }
  return plain;
}

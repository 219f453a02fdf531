// AES-CMAC (RFC 4493, NIST SP 800-38B) with a 128-bit key.

import { aes128Encryptor } from './aes';

/** Doubling in GF(2^128) (RFC 4493 2.3 "Generate_Subkey"): shift left one bit, xor 0x87 on carry. */
function dbl(b: Uint8Array): void {
  const carry = b[0] >> 7;
  for (let i = 0; i < 15; i++) b[i] = (b[i] << 1) | (b[i + 1] >> 7);
  b[15] = (b[15] << 1) ^ (carry * 0x87);
}

/** The 16-byte AES-CMAC of `message` under `key`. */
export function aesCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  const k = aes128Encryptor(key);
  const n = message.length;
  const complete = n > 0 && n % 16 === 0;
  // The message padded with 10* to whole blocks (at least one); the last block gets K1 or K2.
  const m = new Uint8Array(complete ? n : (n | 15) + 1);
  m.set(message);
  if (!complete) m[n] = 0x80;
  const x = new Uint8Array(16);
  const sub = new Uint8Array(16);
  k(x, sub); // L = AES(K, 0^128)
  dbl(sub); // K1
  if (!complete) dbl(sub); // K2
  const last = m.length - 16;
  for (let i = 16; i--; ) m[last + i] ^= sub[i];
  for (let p = 0; p < m.length; p += 16) {
    for (let i = 16; i--; ) x[i] ^= m[p + i];
    k(x, x);
  }
  k();
  sub.fill(0);
  m.fill(0);
  return x;
}

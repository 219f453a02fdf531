// AES-CMAC (RFC 4493, NIST SP 800-38B) with a 128-bit key.

import { aes128Encryptor } from './aes';

/** Doubling in GF(2^128) (RFC 4493 2.3 "Generate_Subkey"): shift left one bit, xor 0x87 on carry. */
function dbl(src: Uint8Array, dst: Uint8Array): void {
  const carry = src[0] >> 7;
  for (let i = 0; i < 15; i++) dst[i] = ((src[i] << 1) | (src[i + 1] >> 7)) & 255;
  dst[15] = ((src[15] << 1) ^ (carry ? 0x87 : 0)) & 255;
}

/** The 16-byte AES-CMAC of `message` under `key`. */
export function aesCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  const e = aes128Encryptor(key);
  const x = new Uint8Array(16);
  const sub = new Uint8Array(16);
  e.encrypt(x, sub); // L = AES(K, 0^128)
  dbl(sub, sub); // K1
  const n = message.length;
  const blocks = n === 0 ? 1 : Math.ceil(n / 16);
  const complete = n > 0 && n % 16 === 0;
  if (!complete) dbl(sub, sub); // K2
  for (let b = 0; b < blocks - 1; b++) {
    for (let i = 0; i < 16; i++) x[i] ^= message[16 * b + i];
    e.encrypt(x, x);
  }
  const last = 16 * (blocks - 1);
  for (let i = 0; i < 16; i++) {
    const j = last + i;
    // the last block, padded with 10* when incomplete, xor the subkey
    const m = j < n ? message[j] : j === n ? 0x80 : 0;
    x[i] ^= m ^ sub[i];
  }
  e.encrypt(x, x);
  e.done();
  sub.fill(0);
  return x;
}

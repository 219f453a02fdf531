// SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104 / FIPS 198-1).
//
// Why not @noble/hashes here: its code (v2.x, and v1.x alike) uses destructuring, default and rest
// parameters, async functions and class fields, which esbuild cannot lower for the Espruino dialect
// (the build fails), so it cannot run on the interpreter. This small implementation is checked
// against @noble/hashes and Node's crypto on the host (test/crypto/sha256.test.ts).
//
// Interpreter rules kept: every 32-bit word is a signed int32 and additions are done pairwise as
// `(a + b) | 0`, so no value handed to `|0` reaches 2^32. No Math.imul. Tables are built lazily.
//
// The HAL plugs in the board's native SHA-256 (`require("crypto").SHA256`) with setNativeSha256. The
// flashed bundle relies on it (ESP32 IDF5 builds have it) and carries this portable one only when built
// with `--js-crypto` (define __JS_CRYPTO__, for boards without the crypto module); host code and the
// self-test (dist/selftest.js, where it is the oracle of the native one) always have it.

import { u64BE, wipe, wordBE } from './bytes';
import { base64Decode } from './base64';

/** Set by esbuild's define (esbuild.config.mjs `--js-crypto`); undefined on the host: portable on. */
declare const __JS_CRYPTO__: boolean | undefined;

// The first 32 bits of the fractional parts of the cube roots of the first 64 primes (FIPS 180-4 4.2.2),
// big-endian, in base64 (shorter than hex; base64.ts is in the bundle anyway).
const K_B64 =
  'QoovmHE3RJG1wPvP6bXbpTlWwltZ8RHxkj+CpKscXtXYB6qYEoNbASQxhb5VDH3Dcr5ddIDesf6b3AanwZvxdOSbacHvvkeGD8Gd' +
  'xiQMocwt6SxvSnSEqlywqdx2+YjamD5RUqgxxm2wAyfIv1l/x8bgC/PVp5FHBspjURQpKWcntwqFLhshOE0sbfxTOA0TZQpzVHZq' +
  'CruBwskuknIshaK/6KGoGmZLwkuLcMdsUaPRkugZ1pkGJPQONYUQaqBwGaTBFh43bAgnSHdMNLC8tTkcDLNO2KpKW5zKT2gub/N0' +
  'j4LueKVjb4TIeBSMxwIIkL7/+qRQbOu++aP3xnF48g==';
// The initial hash value H(0) (FIPS 180-4 5.3.3), the same way.
const H0_B64 = 'agnmZ7tnroU8bvNypU/1OlEOUn+bBWiMH4PZq1vgzRk=';

let K: Int32Array | null = null;
let W: Int32Array | null = null;

/** Big-endian 32-bit words of base64 text. */
function words(b64: string): Int32Array {
  const b = base64Decode(b64) as Uint8Array;
  const out = new Int32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = wordBE(b, 4 * i);
  return out;
}

/** One 64-byte block at `p` of `m` into the state `h` (8 words). */
function compress(h: Int32Array, m: Uint8Array, p: number): void {
  const k = K as Int32Array;
  const w = W as Int32Array;
  for (let i = 0; i < 16; i++) w[i] = wordBE(m, p + 4 * i);
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15];
    const y = w[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (((s0 + w[i - 16]) | 0) + ((s1 + w[i - 7]) | 0)) | 0;
  }
  let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (((hh + S1) | 0) + ((((ch + k[i]) | 0) + w[i]) | 0)) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  const v = [a, b, c, d, e, f, g, hh];
  for (let i = 0; i < 8; i++) h[i] = (h[i] + v[i]) | 0;
}

/** The portable SHA-256 (always available; the native one is preferred by `sha256`). */
export function sha256Pure(data: Uint8Array): Uint8Array {
  if (!K) {
    K = words(K_B64);
    W = new Int32Array(64);
  }
  const h = words(H0_B64);
  const n = data.length;
  const full = n - (n % 64);
  for (let p = 0; p < full; p += 64) compress(h, data, p);
  // Padding: 0x80, zeros, then the bit length as a 64-bit big-endian integer (8n < 2^53: exact).
  const tail = new Uint8Array(n % 64 < 56 ? 64 : 128);
  tail.set(data.subarray(full));
  tail[n - full] = 0x80;
  tail.set(u64BE(n * 8), tail.length - 8);
  for (let p = 0; p < tail.length; p += 64) compress(h, tail, p);
  wipe(tail);
  (W as Int32Array).fill(0);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = h[i >> 2] >> (24 - 8 * (i & 3)); // a store keeps the low 8 bits
  return out;
}

let nativeSha256: ((data: Uint8Array) => Uint8Array) | null = null;

/** Plug in (or, with null, remove) a native SHA-256 such as Espruino's `crypto.SHA256`. */
export function setNativeSha256(fn: ((data: Uint8Array) => Uint8Array) | null): void {
  nativeSha256 = fn;
}

/** SHA-256 of `data`: the native one when the HAL plugged it in, else the portable one (if built in). */
export function sha256(data: Uint8Array): Uint8Array {
  if (nativeSha256) return nativeSha256(data);
  if (typeof __JS_CRYPTO__ === 'undefined' || __JS_CRYPTO__) return sha256Pure(data);
  throw new Error(NO_NATIVE);
}

/** The error of a native-only build on a board without `require("crypto")` (ESP32 IDF4 builds). */
export const NO_NATIVE = 'no native crypto: build with --js-crypto';

/** `pad` xor the key zero-padded to 64 bytes (a read past its end is undefined, and undefined ^ pad is pad), then `data`. */
function keyBlock(k: Uint8Array, pad: number, data: Uint8Array): Uint8Array {
  const m = new Uint8Array(64 + data.length);
  for (let i = 64; i--; ) m[i] = k[i] ^ pad;
  m.set(data, 64);
  return m;
}

/** HMAC-SHA-256 (RFC 2104): H((K ^ opad) || H((K ^ ipad) || m)), keys over 64 bytes hashed first. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const k = key.length > 64 ? sha256(key) : key;
  const inner = keyBlock(k, 0x36, data);
  const ih = sha256(inner);
  const outer = keyBlock(k, 0x5c, ih);
  const mac = sha256(outer);
  if (k !== key) wipe(k);
  wipe(inner);
  wipe(ih);
  wipe(outer);
  return mac;
}

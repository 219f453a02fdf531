// AES-128 block encryption (FIPS 197). Only the forward cipher: CMAC and CCM need nothing else.
//
// The flashed bundle uses the board's native AES-ECB (plugged in by the HAL) and carries this portable
// cipher only when built with `--js-crypto` (see sha256.ts); the self-test keeps it as the oracle.
// Small: the S-box and one set of round tables are computed on first use from the field
// arithmetic (no 2 KB of constants in the bundle); when the HAL plugs in the board's native
// AES-ECB (setNativeAes128) the tables are never built at all.

import { wordBE } from './bytes';
import { NO_NATIVE } from './sha256';

/** Set by esbuild's define (esbuild.config.mjs `--js-crypto`); undefined on the host: portable on. */
declare const __JS_CRYPTO__: boolean | undefined;


let SBOX: Uint8Array | null = null;
// T[0..255] = column (2s, s, s, 3s) as a big-endian word; T[256*r + x] the same rotated right by 8r.
let T: Int32Array | null = null;

function buildTables(): void {
  const sbox = new Uint8Array(256);
  const t = new Int32Array(1024);
  // Walk the multiplicative group with generator 3 (p) and its inverse walk with 0xf6 (q = p^-1).
  let p = 1;
  let q = 1;
  do {
    p = (p ^ (p << 1) ^ (p & 0x80 ? 0x1b : 0)) & 255; // p * 3
    q ^= q << 1; // q / 3: multiply by 0xf6 step by step
    q ^= q << 2;
    q ^= q << 4;
    q &= 255;
    if (q & 0x80) q ^= 0x09;
    // affine transform of the inverse q (FIPS 197 5.1.1): the xor of q rotated by 0..4 bits,
    // as shifts in 16 bits folded back into 8, plus 0x63
    const x = q ^ (q << 1) ^ (q << 2) ^ (q << 3) ^ (q << 4);
    sbox[p] = (x ^ (x >> 8) ^ 0x63) & 255;
  } while (p !== 1);
  sbox[0] = 0x63;
  for (let i = 0; i < 256; i++) {
    const s = sbox[i];
    const s2 = ((s << 1) ^ (s & 0x80 ? 0x1b : 0)) & 255;
    let w = (s2 << 24) | (s << 16) | (s << 8) | (s2 ^ s);
    for (let k = 0; k < 1024; k += 256) {
      t[k + i] = w;
      w = (w >>> 8) | (w << 24);
    }
  }
  SBOX = sbox;
  T = t;
}

/** SubBytes of byte 0 of a, byte 1 of b, byte 2 of c, byte 3 of d, as one word (SubWord + ShiftRows). */
function sub(a: number, b: number, c: number, d: number): number {
  const s = SBOX as Uint8Array;
  return (s[a >>> 24] << 24) | (s[(b >>> 16) & 255] << 16) | (s[(c >>> 8) & 255] << 8) | s[d & 255];
}

/** The 44-word key schedule of a 16-byte key (FIPS 197 5.2). Wipe it when done with the key. */
function aes128ExpandKey(key: Uint8Array): Int32Array {
  if (!SBOX) buildTables();
  const rk = new Int32Array(44);
  for (let i = 0; i < 4; i++) rk[i] = wordBE(key, 4 * i);
  let rcon = 1;
  for (let i = 4; i < 44; i++) {
    let w = rk[i - 1];
    if (i % 4 === 0) {
      w = (w << 8) | (w >>> 24); // RotWord
      w = sub(w, w, w, w) ^ (rcon << 24);
      rcon = ((rcon << 1) ^ (rcon & 0x80 ? 0x1b : 0)) & 255;
    }
    rk[i] = rk[i - 4] ^ w;
  }
  return rk;
}

/** Encrypt one block with an expanded key (input and output may be the same array). */
function aes128EncryptWithSchedule(rk: Int32Array, input: Uint8Array, output: Uint8Array): void {
  const t = T as Int32Array;
  const x = new Int32Array(4);
  const y = new Int32Array(4);
  for (let i = 0; i < 4; i++) x[i] = wordBE(input, 4 * i) ^ rk[i];
  // Rounds 1..9: SubBytes + ShiftRows + MixColumns as table lookups, then AddRoundKey.
  for (let r = 4; r < 40; r += 4) {
    for (let i = 0; i < 4; i++) {
      y[i] = t[x[i] >>> 24] ^ t[256 + ((x[(i + 1) & 3] >>> 16) & 255)] ^ t[512 + ((x[(i + 2) & 3] >>> 8) & 255)] ^ t[768 + (x[(i + 3) & 3] & 255)] ^ rk[r + i];
    }
    x.set(y);
  }
  // Last round: no MixColumns.
  for (let i = 0; i < 4; i++) {
    const w = sub(x[i], x[(i + 1) & 3], x[(i + 2) & 3], x[(i + 3) & 3]) ^ rk[40 + i];
    output[4 * i] = w >>> 24;
    output[4 * i + 1] = w >>> 16;
    output[4 * i + 2] = w >>> 8;
    output[4 * i + 3] = w;
  }
}

let nativeAes128: ((key: Uint8Array, block: Uint8Array) => Uint8Array) | null = null;

/** Plug in (or, with null, remove) a native AES-128-ECB single-block encryption. */
export function setNativeAes128(fn: ((key: Uint8Array, block: Uint8Array) => Uint8Array) | null): void {
  nativeAes128 = fn;
}

/**
 * A block encryptor for one key (native when available): e(input, output) encrypts a block (output may
 * be input); e() with no block afterwards wipes the key schedule. CMAC and CCM use this so the key is
 * expanded once per message.
 */
export type Encryptor = (input?: Uint8Array, output?: Uint8Array) => void;

export function aes128Encryptor(key: Uint8Array): Encryptor {
  if (key.length !== 16) throw new Error('aes: length');
  const native = nativeAes128;
  if (native) return (input, output) => input && (output as Uint8Array).set(native(key, input));
  if (typeof __JS_CRYPTO__ === 'undefined' || __JS_CRYPTO__) return aes128PureEncryptor(key);
  throw new Error(NO_NATIVE);
}

/** The portable block encryptor (the self-test's oracle of the native one). */
export function aes128PureEncryptor(key: Uint8Array): Encryptor {
  const rk = aes128ExpandKey(key);
  return (input, output) => (input ? aes128EncryptWithSchedule(rk, input, output as Uint8Array) : rk.fill(0));
}

/** AES-128 encryption of one 16-byte block. */
export function aes128Encrypt(key: Uint8Array, block: Uint8Array): Uint8Array {
  if (block.length !== 16) throw new Error('aes: length');
  const e = aes128Encryptor(key);
  const out = new Uint8Array(16);
  e(block, out);
  e();
  return out;
}

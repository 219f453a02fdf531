// AES-128 block encryption (FIPS 197). Only the forward cipher: CMAC and CCM need nothing else.
//
// Small: the S-box and one set of round tables are computed on first use from the field
// arithmetic (no 2 KB of constants in the bundle); when the HAL plugs in the board's native
// AES-ECB (setNativeAes128) the tables are never built at all.

/** A block cipher bound to one key: encrypts 16 bytes from `input` into `output` (may be the same). */
export type BlockEncrypt = (input: Uint8Array, output: Uint8Array) => void;

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
    // affine transform of the inverse q (FIPS 197 5.1.1)
    const x = q ^ ((q << 1) | (q >> 7)) ^ ((q << 2) | (q >> 6)) ^ ((q << 3) | (q >> 5)) ^ ((q << 4) | (q >> 4));
    sbox[p] = (x ^ 0x63) & 255;
  } while (p !== 1);
  sbox[0] = 0x63;
  for (let i = 0; i < 256; i++) {
    const s = sbox[i];
    const s2 = ((s << 1) ^ (s & 0x80 ? 0x1b : 0)) & 255;
    const w = (s2 << 24) | (s << 16) | (s << 8) | (s2 ^ s);
    t[i] = w;
    t[256 + i] = (w >>> 8) | (w << 24);
    t[512 + i] = (w >>> 16) | (w << 16);
    t[768 + i] = (w >>> 24) | (w << 8);
  }
  SBOX = sbox;
  T = t;
}

/** The 44-word key schedule of a 16-byte key (FIPS 197 5.2). Wipe it when done with the key. */
export function aes128ExpandKey(key: Uint8Array): Int32Array {
  if (key.length !== 16) throw new Error('aes: key must be 16 bytes');
  if (!SBOX) buildTables();
  const s = SBOX as Uint8Array;
  const rk = new Int32Array(44);
  for (let i = 0; i < 4; i++) rk[i] = (key[4 * i] << 24) | (key[4 * i + 1] << 16) | (key[4 * i + 2] << 8) | key[4 * i + 3];
  let rcon = 1;
  for (let i = 4; i < 44; i++) {
    let w = rk[i - 1];
    if (i % 4 === 0) {
      w = ((s[(w >>> 16) & 255] << 24) | (s[(w >>> 8) & 255] << 16) | (s[w & 255] << 8) | s[w >>> 24]) ^ (rcon << 24);
      rcon = ((rcon << 1) ^ (rcon & 0x80 ? 0x1b : 0)) & 255;
    }
    rk[i] = rk[i - 4] ^ w;
  }
  return rk;
}

/** Encrypt one block with an expanded key. */
export function aes128EncryptWithSchedule(rk: Int32Array, input: Uint8Array, output: Uint8Array): void {
  const t = T as Int32Array;
  const s = SBOX as Uint8Array;
  let a = ((input[0] << 24) | (input[1] << 16) | (input[2] << 8) | input[3]) ^ rk[0];
  let b = ((input[4] << 24) | (input[5] << 16) | (input[6] << 8) | input[7]) ^ rk[1];
  let c = ((input[8] << 24) | (input[9] << 16) | (input[10] << 8) | input[11]) ^ rk[2];
  let d = ((input[12] << 24) | (input[13] << 16) | (input[14] << 8) | input[15]) ^ rk[3];
  let k = 4;
  for (let r = 1; r < 10; r++) {
    const a2 = t[a >>> 24] ^ t[256 + ((b >>> 16) & 255)] ^ t[512 + ((c >>> 8) & 255)] ^ t[768 + (d & 255)] ^ rk[k];
    const b2 = t[b >>> 24] ^ t[256 + ((c >>> 16) & 255)] ^ t[512 + ((d >>> 8) & 255)] ^ t[768 + (a & 255)] ^ rk[k + 1];
    const c2 = t[c >>> 24] ^ t[256 + ((d >>> 16) & 255)] ^ t[512 + ((a >>> 8) & 255)] ^ t[768 + (b & 255)] ^ rk[k + 2];
    d = t[d >>> 24] ^ t[256 + ((a >>> 16) & 255)] ^ t[512 + ((b >>> 8) & 255)] ^ t[768 + (c & 255)] ^ rk[k + 3];
    a = a2;
    b = b2;
    c = c2;
    k += 4;
  }
  // Last round: SubBytes + ShiftRows + AddRoundKey (no MixColumns).
  const cols = [a, b, c, d];
  for (let i = 0; i < 4; i++) {
    const w =
      ((s[cols[i] >>> 24] << 24) |
        (s[(cols[(i + 1) % 4] >>> 16) & 255] << 16) |
        (s[(cols[(i + 2) % 4] >>> 8) & 255] << 8) |
        s[cols[(i + 3) % 4] & 255]) ^
      rk[40 + i];
    output[4 * i] = w >>> 24;
    output[4 * i + 1] = (w >>> 16) & 255;
    output[4 * i + 2] = (w >>> 8) & 255;
    output[4 * i + 3] = w & 255;
  }
}

let nativeAes128: ((key: Uint8Array, block: Uint8Array) => Uint8Array) | null = null;

/** Plug in (or, with null, remove) a native AES-128-ECB single-block encryption. */
export function setNativeAes128(fn: ((key: Uint8Array, block: Uint8Array) => Uint8Array) | null): void {
  nativeAes128 = fn;
}

/**
 * A block encryptor for one key (native when available). Call `done()` afterwards to wipe the
 * key schedule. CMAC and CCM use this so the key is expanded once per message.
 */
export function aes128Encryptor(key: Uint8Array): { encrypt: BlockEncrypt; done: () => void } {
  if (key.length !== 16) throw new Error('aes: key must be 16 bytes');
  const native = nativeAes128;
  if (native) {
    return {
      encrypt: (input, output) => {
        output.set(native(key, input.length === 16 ? input : input.subarray(0, 16)));
      },
      done: () => {},
    };
  }
  const rk = aes128ExpandKey(key);
  return {
    encrypt: (input, output) => aes128EncryptWithSchedule(rk, input, output),
    done: () => {
      rk.fill(0);
    },
  };
}

/** AES-128 encryption of one 16-byte block. */
export function aes128Encrypt(key: Uint8Array, block: Uint8Array): Uint8Array {
  if (block.length !== 16) throw new Error('aes: block must be 16 bytes');
  const e = aes128Encryptor(key);
  const out = new Uint8Array(16);
  e.encrypt(block, out);
  e.done();
  return out;
}

// Byte-string helpers shared by the crypto modules. Espruino-safe: no spread, no Array.from,
// no TextEncoder; copies are made with `new Uint8Array(n)` + `set`, never typed-array `.slice()`.

/** Hex text: digits of either case, nothing else (the length is checked apart). */
export const HEX_DIGITS = /^[0-9a-fA-F]*$/;

/** Lower- or upper-case hex (even length, no separators) to bytes. Throws on malformed input. */
export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 || !HEX_DIGITS.test(hex)) throw new Error('bytes: bad hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = out.length; i--; ) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

/** The big-endian 32-bit word at b[i..i+3], as a signed int32 (AES and SHA-256 words). */
export function wordBE(b: Uint8Array, i: number): number {
  return (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
}

/** A non-negative integer below 2^53 as 8 big-endian bytes (arithmetic: exact beyond 2^32). */
export function u64BE(n: number): Uint8Array {
  const b = new Uint8Array(8);
  for (let i = 8; i--; ) {
    b[i] = n % 256;
    n = Math.floor(n / 256);
  }
  return b;
}

/** Bytes to lower-case hex. */
export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i] + 256).toString(16).substr(1);
  return s;
}

/** Concatenate a list of byte strings or plain byte arrays (an array, not rest parameters) into a new Uint8Array. */
export function concatBytes(list: ArrayLike<number>[]): Uint8Array {
  let n = 0, i;
  for (i = list.length; i--; ) n += list[i].length;
  const out = new Uint8Array(n);
  for (i = list.length; i--; ) out.set(list[i], (n -= list[i].length)); // from the end
  return out;
}

/**
 * Equality without an early exit: the time depends only on the lengths, never on where the
 * contents differ (use it for MICs, confirmations, MACs). Different lengths are unequal.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = a.length; i--; ) d |= a[i] ^ b[i];
  return !d;
}

/** Overwrite a secret with zeros (keys, seeds, intermediate MAC state). */
export function wipe(b: Uint8Array | null | undefined): void {
  if (b) b.fill(0);
}

/** A fresh copy (typed-array `.slice()` returns a plain Array on Espruino; the constructor copies). */
export function copyBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

/** Characters 0..255 of a binary string to bytes (higher code units keep their low 8 bits). */
export function binaryStringToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = s.length; i--; ) out[i] = s.charCodeAt(i); // stores keep the low 8 bits
  return out;
}

/** ASCII text to bytes (the same function: 7-bit text is a binary string). */
export const asciiToBytes = binaryStringToBytes;

/** Bytes to a binary string, one character per byte (in chunks: fromCharCode.apply has an argument limit). */
export function bytesToBinaryString(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 256) {
    const end = i + 256 < b.length ? i + 256 : b.length;
    const chunk: number[] = [];
    for (let j = i; j < end; j++) chunk.push(b[j]);
    s += String.fromCharCode.apply(null, chunk);
  }
  return s;
}

/** UTF-8 encoding of a JavaScript string (surrogate pairs combined; lone surrogates become U+FFFD). */
export function utf8ToBytes(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >> 11 === 27) {
      // a surrogate (0xd800..0xdfff): a high one (below 0xdc00) and a low one (0xdc00..0xdfff) make a pair
      const d = s.charCodeAt(i + 1); // NaN past the end (NaN >> 10 is 0)
      if (c < 0xdc00 && d >> 10 === 55) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    }
    // n continuation octets of 6 bits each; the lead octet is 0xc0, 0xe0 or 0xf0 with the top bits
    let n = c < 0x80 ? 0 : c < 0x800 ? 1 : c < 0x10000 ? 2 : 3;
    out.push(n ? ((0xff80 >> n) & 0xff) | (c >> (6 * n)) : c);
    while (n--) out.push(0x80 | ((c >> (6 * n)) & 63));
  }
  return new Uint8Array(out);
}

// Base64 (RFC 4648 §4, standard alphabet, with `=` padding) without btoa/atob, so it works on
// bytes and behaves the same on the host and the interpreter.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function base64Encode(bytes: Uint8Array): string {
  let s = '';
  const n = bytes.length;
  for (let i = 0; i < n; i += 3) {
    // 24 bits of the group (a read past the end is undefined, which a bitwise operator takes as 0), then
    // 4 characters, `=` for missing bytes
    const w = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    for (let j = 0; j < 4; j++) s += i + j <= n ? B64.charAt((w >> (18 - 6 * j)) & 63) : '=';
  }
  return s;
}

/**
 * Strict decoding: length a multiple of 4, only alphabet characters, `=` only as the last one or
 * two characters, unused bits zero (canonical). Anything else gives null. No whitespace allowed.
 */
export function base64Decode(str: string): Uint8Array | null {
  const n = str.length;
  if (n % 4) return null;
  // (an '=' second to last before another character is then inside the loop, and refused there)
  const pad = +(str.charAt(n - 1) === '=') + +(str.charAt(n - 2) === '=');
  const out = new Uint8Array((n / 4) * 3 - pad);
  // 6 bits in per character, a byte out whenever 8 are there (at most 12 are ever held)
  let w = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < n - pad; i++) {
    const d = B64.indexOf(str.charAt(i)); // '=' before the padding is not in the alphabet
    if (d < 0) return null;
    w = ((w << 6) | d) & 0xfff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = w >> bits;
    }
  }
  // canonical: the 2 or 4 bits a padded end leaves over are zero
  return w & ((1 << bits) - 1) ? null : out;
}

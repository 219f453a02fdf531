// Base64 (RFC 4648 §4, standard alphabet, with `=` padding) without btoa/atob, so it works on
// bytes and behaves the same on the host and the interpreter.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function base64Encode(bytes: Uint8Array): string {
  let s = '';
  const n = bytes.length;
  for (let i = 0; i < n; i += 3) {
    const b0 = bytes[i];
    const b1 = i + 1 < n ? bytes[i + 1] : 0;
    const b2 = i + 2 < n ? bytes[i + 2] : 0;
    s += B64.charAt(b0 >> 2) + B64.charAt(((b0 & 3) << 4) | (b1 >> 4));
    s += i + 1 < n ? B64.charAt(((b1 & 15) << 2) | (b2 >> 6)) : '=';
    s += i + 2 < n ? B64.charAt(b2 & 63) : '=';
  }
  return s;
}

/**
 * Strict decoding: length a multiple of 4, only alphabet characters, `=` only as the last one or
 * two characters, unused bits zero (canonical). Anything else gives null. No whitespace allowed.
 */
export function base64Decode(str: string): Uint8Array | null {
  if (str.length % 4) return null;
  let pad = 0;
  if (str.length && str.charAt(str.length - 1) === '=') pad = str.charAt(str.length - 2) === '=' ? 2 : 1;
  const out = new Uint8Array((str.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < str.length; i += 4) {
    const last = i + 4 === str.length;
    let w = 0;
    for (let j = 0; j < 4; j++) {
      const c = str.charAt(i + j);
      let d = 0;
      if (!(c === '=' && last && j >= 4 - pad)) {
        d = B64.indexOf(c);
        if (d < 0) return null;
      }
      w = (w << 6) | d;
    }
    if (last && pad === 2 && w & 0xffff) return null;
    if (last && pad === 1 && w & 0xff) return null;
    out[o++] = w >> 16;
    if (o < out.length) out[o++] = (w >> 8) & 255;
    if (o < out.length) out[o++] = w & 255;
  }
  return out;
}

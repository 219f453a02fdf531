// Base85 with the RFC 1924 alphabet, big-endian 32-bit groups to 5 characters (most significant
// digit first), as the encoded setup network's SSID uses it (wss-protocol.md §3.1). Input lengths
// are multiples of 4. Arithmetic stays on exact doubles below 2^32 (no bit operations on them).

const B85 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~';

export function base85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4) throw new Error('base85: bad length');
  let s = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let v = bytes[i] * 16777216 + bytes[i + 1] * 65536 + bytes[i + 2] * 256 + bytes[i + 3];
    let group = '';
    for (let j = 5; j--; ) {
      const d = v % 85;
      group = B85.charAt(d) + group;
      v = (v - d) / 85;
    }
    s += group;
  }
  return s;
}

/** The inverse: bytes, or null for a length not a multiple of 5, a foreign character or a group ≥ 2^32. */
export function base85Decode(str: string): Uint8Array | null {
  if (str.length % 5) return null;
  const out = new Uint8Array((str.length / 5) * 4);
  for (let i = 0; i < str.length; i += 5) {
    let v = 0;
    for (let j = 0; j < 5; j++) {
      const d = B85.indexOf(str.charAt(i + j));
      if (d < 0) return null;
      v = v * 85 + d;
    }
    if (v > 4294967295) return null;
    const o = (i / 5) * 4;
    for (let j = 3; j >= 0; j--) {
      const b = v % 256;
      out[o + j] = b;
      v = (v - b) / 256;
    }
  }
  return out;
}

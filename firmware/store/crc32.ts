/** CRC-32 (IEEE 802.3, reflected 0xEDB88320), used to detect torn or corrupt Storage records. */
let table: Int32Array | null = null;

function makeTable(): Int32Array {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
}

/** CRC-32 of a binary string (one byte per char), as an unsigned 32-bit number. */
export function crc32(s: string): number {
  if (!table) table = makeTable();
  let c = -1;
  for (let i = 0; i < s.length; i++) c = table[(c ^ s.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

// A minimal DER encoder (ITU-T X.690) for the certificates the manufacturing tool makes.
// Only what X.509 v3 with ECDSA P-256 needs: SEQUENCE/SET, INTEGER, OID, strings, times,
// BIT/OCTET STRING, BOOLEAN and context-specific tags.

export type Der = Uint8Array;

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | out.length, ...out];
}

export function tlv(tag: number, body: Uint8Array): Der {
  const len = lengthBytes(body.length);
  const out = new Uint8Array(1 + len.length + body.length);
  out[0] = tag;
  out.set(len, 1);
  out.set(body, 1 + len.length);
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const seq = (...items: Der[]): Der => tlv(0x30, concat(items));
export const set = (...items: Der[]): Der => tlv(0x31, concat(items));
export const ctx = (n: number, inner: Der, constructed = true): Der => tlv((constructed ? 0xa0 : 0x80) | n, inner);
export const bool = (v: boolean): Der => tlv(0x01, Uint8Array.of(v ? 0xff : 0x00));
export const octets = (b: Uint8Array): Der => tlv(0x04, b);
export const bits = (b: Uint8Array, unused = 0): Der => tlv(0x03, concat([Uint8Array.of(unused), b]));
export const utf8 = (s: string): Der => tlv(0x0c, new TextEncoder().encode(s));
export const printable = (s: string): Der => tlv(0x13, new TextEncoder().encode(s));

/** A non-negative INTEGER from big-endian magnitude bytes (leading zeros trimmed, sign byte added). */
export function uint(b: Uint8Array): Der {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const body = b.subarray(i);
  return tlv(0x02, body[0] & 0x80 ? concat([Uint8Array.of(0), body]) : body);
}

export const int = (n: number): Der => uint(Uint8Array.of((n >> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff));

export function oid(dotted: string): Der {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [arcs[0] * 40 + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    let v = Math.floor(arc / 128);
    while (v > 0) {
      chunk.unshift(0x80 | (v & 0x7f));
      v = Math.floor(v / 128);
    }
    out.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(out));
}

/** UTCTime for years 1950–2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
export function time(d: Date): Der {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const y = d.getUTCFullYear();
  const rest = p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes()) + p(d.getUTCSeconds()) + 'Z';
  if (y < 2050) return tlv(0x17, new TextEncoder().encode(p(y % 100) + rest));
  return tlv(0x18, new TextEncoder().encode(p(y, 4) + rest));
}

/** Read one TLV at `offset`: tag, header length, body length. Used to split concatenated DER. */
export function readTlv(buf: Uint8Array, offset: number): { tag: number; header: number; length: number } {
  if (offset + 2 > buf.length) throw new Error('DER: truncated header');
  const tag = buf[offset];
  let len = buf[offset + 1];
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || offset + 2 + n > buf.length) throw new Error('DER: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[offset + 2 + i];
    header += n;
  }
  if (offset + header + len > buf.length) throw new Error('DER: truncated body');
  return { tag, header, length: len };
}

/** Split concatenated DER SEQUENCEs (a certificate chain file) into the individual encodings. */
export function splitDer(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  while (o < buf.length) {
    const t = readTlv(buf, o);
    if (t.tag !== 0x30) throw new Error('DER: expected SEQUENCE at offset ' + o);
    out.push(buf.slice(o, o + t.header + t.length));
    o += t.header + t.length;
  }
  return out;
}

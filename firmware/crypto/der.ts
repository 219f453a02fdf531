// The few DER structures P-256 needs (ITU-T X.690 DER; strict: definite minimal lengths, minimal
// non-negative INTEGERs, no trailing bytes):
//  * ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }      (SEC 1 v2 C.5, RFC 3279 2.2.3)
//  * SubjectPublicKeyInfo for id-ecPublicKey / prime256v1, uncompressed point (RFC 5480), 91 bytes
//  * PKCS#8 PrivateKeyInfo (RFC 5208/5958) wrapping an ECPrivateKey, or a bare ECPrivateKey
//    (SEC 1 v2 C.4, RFC 5915), as `openssl` and Node's KeyObject.export produce them.

/** SPKI header: SEQUENCE { SEQUENCE { OID 1.2.840.10045.2.1, OID 1.2.840.10045.3.1.7 }, BIT STRING (66) 00 04 */
const SPKI_HEAD = [0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04];
/** OID bodies: id-ecPublicKey and prime256v1 (secp256r1). */
const OID_EC = '2a8648ce3d0201';
const OID_P256 = '2a8648ce3d030107';

/** A parsed TLV: tag, start of contents, end of contents. */
interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/** Read one TLV at b[off] that must end by `limit`; null when malformed or not minimal DER. */
function tlv(b: Uint8Array, off: number, limit: number): Tlv | null {
  if (off + 2 > limit) return null;
  const tag = b[off];
  let len = b[off + 1];
  let start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 2 || start + n > limit) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i];
    start += n;
    if (len < 0x80 || (n === 2 && len < 0x100)) return null; // not the minimal length form
  }
  if (start + len > limit) return null;
  return { tag: tag, start: start, end: start + len };
}

function hexOf(b: Uint8Array, t: Tlv): string {
  let s = '';
  for (let i = t.start; i < t.end; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
  return s;
}

/**
 * A DER INTEGER at b[off] holding a non-negative value of at most 32 bytes, written into out (32 bytes
 * big-endian). Returns the offset after it, or -1.
 */
function readUint256(b: Uint8Array, off: number, limit: number, out: Uint8Array): number {
  const t = tlv(b, off, limit);
  if (!t || t.tag !== 0x02 || t.end === t.start) return -1;
  let s = t.start;
  if (b[s] & 0x80) return -1; // negative
  if (b[s] === 0 && t.end - s > 1) {
    if (!(b[s + 1] & 0x80)) return -1; // non-minimal leading zero
    s++;
  }
  const n = t.end - s;
  if (n > 32) return -1;
  out.fill(0);
  for (let i = 0; i < n; i++) out[32 - n + i] = b[s + i];
  return t.end;
}

/** Parse ECDSA-Sig-Value into r, s (32 bytes each); null when not strict DER. Range checks are the caller's. */
export function derDecodeSignature(sig: Uint8Array): Uint8Array[] | null {
  const seq = tlv(sig, 0, sig.length);
  if (!seq || seq.tag !== 0x30 || seq.end !== sig.length) return null;
  const r = new Uint8Array(32);
  const s = new Uint8Array(32);
  let off = readUint256(sig, seq.start, seq.end, r);
  if (off < 0) return null;
  off = readUint256(sig, off, seq.end, s);
  if (off !== seq.end) return null;
  return [r, s];
}

function encodeInt(v: Uint8Array): number[] {
  let i = 0;
  while (i < 31 && v[i] === 0) i++;
  const out = [0x02, 0];
  if (v[i] & 0x80) out.push(0);
  for (; i < 32; i++) out.push(v[i]);
  out[1] = out.length - 2;
  return out;
}

/** DER ECDSA-Sig-Value from r, s (32 bytes big-endian each). */
export function derEncodeSignature(r: Uint8Array, s: Uint8Array): Uint8Array {
  const body = encodeInt(r).concat(encodeInt(s));
  const out = new Uint8Array(body.length + 2);
  out[0] = 0x30;
  out[1] = body.length;
  out.set(body, 2);
  return out;
}

/** The 91-byte SubjectPublicKeyInfo of a raw 64-byte X||Y key. */
export function spkiEncode(pub64: Uint8Array): Uint8Array {
  const out = new Uint8Array(91);
  out.set(SPKI_HEAD, 0);
  out.set(pub64, 27);
  return out;
}

/** X||Y from a 91-byte P-256 SubjectPublicKeyInfo (header checked byte for byte), or null. */
export function spkiDecode(der: Uint8Array): Uint8Array | null {
  if (der.length !== 91) return null;
  for (let i = 0; i < SPKI_HEAD.length; i++) if (der[i] !== SPKI_HEAD[i]) return null;
  return new Uint8Array(der.subarray(27, 91));
}

/** ECPrivateKey (SEC 1 C.4) at t: version 1, privateKey OCTET STRING (32), optional [0] params, [1] key. */
function ecPrivateKey(b: Uint8Array, t: Tlv): Uint8Array | null {
  if (t.tag !== 0x30) return null;
  const ver = tlv(b, t.start, t.end);
  if (!ver || ver.tag !== 0x02 || hexOf(b, ver) !== '01') return null;
  const key = tlv(b, ver.end, t.end);
  if (!key || key.tag !== 0x04 || key.end - key.start !== 32) return null;
  let off = key.end;
  while (off < t.end) {
    const f = tlv(b, off, t.end);
    if (!f) return null;
    if (f.tag === 0xa0) {
      const oid = tlv(b, f.start, f.end);
      if (!oid || oid.tag !== 0x06 || oid.end !== f.end || hexOf(b, oid) !== OID_P256) return null;
    } else if (f.tag !== 0xa1) return null;
    off = f.end;
  }
  return new Uint8Array(b.subarray(key.start, key.end));
}

/**
 * The 32-byte private scalar from PKCS#8 PrivateKeyInfo (id-ecPublicKey, prime256v1) or SEC 1
 * ECPrivateKey DER; null when malformed or for another curve. The caller range-checks the scalar.
 */
export function privateKeyDecode(der: Uint8Array): Uint8Array | null {
  const top = tlv(der, 0, der.length);
  if (!top || top.tag !== 0x30 || top.end !== der.length) return null;
  const ver = tlv(der, top.start, top.end);
  if (!ver || ver.tag !== 0x02) return null;
  const v = hexOf(der, ver);
  const alg = tlv(der, ver.end, top.end);
  if (!alg) return null;
  if (alg.tag === 0x04) return ecPrivateKey(der, top); // SEC 1: version 1, then the key
  // PKCS#8 (v1 = 0, or RFC 5958 v2 = 1): AlgorithmIdentifier, OCTET STRING { ECPrivateKey }, optional rest
  if ((v !== '00' && v !== '01') || alg.tag !== 0x30) return null;
  const oid1 = tlv(der, alg.start, alg.end);
  if (!oid1 || oid1.tag !== 0x06 || hexOf(der, oid1) !== OID_EC) return null;
  const oid2 = tlv(der, oid1.end, alg.end);
  if (!oid2 || oid2.tag !== 0x06 || oid2.end !== alg.end || hexOf(der, oid2) !== OID_P256) return null;
  const oct = tlv(der, alg.end, top.end);
  if (!oct || oct.tag !== 0x04) return null;
  const inner = tlv(der, oct.start, oct.end);
  if (!inner || inner.end !== oct.end) return null;
  return ecPrivateKey(der, inner);
}

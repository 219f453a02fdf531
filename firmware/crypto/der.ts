// The few DER structures P-256 needs (ITU-T X.690 DER, strict: minimal definite lengths, minimal
// non-negative INTEGERs, nothing trailing):
//  * ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }         (SEC 1 v2 C.5, RFC 3279 2.2.3)
//  * SubjectPublicKeyInfo, id-ecPublicKey + prime256v1, uncompressed point (RFC 5480): 91 bytes
//  * PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5208, RFC 5958) around an ECPrivateKey, or a bare
//    ECPrivateKey (SEC 1 v2 C.4, RFC 5915), as openssl and Node's KeyObject.export write them.
import { bytesToHex, hexToBytes } from './bytes';

/** SPKI up to the point: SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 00 04 ... } } */
export const SPKI_HEAD = '3059301306072a8648ce3d020106082a8648ce3d030107034200';
/** AlgorithmIdentifier { id-ecPublicKey (1.2.840.10045.2.1), prime256v1 (1.2.840.10045.3.1.7) } */
const ALG = SPKI_HEAD.substr(4, 42);
/** [0] { prime256v1 } (SEC 1 ECParameters, named curve) */
const PARAMS = 'a00a' + SPKI_HEAD.substr(26, 20);

/** Hex of b[s..e) (DER headers are compared as hex). */
function hexOf(b: Uint8Array, s: number, e: number): string {
  return bytesToHex(b.subarray(s, e));
}

/** [tag, start of contents, end of contents] of the TLV at b[o] (ending by lim), or null. */
function tlv(b: Uint8Array, o: number, lim: number): number[] | null {
  let len = b[o + 1];
  let s = o + 2;
  if (len === 0x81) {
    len = b[s++];
    if (len < 0x80) return null; // not minimal
  } else if (len >= 0x80) return null; // indefinite or longer forms: never needed here
  return s + len <= lim && o + 2 <= lim ? [b[o], s, s + len] : null;
}

/** A DER INTEGER at b[o] with a non-negative value below 2^256 into out (32 bytes); offset after it or -1. */
function uint(b: Uint8Array, o: number, lim: number, out: Uint8Array): number {
  const t = tlv(b, o, lim);
  if (!t || t[0] !== 2 || t[2] === t[1] || b[t[1]] & 0x80) return -1; // missing, empty or negative
  let s = t[1];
  if (b[s] === 0 && t[2] - s > 1 && !(b[++s] & 0x80)) return -1; // non-minimal leading zero
  const n = t[2] - s;
  if (n > 32) return -1;
  out.set(b.subarray(s, t[2]), 32 - n);
  return t[2];
}

/** [r, s] (32 bytes each) from a strict-DER ECDSA signature, or null. Range checks are the caller's. */
export function derDecodeSignature(sig: Uint8Array): Uint8Array[] | null {
  const q = tlv(sig, 0, sig.length);
  const r = new Uint8Array(32);
  const s = new Uint8Array(32);
  if (!q || q[0] !== 0x30 || q[2] !== sig.length) return null;
  const o = uint(sig, q[1], q[2], r);
  return o > 0 && uint(sig, o, q[2], s) === q[2] ? [r, s] : null;
}

function int(v: Uint8Array): number[] {
  let i = 0;
  while (i < 31 && !v[i]) i++;
  const out = [2, 0];
  if (v[i] & 0x80) out.push(0);
  for (; i < 32; i++) out.push(v[i]);
  out[1] = out.length - 2;
  return out;
}

/** DER ECDSA-Sig-Value of r, s (32 bytes big-endian each). */
export function derEncodeSignature(r: Uint8Array, s: Uint8Array): Uint8Array {
  const body = [0x30, 0].concat(int(r), int(s));
  body[1] = body.length - 2;
  return new Uint8Array(body);
}

/** The 91-byte SubjectPublicKeyInfo of X||Y. */
export function spkiEncode(pub64: Uint8Array): Uint8Array {
  const out = new Uint8Array(91);
  out.set(hexToBytes(SPKI_HEAD + '04'));
  out.set(pub64, 27);
  return out;
}

/** X||Y from a 91-byte P-256 SubjectPublicKeyInfo (header compared byte for byte), or null. */
export function spkiDecode(der: Uint8Array): Uint8Array | null {
  return der.length === 91 && hexOf(der, 0, 27) === SPKI_HEAD + '04' ? new Uint8Array(der.subarray(27)) : null;
}

/** The 32-byte private scalar of a PKCS#8 (P-256) or SEC 1 DER key, or null. The caller range-checks it. */
export function privateKeyDecode(der: Uint8Array): Uint8Array | null {
  let t = tlv(der, 0, der.length);
  if (!t || t[0] !== 0x30 || t[2] !== der.length) return null;
  const ver = tlv(der, t[1], t[2]);
  const alg = ver && tlv(der, ver[2], t[2]); // SEC 1: the key (an OCTET STRING) comes second
  if (!alg) return null;
  if (alg[0] !== 4) {
    // PKCS#8 (version 0, as openssl and Node write it): AlgorithmIdentifier, OCTET STRING { ECPrivateKey }
    const oct = tlv(der, alg[2], t[2]);
    if (hexOf(der, t[1], alg[2]) !== '020100' + ALG || !oct || oct[0] !== 4) return null;
    t = tlv(der, oct[1], oct[2]);
    if (!t || t[0] !== 0x30 || t[2] !== oct[2]) return null;
  }
  // ECPrivateKey (SEC 1 C.4) spanning t: version 1, privateKey OCTET STRING (32), then [0] P-256 and [1] key
  let f = tlv(der, t[1], t[2]);
  if (!f || hexOf(der, t[1], f[2]) !== '020101') return null;
  const key = tlv(der, f[2], t[2]);
  if (!key || hexOf(der, key[1] - 2, key[1]) !== '0420') return null;
  for (let o = key[2]; o < t[2]; o = f[2]) {
    f = tlv(der, o, t[2]);
    if (!f || (f[0] !== 0xa1 && hexOf(der, o, f[2]) !== PARAMS)) return null;
  }
  return new Uint8Array(der.subarray(key[1], key[2]));
}

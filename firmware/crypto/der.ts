// The few DER structures P-256 needs (ITU-T X.690 DER, strict: minimal definite lengths, minimal
// non-negative INTEGERs, nothing trailing):
//  * ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }         (SEC 1 v2 C.5, RFC 3279 2.2.3)
//  * SubjectPublicKeyInfo, id-ecPublicKey + prime256v1, uncompressed point (RFC 5480): 91 bytes
//  * PKCS#8 PrivateKeyInfo (RFC 5208, RFC 5958) around an ECPrivateKey (SEC 1 v2 C.4, RFC 5915) with
//    its public key, in the one 138-byte layout the flash tool writes (flash/keys.ts: Node's
//    KeyObject.export, whatever format the maker's key came in): the device parses only its own file.
import { bytesToHex, hexToBytes } from './bytes';

/** SPKI up to the point: SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 00 04 ... } } */
export const SPKI_HEAD = '3059301306072a8648ce3d020106082a8648ce3d030107034200';
/** AlgorithmIdentifier { id-ecPublicKey (1.2.840.10045.2.1), prime256v1 (1.2.840.10045.3.1.7) } */
const ALG = SPKI_HEAD.substr(4, 42);

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

/**
 * PKCS#8 up to the scalar: SEQUENCE(135) { INTEGER 0, AlgorithmIdentifier, OCTET STRING(109) {
 * ECPrivateKey SEQUENCE(107) { INTEGER 1, OCTET STRING(32) } } }; after the 32 bytes, [1] { BIT STRING
 * { 00 04 X Y } } to the end (138 bytes in all).
 */
const PKCS8_HEAD = '308187020100' + ALG + '046d306b0201010420';

/** The 32-byte private scalar of a P-256 PKCS#8 key in the flash tool's layout, or null. The caller range-checks it. */
export function privateKeyDecode(der: Uint8Array): Uint8Array | null {
  return der.length === 138 && hexOf(der, 0, 36) === PKCS8_HEAD && hexOf(der, 68, 74) === 'a14403420004' ? new Uint8Array(der.subarray(36, 68)) : null;
}

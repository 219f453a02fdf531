// The few DER structures P-256 needs (ITU-T X.690 DER, strict: minimal definite lengths, minimal
// non-negative INTEGERs, nothing trailing):
//  * ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }         (SEC 1 v2 C.5, RFC 3279 2.2.3)
//  * SubjectPublicKeyInfo, id-ecPublicKey + prime256v1, uncompressed point (RFC 5480): 91 bytes
//  * PKCS#8 PrivateKeyInfo (RFC 5208, RFC 5958) around an ECPrivateKey (SEC 1 v2 C.4, RFC 5915) with
//    its public key, in the one 138-byte layout the flash tool writes (flash/keys.ts: Node's
//    KeyObject.export, whatever format the maker's key came in): the device parses only its own file.
import { base64Decode, base64Encode } from './base64';

/**
 * SPKI up to the point, 27 bytes: SEQUENCE { SEQUENCE { id-ecPublicKey (1.2.840.10045.2.1), prime256v1
 * (1.2.840.10045.3.1.7) }, BIT STRING { 00 04 ... } }. Headers are given and compared as base64 (shorter
 * literals than hex; each is a multiple of 3 bytes, so equal text is equal bytes).
 */
export const SPKI_HEAD = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE';

/** Base64 of b[s..e). */
export function b64Of(b: Uint8Array, s: number, e: number): string {
  return base64Encode(b.subarray(s, e));
}

/**
 * [r, s] (32 bytes each) from a strict-DER ECDSA signature, or null. Range checks are the caller's.
 * Short-form lengths only: a P-256 signature is at most 72 bytes, so a long form is never minimal.
 */
export function derDecodeSignature(sig: Uint8Array): Uint8Array[] | null {
  const n = sig.length;
  const rs: Uint8Array[] = [];
  let o = 2, s, l, v;
  // SEQUENCE whose contents end exactly at the end
  if (sig[0] !== 0x30 || sig[1] !== n - 2) return null;
  while (rs.length < 2) {
    // INTEGER: non-empty, inside, non-negative, minimal (a leading zero only before a high bit), below 2^256
    l = sig[o + 1];
    s = o + 2;
    if (sig[o] !== 2 || !l || (o = s + l) > n || sig[s] & 0x80) return null;
    if (!sig[s] && l > 1 && !(sig[++s] & 0x80)) return null;
    if (o - s > 32) return null;
    rs.push((v = new Uint8Array(32)));
    v.set(sig.subarray(s, o), 32 - o + s);
  }
  return o === n ? rs : null;
}

/** DER ECDSA-Sig-Value of r, s (32 bytes big-endian each). */
export function derEncodeSignature(r: Uint8Array, s: Uint8Array): Uint8Array {
  const out = [0x30, 0];
  let k, i, v;
  for (k = 0; k < 2; k++) {
    v = k ? s : r;
    i = 0;
    while (i < 31 && !v[i]) i++;
    out.push(2, 32 - i + (v[i] >> 7)); // minimal, with a zero before a high bit
    if (v[i] > 127) out.push(0);
    while (i < 32) out.push(v[i++]);
  }
  out[1] = out.length - 2;
  return new Uint8Array(out);
}

/** The 91-byte SubjectPublicKeyInfo of X||Y. */
export function spkiEncode(pub64: Uint8Array): Uint8Array {
  const out = new Uint8Array(91);
  out.set(base64Decode(SPKI_HEAD) as Uint8Array);
  out.set(pub64, 27);
  return out;
}

// The decoders of SPKI (91 bytes, header compared byte for byte, then X||Y) and of the flash tool's
// PKCS#8 layout (138 bytes: bytes 0..35 SEQUENCE(135) { INTEGER 0, AlgorithmIdentifier (as in
// SPKI_HEAD), OCTET STRING(109) { ECPrivateKey SEQUENCE(107) { INTEGER 1, OCTET STRING(32) } } };
// 36..67 the scalar (never turned into text); 68..73 [1] { BIT STRING { 00 04 }, then X Y to the
// end) are in p256.ts, next to the key checks they end with.

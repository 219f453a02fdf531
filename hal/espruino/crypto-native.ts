// Espruino's native `crypto` module (IDF5 builds; IDF4 builds lack it): detected when this module
// loads, before anything hashes, and plugged into firmware/crypto only after a known-answer test. The
// flashed bundle relies on it: its portable SHA-256/AES are built in only with `--js-crypto` (boards
// without the module), where a missing or broken native path falls back to them.
import type { Bytes } from '../types';
import { setNativeSha256 } from '../../firmware/crypto/sha256';
import { setNativeAes128 } from '../../firmware/crypto/aes';
import { asciiToBytes } from '../../firmware/crypto/bytes';
import { base64Encode } from '../../firmware/crypto/base64';

let found: { sha256: boolean; aes: boolean } | null = null;
let nativeSha: ((d: Bytes) => Bytes) | null = null;
let nativeAes: ((key: Bytes, block: Bytes) => Bytes) | null = null;

/** The native single-block AES-128 encryption, when detected. */
export function nativeAes128(): ((key: Bytes, block: Bytes) => Bytes) | null {
  return nativeAes;
}

/**
 * Detect `require("crypto")` once and plug its SHA-256 / AES-ECB into firmware/crypto when they pass
 * their known-answer tests (again at every call: the self-test plugs the portable ones in between).
 * A missing module, a missing or throwing function and a wrong answer all leave the portable path.
 */
export function detectNativeCrypto(): { sha256: boolean; aes: boolean } {
  if (!found) {
    let c: any;
    try {
      c = require('crypto'); // IDF4 builds: "Module crypto not found" (then the AES test below throws too)
      const sha = (d: Bytes): Bytes => new Uint8Array(c.SHA256(d));
      // FIPS 180-4 example: SHA-256("abc") = ba7816bf...f20015ad (in base64: shorter)
      if (base64Encode(sha(asciiToBytes('abc'))) === 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=') nativeSha = sha;
    } catch (e) {
      // missing or throwing: nativeSha stays null (it is set only after the answer matched)
    }
    try {
      const ecb = { mode: 'ECB' };
      const aes = (key: Bytes, block: Bytes): Bytes => new Uint8Array(c.AES.encrypt(block, key, ecb));
      // FIPS 197 Appendix C.1: key 000102..0f, plaintext 001122..ff, ciphertext 69c4e0d8...70b4c55a
      const key = new Uint8Array(16);
      const block = new Uint8Array(16);
      for (let i = 16; i--; ) block[i] = 17 * (key[i] = i);
      if (base64Encode(aes(key, block)) === 'acTg2Gp7BDDYzbeAcLTFWg==') nativeAes = aes;
    } catch (e) {
      // the same for nativeAes
    }
    found = { sha256: !!nativeSha, aes: !!nativeAes };
  }
  if (nativeSha) setNativeSha256(nativeSha);
  if (nativeAes) setNativeAes128(nativeAes);
  return found;
}

// At load: the firmware's first hash (the boot-counter record) is already the board's.
detectNativeCrypto();

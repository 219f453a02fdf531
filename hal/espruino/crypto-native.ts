// Espruino's native `crypto` module (IDF5 builds; IDF4 builds lack it): detected once and plugged
// into firmware/crypto only after a known-answer test, so a broken or missing native path falls back
// to the pure-TypeScript one, which is tested the same way.
import type { Bytes } from '../types';
import { setNativeSha256 } from '../../firmware/crypto/sha256';
import { setNativeAes128 } from '../../firmware/crypto/aes';
import { asciiToBytes } from '../../firmware/crypto/bytes';
import { base64Encode } from '../../firmware/crypto/base64';

let nativeChecked = false;
let nativeSha = false;
let nativeAes: ((key: Bytes, block: Bytes) => Bytes) | null = null;

/** The native single-block AES-128 encryption, when detected. */
export function nativeAes128(): ((key: Bytes, block: Bytes) => Bytes) | null {
  return nativeAes;
}

/** Detect `require("crypto")` once and plug its SHA-256 / AES-ECB into firmware/crypto when they pass. */
export function detectNativeCrypto(): { sha256: boolean; aes: boolean } {
  if (!nativeChecked) {
    nativeChecked = true;
    let c: any = null;
    try {
      c = require('crypto');
    } catch (e) {
      c = null; // IDF4 builds: "Module crypto not found"
    }
    if (c && typeof c.SHA256 === 'function') {
      const fn = (d: Bytes): Bytes => new Uint8Array(c.SHA256(d));
      try {
        // FIPS 180-4 example: SHA-256("abc") = ba7816bf...f20015ad (in base64: shorter)
        if (base64Encode(fn(asciiToBytes('abc'))) === 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=') {
          setNativeSha256(fn);
          nativeSha = true;
        }
      } catch (e) {
        nativeSha = false;
      }
    }
    if (c && c.AES && typeof c.AES.encrypt === 'function') {
      const ecb = { mode: 'ECB' };
      const fn = (key: Bytes, block: Bytes): Bytes => new Uint8Array(c.AES.encrypt(block, key, ecb));
      try {
        // FIPS 197 Appendix C.1: key 000102..0f, plaintext 001122..ff, ciphertext 69c4e0d8...70b4c55a
        const key = new Uint8Array(16);
        const block = new Uint8Array(16);
        for (let i = 0; i < 16; i++) block[i] = 17 * (key[i] = i);
        if (base64Encode(fn(key, block)) === 'acTg2Gp7BDDYzbeAcLTFWg==') {
          setNativeAes128(fn);
          nativeAes = fn;
        }
      } catch (e) {
        nativeAes = null;
      }
    }
  }
  return { sha256: nativeSha, aes: nativeAes !== null };
}


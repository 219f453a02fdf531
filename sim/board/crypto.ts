// The emulated Espruino `crypto` module (libs/crypto/jswrap_crypto.c, 2v29), backed by Node's crypto.
//
// Same names and behaviour as the firmware, including its rough edges:
//  - SHA1/SHA224/SHA256/SHA384/SHA512(message) return an ArrayBuffer; the ESP32 IDF5 build has no
//    SHA512 (profile 'esp32-idf5', the default); the IDF4 build has no crypto module at all
//    (do not register the module for that profile: require('crypto') then fails like on the board).
//  - PBKDF2(pass, salt, {keySize /*32-bit words, default 4*/, iterations /*default 1*/, hasher /*'SHA1'*/}).
//  - AES.encrypt/decrypt(message, key, {iv, mode}) with mode CBC (default), CFB (CFB-8), CTR, ECB; no
//    padding. CTR ignores the iv (the firmware zeroes its nonce counter). OFB is listed but not
//    implemented: "Feature unavailable". ECB leaves a trailing partial block as zeros; CBC needs a
//    multiple of 16 ("Invalid input length"). Those errors are printed (jsError) and the call returns
//    undefined, as on the board; unknown modes/hashers throw (jsExceptionHere).
//    CTR/CFB decryption on ESP32 uses the hardware AES, so it is the inverse of encryption (a
//    software mbedTLS build would differ; not emulated).
// Values handed into the vm are the vm realm's ArrayBuffer, so `instanceof` behaves as on the device.
import { createHash, createCipheriv, createDecipheriv, pbkdf2Sync } from 'node:crypto';

export type CryptoProfile = 'esp32-idf5' | 'full';

/** What this module needs of the Board (sim/ARCHITECTURE.md). */
export interface CryptoBoardLike {
  realm: { Uint8Array: Uint8ArrayConstructor; ArrayBuffer: ArrayBufferConstructor; Error: ErrorConstructor };
  /** Print a console line of the board (Espruino's jsError output). */
  print?: (line: string) => void;
  console?: string[];
}

const tagOf = (v: unknown) => Object.prototype.toString.call(v);

/** Espruino's JSV_GET_AS_CHAR_ARRAY: strings (8-bit), typed arrays, ArrayBuffers, arrays of numbers. */
export function toHostBytes(v: unknown): Buffer | null {
  if (typeof v === 'string') return Buffer.from(v, 'latin1');
  if (ArrayBuffer.isView(v)) return Buffer.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  if (tagOf(v) === '[object ArrayBuffer]') return Buffer.from(new Uint8Array(v as ArrayBuffer));
  if (Array.isArray(v)) return Buffer.from(v.map((x) => Number(x) & 255));
  if (typeof v === 'number') return Buffer.from([v & 255]);
  return null;
}

export function makeCryptoModule(profile: CryptoProfile = 'esp32-idf5') {
  const hashes: Record<string, string> = { SHA1: 'sha1', SHA224: 'sha224', SHA256: 'sha256', SHA384: 'sha384' };
  if (profile === 'full') hashes.SHA512 = 'sha512';

  return (board: CryptoBoardLike) => {
    const realm = board.realm;
    const out = (b: Uint8Array): ArrayBuffer => {
      const ab = new realm.ArrayBuffer(b.length);
      new realm.Uint8Array(ab).set(b);
      return ab;
    };
    const jsError = (msg: string): undefined => {
      const line = 'ERROR: ' + msg;
      if (board.print) board.print(line);
      else if (board.console) board.console.push(line);
      return undefined;
    };
    const exception = (msg: string) => new realm.Error(msg);
    const input = (v: unknown, what: string): Buffer => {
      const b = toHostBytes(v);
      if (!b) throw exception('sim: crypto ' + what + ' of this type is not emulated');
      return b;
    };

    const mod: Record<string, unknown> = {};
    for (const name of Object.keys(hashes)) {
      mod[name] = (message: unknown) => out(createHash(hashes[name]).update(input(message, 'message')).digest());
    }

    mod.PBKDF2 = (pass: unknown, salt: unknown, options?: { keySize?: number; iterations?: number; hasher?: string }) => {
      let keySize = 4;
      let iterations = 1;
      let hasher = 'SHA1';
      if (options !== null && typeof options === 'object') {
        keySize = Math.trunc(Number(options.keySize) || 0);
        if (keySize <= 0) keySize = 4;
        iterations = Math.trunc(Number(options.iterations) || 0);
        if (iterations < 1) iterations = 1;
        if (options.hasher !== undefined) hasher = String(options.hasher);
      } else if (options !== undefined) {
        jsError('Options should be an object or undefined, got ' + typeof options);
      }
      if (!hashes[hasher]) throw exception('Unknown Hasher "' + hasher + '"');
      return out(pbkdf2Sync(input(pass, 'passphrase'), input(salt, 'salt'), iterations, keySize * 4, hashes[hasher]));
    };

    const aes = (message: unknown, key: unknown, options: { iv?: unknown; mode?: unknown } | undefined, encrypt: boolean) => {
      const iv = Buffer.alloc(16);
      let mode = 'CBC';
      if (options !== null && typeof options === 'object') {
        if (options.iv !== undefined && options.iv !== null) {
          const b = input(options.iv, 'iv');
          b.copy(iv, 0, 0, Math.min(16, b.length));
        }
        if (options.mode !== undefined) {
          mode = String(options.mode);
          if (['CBC', 'CFB', 'CTR', 'OFB', 'ECB'].indexOf(mode) < 0) throw exception('Unknown Crypto mode "' + mode + '"');
        }
      } else if (options !== undefined) {
        return jsError("'options' must be undefined, or an Object");
      }
      const msg = input(message, 'message');
      const k = input(key, 'key');
      if (k.length !== 16 && k.length !== 24 && k.length !== 32) return jsError('Unknown error: -0x20');
      const bits = k.length * 8;
      const run = (alg: string, ivUsed: Buffer | null, data: Buffer, enc: boolean): Buffer => {
        const c = enc ? createCipheriv(alg, k, ivUsed) : createDecipheriv(alg, k, ivUsed);
        c.setAutoPadding(false);
        return Buffer.concat([c.update(data), c.final()]);
      };
      const result = Buffer.alloc(msg.length);
      if (mode === 'CBC') {
        if (msg.length % 16) return jsError('Invalid input length');
        run('aes-' + bits + '-cbc', iv, msg, encrypt).copy(result);
      } else if (mode === 'CFB') {
        run('aes-' + bits + '-cfb8', iv, msg, encrypt).copy(result);
      } else if (mode === 'CTR') {
        // the firmware zeroes the nonce counter: the iv option is ignored
        run('aes-' + bits + '-ctr', Buffer.alloc(16), msg, true).copy(result);
      } else if (mode === 'ECB') {
        const whole = msg.length - (msg.length % 16);
        if (whole) run('aes-' + bits + '-ecb', null, msg.subarray(0, whole), encrypt).copy(result);
      } else {
        return jsError('Feature unavailable');
      }
      return out(result);
    };
    mod.AES = {
      encrypt: (message: unknown, key: unknown, options?: { iv?: unknown; mode?: unknown }) => aes(message, key, options, true),
      decrypt: (message: unknown, key: unknown, options?: { iv?: unknown; mode?: unknown }) => aes(message, key, options, false),
    };
    return mod;
  };
}

/** The module as the ESP32 IDF5 build has it (no SHA512). */
export const cryptoModule = makeCryptoModule('esp32-idf5');

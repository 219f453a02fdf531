// The CryptoService on Espruino (ffsRandomBytes, ffsSha256, ffsComputeHMACSHA256, ffsComputeECDHKey,
// ffsVerifyCloudSignature, signing with the device key).
//
// Randomness: the board's own generator (E.hwRand, Math.random, TLS entropy) is a fixed-seed LCG on
// ESP32 (espruino.md, "Security facts"), so random bytes come from an HMAC-DRBG (SP 800-90A) seeded
// from the per-device secret seed the flash tool writes (FILES.seed), a boot counter persisted in
// Storage before anything else happens (FILES.bootCounter), a carry value from the previous boot and
// timer jitter; it is reseeded as it goes and whenever entropy is handed in (addEntropy: Wi-Fi RSSI...).
// Native primitives (`require("crypto")`: SHA256, AES ECB) are used when present and pass a
// known-answer test; IDF4 builds lack the module, and the pure-TypeScript path is used instead.
import type { Bytes, ClockService, CryptoService, LogService, OnDone, StorageService } from '../types';
import { createRecordStore } from '../../firmware/store/record';
import { checkSeed, halError } from './unavailable';
import { FILES } from '../storage-layout';
import { createHmacDrbg, HmacDrbg } from '../../firmware/crypto/drbg';
import { hmacSha256, sha256 } from '../../firmware/crypto/sha256';
import { detectNativeCrypto } from './crypto-native';
import { asciiToBytes, bytesToHex, concatBytes, HEX_DIGITS, u64BE, wipe } from '../../firmware/crypto/bytes';
import {
  ecdhSliced,
  parsePrivateKey,
  parseSpkiPublicKey,
  setConvolve,
  signSliced,
  useTable,
  verifySliced,
} from '../../firmware/crypto/p256';

// Espruino's E object (declared here too so host-side tests that import this file type-check).
declare const E: { srand(v: number): void; convolve?: (a: ArrayLike<number>, b: ArrayLike<number>, offset: number) => number };

/** Random-bytes calls between automatic reseeds with fresh jitter. */
const RESEED_EVERY = 32;

// ---------------------------------------------------------------------------------------------
// Entropy and the DRBG
// ---------------------------------------------------------------------------------------------

/** Timer jitter: a few successive clock deltas and how many polls each took, as raw doubles (every bit kept). */
function timerJitter(clock: ClockService, samples: number): Bytes {
  const out = new Float64Array(samples * 2);
  let prev = clock.now();
  for (let i = 0; i < samples; i++) {
    let spins = 0;
    let t = clock.now();
    while (t === prev && spins < 40) {
      t = clock.now();
      spins++;
    }
    out[2 * i] = t - prev;
    out[2 * i + 1] = spins;
    prev = t;
  }
  return new Uint8Array(out.buffer);
}

/** The clock in microseconds as 8 bytes (nonce and reseed input). */
function clockBytes(clock: ClockService): Bytes {
  return u64BE(Math.floor(clock.now() * 1000));
}

let activeRng: ((n: number) => Bytes) | null = null;

/**
 * Reseed the interpreter's own generator (`E.srand`, which also feeds its TLS entropy) from the DRBG.
 * The HTTP/TLS code calls this before each TLS connection.
 */
export function reseedFirmwareRng(): void {
  if (!activeRng) throw new Error('crypto: not started');
  const r = activeRng(4);
  E.srand(new Uint32Array(r.buffer)[0]);
  wipe(r);
}

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

/**
 * Steps 1 and 2 of the service, in a function of their own: the seed, the boot record and the
 * entropy are garbage once the DRBG is made (kept in createCrypto's scope, its closures would hold
 * them for as long as the service lives).
 */
function startDrbg(storage: StorageService, clock: ClockService, log: LogService): HmacDrbg {
  // 1. The per-device secret seed: without it there is no trustworthy randomness at all. Checked on
  // its (memory-mapped) string first, so a short one is never copied into RAM.
  checkSeed(storage.readString(FILES.seed));
  const seed = storage.read(FILES.seed) as Bytes;

  // 2. The boot counter (and the previous boot's carry), incremented and persisted before any output,
  // in a two-slot record: a power cut while it is written leaves the previous count, never none.
  const bootRecord = createRecordStore<{ boots: number; carry: string }>({ storage: storage, name: FILES.bootCounter, version: 1 });
  const state = bootRecord.load();
  const usable = !!state && typeof state.boots === 'number' && state.boots >= 0 && HEX_DIGITS.test(state.carry) && state.carry.length === 64;
  // The carry: 64 hex digits (anything else JSON can hold fails the test or has another length). Without
  // a usable state, whatever unreadable slots are left are mixed in instead (read only then).
  const history = usable ? state.carry : (storage.readString(FILES.bootCounter + '.a') || '') + (storage.readString(FILES.bootCounter + '.b') || '');
  const boots = (usable ? state.boots : 0) + 1;

  const native = detectNativeCrypto();

  const entropy = concatBytes([seed, timerJitter(clock, 16)]);
  const personalization = asciiToBytes('ffs-hal-drbg/1' + history);
  const drbg = createHmacDrbg(entropy, concatBytes([u64BE(boots), clockBytes(clock)]), personalization);
  wipe(seed);
  wipe(entropy);
  wipe(personalization);

  const carry = drbg.generate(32);
  const err = bootRecord.save({ boots: boots, carry: bytesToHex(carry) });
  wipe(carry);
  if (err) {
    drbg.destroy();
    throw new Error('crypto: cannot persist the boot counter "' + FILES.bootCounter + '": ' + err.message);
  }
  if (!usable && history) log.log('warn', 'crypto', 'boot counter unreadable: new count');
  log.log('info', 'crypto', 'boot ' + boots + '; native SHA-256 ' + native.sha256 + ', AES ' + native.aes);
  return drbg;
}

export function createCrypto(deps: { storage: StorageService; clock: ClockService; log: LogService }): CryptoService {
  const storage = deps.storage;
  const clock = deps.clock;
  const drbg = startDrbg(storage, clock, deps.log);

  // 3. Reseeding as it goes: a pool of handed-in entropy plus fresh jitter every RESEED_EVERY calls.
  let pool: Bytes = new Uint8Array(32);
  let poolDirty = false;
  let calls = 0;
  function randomBytes(length: number): Bytes {
    // a whole number (the DRBG refuses one below 0 or above 65,536)
    if (length !== Math.floor(length)) throw new Error('crypto: bad random length');
    calls++;
    if (poolDirty || calls % RESEED_EVERY === 0) {
      const e = sha256(concatBytes([pool, timerJitter(clock, 4), u64BE(calls), clockBytes(clock)]));
      drbg.reseed(e);
      wipe(e);
      poolDirty = false;
    }
    return drbg.generate(length);
  }
  activeRng = randomBytes;

  // 4. Keys from Storage. Public keys are cached; the private key is read, used and wiped every time.
  let deviceTypeKey: Bytes | null = null;

  /** A fixed-base table written by the flash tool (optional: everything works, slower, without it). */
  function loadTable(key: Bytes | 'G', name: string): void {
    const table = storage.readMapped(name);
    try {
      if (table) useTable(key, table);
    } catch (e) {
      deps.log.log('warn', 'crypto', 'ignoring table "' + name + '": ' + ((e as Error).message || e));
    }
  }

  // P-256's products on the interpreter's native E.convolve (21 calls a multiply: ~0.17 ms against
  // ~3.8 ms for the pure-JS one, measured on 2v29), and the G table for every key pair (the mesh's
  // too), signature check and signature.
  if (E.convolve) setConvolve(E.convolve);
  loadTable('G', FILES.generatorTable);

  /**
   * onDone(HalError) on a later turn; `why` is the Error a sliced operation gave, or what is missing
   * or invalid (a Storage file's name, 'peer key').
   */
  function fail<T>(onDone: OnDone<T>, code: string, why: any): void {
    clock.defer(() => onDone(halError(code, why.message || why), null));
  }

  /** The device-type key (DSS.PublicKey), with its table at first use; null after failing onDone (CRYPTO_BAD_KEY). */
  function loadDeviceTypeKey(onDone: OnDone<any>): Bytes | null {
    if (!deviceTypeKey) {
      deviceTypeKey = parseSpkiPublicKey(storage.read(FILES.deviceTypeKey) as Bytes); // (null for a missing file)
      if (deviceTypeKey) loadTable(deviceTypeKey, FILES.deviceTypeTable);
      else fail(onDone, 'CRYPTO_BAD_KEY', FILES.deviceTypeKey);
    }
    return deviceTypeKey;
  }

  /** The device's private key (the caller wipes it after use); null after failing onDone (CRYPTO_NO_DEVICE_KEY). */
  function loadPrivateKey(onDone: OnDone<any>): Bytes | null {
    const der = storage.read(FILES.deviceKey);
    const k = parsePrivateKey(der as Bytes); // (null for a missing file)
    wipe(der);
    if (!k) fail(onDone, 'CRYPTO_NO_DEVICE_KEY', FILES.deviceKey);
    return k;
  }

  /**
   * The sliced check of a signature over `hash`, in a scope of its own: while it runs (tens of seconds on an
   * ESP32) its callbacks keep neither the payload nor the caller's options (measured: a 1.1 KB DSS answer's
   * bytes are ~100 JsVars, the top of the WSS phase).
   */
  function verifyHash(pub: Bytes, hash: Bytes, signature: Bytes, onDone: OnDone<boolean>): void {
    verifySliced({
      publicKey: pub,
      hash: hash,
      signature: signature,
      defer: clock.defer,
      onDone: (e: Error | null, ok?: boolean) => {
        if (e) fail(onDone, 'CRYPTO_VERIFY', e);
        else onDone(null, ok === true);
      },
    });
  }

  return {
    randomBytes: randomBytes,
    sha256: sha256,
    hmacSha256: hmacSha256,

    /** Mix extra entropy (Wi-Fi RSSI, scan results, radio timings) into the next reseed. */
    addEntropy(data: Bytes): void {
      const next = sha256(concatBytes([pool, data]));
      wipe(pool);
      pool = next;
      poolDirty = true;
    },

    computeEcdhKey(opts: { peerPublicKeyDer?: Bytes; onDone: OnDone<Bytes> }): void {
      const given = opts.peerPublicKeyDer;
      const peer = given ? parseSpkiPublicKey(given) : loadDeviceTypeKey(opts.onDone);
      if (given && !peer) return fail(opts.onDone, 'CRYPTO_BAD_KEY', 'peer key');
      const priv = peer && loadPrivateKey(opts.onDone);
      if (!priv) return;
      ecdhSliced({
        privateKey: priv,
        publicKey: peer as Bytes,
        defer: clock.defer,
        onDone: (e: Error | null, x?: Bytes | null) => {
          wipe(priv);
          if (e || !x) return fail(opts.onDone, 'CRYPTO_ECDH', e || 'peer key');
          const h = sha256(x);
          wipe(x);
          opts.onDone(null, h);
        },
      });
    },

    verifyCloudSignature(opts: { payload: Bytes; derSignature: Bytes; onDone: OnDone<boolean> }): void {
      const pub = loadDeviceTypeKey(opts.onDone);
      if (pub) verifyHash(pub, sha256(opts.payload), opts.derSignature, opts.onDone);
    },

    signWithDeviceKey(opts: { data: Bytes; onDone: OnDone<Bytes> }): void {
      const priv = loadPrivateKey(opts.onDone);
      if (!priv) return;
      signSliced({
        privateKey: priv,
        hash: sha256(opts.data),
        randomBytes: randomBytes,
        defer: clock.defer,
        onDone: (e: Error | null, sig?: Bytes) => {
          wipe(priv);
          if (e || !sig) fail(opts.onDone, 'CRYPTO_SIGN', e || 'signing');
          else opts.onDone(null, sig);
        },
      });
    },
  };
}

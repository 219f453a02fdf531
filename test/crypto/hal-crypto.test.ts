// The Espruino CryptoService (hal/espruino/crypto.ts) over an in-memory Storage and a fake clock:
// DRBG seeding (seed + persisted boot counter + carry + jitter), clear boot errors, E.srand reseeding,
// and ECDH / verify / sign over the real vectors, always answering asynchronously.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrivateKey, createPublicKey, createVerify } from 'node:crypto';
import { createCrypto, reseedFirmwareRng } from '../../hal/espruino/crypto.ts';
import { FILES } from '../../hal/storage-layout.ts';
import type { ClockService, LogService, StorageService } from '../../hal/types.ts';
import { createRecordStore } from '../../firmware/store/record.ts';
import { memoryStorage } from '../support/memory-storage.ts';
import { hex, seeded, unhex, vectors } from './helpers.ts';

const ecc = vectors('selftest-ecc.json');
const SEED = unhex('5eed'.repeat(16));

function fakeClock() {
  let t = 1000;
  const queue: Array<() => void> = [];
  const clock: ClockService & { run: () => number } = {
    now: () => (t += 0.0137),
    setTimeout: (fn) => (queue.push(fn), queue.length),
    clearTimeout: () => {},
    setInterval: () => 0,
    clearInterval: () => {},
    defer: (fn) => void queue.push(fn),
    run: () => {
      let n = 0;
      while (queue.length) {
        queue.shift()!();
        n++;
      }
      return n;
    },
  };
  return clock;
}

function fakeLog() {
  const lines: string[] = [];
  const log: LogService & { lines: string[] } = { lines, log: (level, tag, message) => void lines.push(`${level} ${tag}: ${message}`) };
  return log;
}

function device(opts: { seed?: Uint8Array | null; keys?: boolean } = {}) {
  const storage = memoryStorage();
  const seed = opts.seed === undefined ? SEED : opts.seed;
  if (seed) storage.write(FILES.seed, seed);
  if (opts.keys !== false) {
    storage.write(FILES.deviceKey, unhex(ecc.wss.devicePrivateKeyDer));
    storage.write(FILES.deviceTypeKey, unhex(ecc.wss.deviceTypePublicKeyDer));
  }
  return storage;
}

(globalThis as any).E = { srand: (v: number) => srands.push(v) };
const srands: number[] = [];
const bootState = (storage: StorageService) =>
  createRecordStore<{ boots: number; carry: string }>({ storage, name: FILES.bootCounter, version: 1 }).load();

test('a missing or short seed is a clear error at boot', () => {
  assert.throws(() => createCrypto({ storage: device({ seed: null }), clock: fakeClock(), log: fakeLog() }), /seed "ffs\.seed" is missing/);
  assert.throws(() => createCrypto({ storage: device({ seed: new Uint8Array(16) }), clock: fakeClock(), log: fakeLog() }), /shorter than 32 bytes/);
});

test('two boots give different random bytes; the boot counter is persisted before any output', () => {
  const storage = device();
  const events: string[] = [];
  const realWrite = storage.write.bind(storage);
  storage.write = (name, data) => (events.push('write ' + name), realWrite(name, data));
  const log = fakeLog();
  const origLog = log.log;
  log.log = (l, t, m) => (events.push('log'), origLog(l, t, m));
  const boot1 = createCrypto({ storage, clock: fakeClock(), log });
  assert.equal(bootState(storage)!.boots, 1);
  assert.is(events[0], 'write ' + FILES.bootCounter + '.a', 'counter written before the first log line');
  const a = hex(boot1.randomBytes(32));
  // Same storage, identical clock readings: only the boot counter and carry differ.
  const boot2 = createCrypto({ storage, clock: fakeClock(), log: fakeLog() });
  assert.equal(bootState(storage)!.boots, 2);
  const b = hex(boot2.randomBytes(32));
  assert.is.not(a, b);
  // and a third boot differs from both
  const c = hex(createCrypto({ storage, clock: fakeClock(), log: fakeLog() }).randomBytes(32));
  assert.ok(c !== a && c !== b);
  // Control: the same state and clock reproduce the same bytes (so the difference comes from the counter).
  const twin = device();
  const twinA = hex(createCrypto({ storage: twin, clock: fakeClock(), log: fakeLog() }).randomBytes(32));
  assert.is(twinA, a);
});

test('different device seeds give different streams; the stream has no repeats', () => {
  const a = createCrypto({ storage: device(), clock: fakeClock(), log: fakeLog() });
  const b = createCrypto({ storage: device({ seed: unhex('11'.repeat(32)) }), clock: fakeClock(), log: fakeLog() });
  assert.is.not(hex(a.randomBytes(32)), hex(b.randomBytes(32)));
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) seen.add(hex(a.randomBytes(16)));
  assert.is(seen.size, 500);
  assert.throws(() => a.randomBytes(-1), /drbg: request too large/);
  assert.throws(() => a.randomBytes(65537), /drbg: request too large/);
  assert.throws(() => a.randomBytes(1.5), /crypto: bad random length/);
  assert.throws(() => a.randomBytes(NaN), /crypto: bad random length/);
  assert.is(a.randomBytes(65536).length, 65536);
});

test('handed-in entropy (addEntropy) changes the stream', () => {
  const a = createCrypto({ storage: device(), clock: fakeClock(), log: fakeLog() });
  const b = createCrypto({ storage: device(), clock: fakeClock(), log: fakeLog() });
  assert.is(hex(a.randomBytes(16)), hex(b.randomBytes(16)));
  b.addEntropy!(new Uint8Array([0xc4])); // an RSSI of -60
  assert.is.not(hex(a.randomBytes(16)), hex(b.randomBytes(16)));
});

test('a boot counter that cannot be persisted stops the boot; a corrupt one is replaced', () => {
  const storage = device();
  const realWrite = storage.write.bind(storage);
  storage.write = (name, data) => (name.startsWith(FILES.bootCounter) ? { code: 'STORAGE_FULL', message: 'full' } : realWrite(name, data));
  assert.throws(() => createCrypto({ storage, clock: fakeClock(), log: fakeLog() }), /cannot persist the boot counter "ffs\.boot": full/);
  const s2 = device();
  const rec = createRecordStore<unknown>({ storage: s2, name: FILES.bootCounter, version: 1 });
  const bads: Array<() => void> = [
    () => s2.write(FILES.bootCounter + '.a', '{not json'), // a torn slot: its check value fails
    () => rec.save({ boots: 5, carry: 'zz' }),
    () => rec.save({ boots: 'x', carry: '00'.repeat(32) }),
    () => rec.save({ boots: 5 }),
    () => rec.save({ boots: 5, carry: 1e63 }),
    () => rec.save({ boots: 5, carry: ['0'.repeat(64)] }),
    () => rec.save({ boots: 5, carry: '0'.repeat(62) }),
    () => rec.save({ boots: '5', carry: '00'.repeat(32) }),
    () => rec.save(7),
    () => rec.save(null),
  ];
  for (const [i, plant] of bads.entries()) {
    const bad = 'case ' + i;
    rec.erase();
    plant();
    const log = fakeLog();
    createCrypto({ storage: s2, clock: fakeClock(), log });
    assert.ok(log.lines.some((l) => /warn crypto: boot counter unreadable: new count/.test(l)), bad);
    assert.equal(bootState(s2)!.boots, 1, bad);
  }
});

test('a power cut while the boot counter is written keeps the previous count (no restart at boot 1)', () => {
  const storage = device();
  for (let i = 0; i < 3; i++) createCrypto({ storage, clock: fakeClock(), log: fakeLog() });
  assert.is(bootState(storage)!.boots, 3);
  // On the board a rewrite erases then writes: the cut leaves a torn file.
  storage.beforeWrite = (_n, name) => (name.startsWith(FILES.bootCounter) ? 'torn' : 'ok');
  assert.throws(() => createCrypto({ storage, clock: fakeClock(), log: fakeLog() }), /power cut/);
  storage.beforeWrite = undefined;
  createCrypto({ storage, clock: fakeClock(), log: fakeLog() });
  assert.is(bootState(storage)!.boots, 4);
});

test('reseedFirmwareRng feeds E.srand a 32-bit value from the DRBG', () => {
  // set here, not only at load: other suites in the same process replace the global E
  (globalThis as any).E = { srand: (v: number) => srands.push(v) };
  createCrypto({ storage: device(), clock: fakeClock(), log: fakeLog() });
  srands.length = 0;
  reseedFirmwareRng();
  reseedFirmwareRng();
  assert.is(srands.length, 2);
  for (const v of srands) assert.ok(Number.isInteger(v) && v >= 0 && v < 2 ** 32);
  assert.is.not(srands[0], srands[1]);
});

test('computeEcdhKey: SHA-256 of the ECDH X with the device-type key (encoded setup network), asynchronously', () => {
  const clock = fakeClock();
  const c = createCrypto({ storage: device(), clock, log: fakeLog() });
  let result: string | null = null;
  c.computeEcdhKey({ onDone: (err, key) => (assert.is(err, null), (result = hex(key!))) });
  assert.is(result, null, 'not called synchronously');
  assert.ok(clock.run() > 1, 'ran in more than one slice');
  assert.is(result, ecc.wss.sha256OfEcdhX);
  // an explicit peer key: the mesh sample provisioner key wrapped as SPKI gives a different, valid result
  let other: any = null;
  c.computeEcdhKey({ peerPublicKeyDer: unhex(ecc.wss.deviceTypePublicKeyDer), onDone: (e, k) => (other = [e, k]) });
  clock.run();
  assert.is(hex(other[1]), ecc.wss.sha256OfEcdhX);
  const bad = unhex(ecc.wss.deviceTypePublicKeyDer);
  bad[bad.length - 1] ^= 1; // off the curve
  let failure: any = null;
  c.computeEcdhKey({ peerPublicKeyDer: bad, onDone: (e) => (failure = e) });
  assert.is(failure, null, 'errors are asynchronous too');
  clock.run();
  assert.is(failure.code, 'CRYPTO_BAD_KEY');
});

test('verifyCloudSignature: the real DSS signatures verify, tampered ones do not', () => {
  const clock = fakeClock();
  const c = createCrypto({ storage: device(), clock, log: fakeLog() });
  for (const s of ecc.wss.signatures) {
    const body = new Uint8Array(Buffer.from(s.bodyAscii, 'utf8'));
    const got: any[] = [];
    const results: Record<string, unknown> = {};
    c.verifyCloudSignature({ payload: body, derSignature: unhex(s.signatureDer), onDone: (e, ok) => got.push((results.valid = [e, ok])) });
    const tampered = body.slice();
    tampered[5] ^= 1;
    c.verifyCloudSignature({ payload: tampered, derSignature: unhex(s.signatureDer), onDone: (e, ok) => got.push((results.tampered = [e, ok])) });
    c.verifyCloudSignature({ payload: body, derSignature: new Uint8Array([0x30, 0x00]), onDone: (e, ok) => got.push((results.malformed = [e, ok])) });
    assert.is(got.length, 0);
    clock.run();
    assert.equal(results, { valid: [null, true], tampered: [null, false], malformed: [null, false] });
  }
});

test('signWithDeviceKey: a DER ECDSA signature Node verifies with the device public key', () => {
  const clock = fakeClock();
  const c = createCrypto({ storage: device(), clock, log: fakeLog() });
  const pub = createPublicKey(createPrivateKey({ key: Buffer.from(ecc.wss.devicePrivateKeyDer, 'hex'), format: 'der', type: 'pkcs8' }));
  const r = seeded(21);
  for (let i = 0; i < 3; i++) {
    const data = r.bytes(50 + i);
    let sig: Uint8Array | null = null;
    c.signWithDeviceKey({ data: new Uint8Array(data), onDone: (e, s) => (assert.is(e, null), (sig = s)) });
    assert.is(sig, null);
    clock.run();
    assert.ok(createVerify('sha256').update(data).verify(pub, Buffer.from(sig!)), 'signature ' + i);
  }
});

test('missing keys are errors delivered asynchronously; nothing secret is logged', () => {
  const clock = fakeClock();
  const log = fakeLog();
  const c = createCrypto({ storage: device({ keys: false }), clock, log });
  const got: any[] = [];
  c.computeEcdhKey({ onDone: (e) => got.push(e!.code) });
  c.verifyCloudSignature({ payload: new Uint8Array(1), derSignature: new Uint8Array(8), onDone: (e) => got.push(e!.code) });
  c.signWithDeviceKey({ data: new Uint8Array(1), onDone: (e) => got.push(e!.code) });
  assert.is(got.length, 0);
  clock.run();
  assert.equal(got, ['CRYPTO_BAD_KEY', 'CRYPTO_BAD_KEY', 'CRYPTO_NO_DEVICE_KEY']);
  const all = log.lines.join('\n');
  assert.not.ok(all.includes(hex(SEED)) || all.includes(ecc.wss.devicePrivateKeyDer.slice(-64)));
});

test('native crypto (emulated IDF5 module) is detected once, passes its known-answer test and gives the same answers', async () => {
  const { makeCryptoModule } = await import('../../sim/board/crypto.ts');
  const { setNativeSha256 } = await import('../../firmware/crypto/sha256.ts');
  const { setNativeAes128 } = await import('../../firmware/crypto/aes.ts');
  const mod = makeCryptoModule('esp32-idf5')({ realm: { Uint8Array, ArrayBuffer, Error } });
  let requires = 0;
  (globalThis as any).require = (name: string) => {
    requires++;
    if (name === 'crypto') return mod;
    throw new Error('Module ' + name + ' not found');
  };
  try {
    const fresh = await import('../../hal/espruino/crypto-native.ts?fresh=' + Date.now());
    assert.equal(fresh.detectNativeCrypto(), { sha256: true, aes: true });
    assert.equal(fresh.detectNativeCrypto(), { sha256: true, aes: true });
    assert.is(requires, 1, 'detected once');
    const aes = fresh.nativeAes128()!;
    assert.is(hex(aes(unhex('000102030405060708090a0b0c0d0e0f'), unhex('00112233445566778899aabbccddeeff'))), '69c4e0d86a7b0430d8cdb78070b4c55a');
    // a module without crypto (IDF4) is detected as absent
    (globalThis as any).require = () => {
      throw new Error('Module crypto not found');
    };
    const none = await import('../../hal/espruino/crypto-native.ts?none=' + Date.now());
    setNativeSha256(null);
    setNativeAes128(null);
    assert.equal(none.detectNativeCrypto(), { sha256: false, aes: false });
    // a broken native SHA-256 fails its known-answer test and is not used
    (globalThis as any).require = () => ({ SHA256: () => new ArrayBuffer(32) });
    const broken = await import('../../hal/espruino/crypto-native.ts?broken=' + Date.now());
    assert.equal(broken.detectNativeCrypto(), { sha256: false, aes: false });
  } finally {
    delete (globalThis as any).require;
    setNativeSha256(null);
    setNativeAes128(null);
  }
});

test.run();

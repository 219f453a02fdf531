// Issue 14 item 8: fresh entropy on every flash. The DRBG seed ffs.seed is random at every flash, never
// derived from nor kept in the identity file, and the boot record (ffs.boot) starts with a random carry:
// two boards flashed with the same identity (or one board erased and flashed again) do not replay the
// same random bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FILES } from '../../hal/storage-layout';
import { buildStorageImage, SECRET_FILES } from '../../flash/image';
import { makeIdentity, identityToJson, identityFromJson } from '../../flash/identity';
import { createCrypto } from '../../hal/espruino/crypto';
import { createRecordStore } from '../../firmware/store/record';
import { trashStorage } from './fake-storage';

(globalThis as any).E = { srand: () => undefined };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const id = makeIdentity({ seed: 'entropy-test' });
const file = (files: Array<{ name: string; data: Uint8Array }>, name: string) => files.find((f) => f.name === name)?.data;

test('every flash image carries a fresh 32-byte seed', () => {
  const a = file(buildStorageImage({ bundle: 'x', identity: id }), FILES.seed)!;
  const b = file(buildStorageImage({ bundle: 'x', identity: id }), FILES.seed)!;
  assert.is(a.length, 32);
  assert.is(b.length, 32);
  assert.is.not(hex(a), hex(b));
});

test('the identity file holds no seed, and none of the flashed seed', () => {
  const json = JSON.stringify(identityToJson(id));
  assert.not.ok(/drbg|seed/i.test(json), 'no seed field');
  const seed = file(buildStorageImage({ bundle: 'x', identity: id }), FILES.seed)!;
  assert.not.ok(json.includes(hex(seed)));
  // an identity file written before this change (with a drbgSeed field) still loads; the field is not kept
  const legacy = { ...identityToJson(id), drbgSeed: '11'.repeat(32) } as any;
  const back = identityFromJson(legacy) as any;
  assert.is(back.drbgSeed, undefined);
  assert.not.ok(JSON.stringify(identityToJson(back)).includes('11'.repeat(32)));
});

test('the boot record starts with a random carry (both slots, boots 0), a secret file', () => {
  const files = buildStorageImage({ bundle: 'x', identity: id });
  const st = trashStorage();
  for (const f of files) st.files.set(f.name, Buffer.from(f.data).toString('latin1'));
  const rec = createRecordStore<{ boots: number; carry: string }>({ storage: st, name: FILES.bootCounter, version: 1 }).load();
  assert.ok(rec, 'a valid boot record');
  assert.is(rec!.boots, 0);
  assert.match(rec!.carry, /^[0-9a-f]{64}$/);
  assert.is.not(rec!.carry, '0'.repeat(64));
  for (const n of [FILES.seed, FILES.bootCounter + '.a', FILES.bootCounter + '.b']) {
    assert.ok(files.some((f) => f.name === n), n);
    assert.ok(SECRET_FILES.includes(n), n + ' is secret');
  }
  const other = buildStorageImage({ bundle: 'x', identity: id });
  assert.is.not(hex(file(other, FILES.bootCounter + '.a')!), hex(file(files, FILES.bootCounter + '.a')!));
});

test('two boards flashed with the same identity draw different random bytes at their first boot', () => {
  const draw = () => {
    const st = trashStorage();
    for (const f of buildStorageImage({ bundle: 'x', identity: id })) st.files.set(f.name, Buffer.from(f.data).toString('latin1'));
    let t = 0;
    const clock = { now: () => (t += 0.25), setTimeout, clearTimeout, setInterval, clearInterval, defer: (f: () => void) => setTimeout(f, 0) } as any;
    return hex(createCrypto({ storage: st, clock, log: { log: () => undefined } }).randomBytes(32));
  };
  assert.is.not(draw(), draw());
});

test('an injected byte source makes the image reproducible (the simulator flashes from its seed)', () => {
  const src = () => {
    let n = 0;
    return (k: number) => new Uint8Array(k).map(() => (n = (n * 73 + 41) % 251));
  };
  const a = buildStorageImage({ bundle: 'x', identity: id, random: src() });
  const b = buildStorageImage({ bundle: 'x', identity: id, random: src() });
  assert.equal(a.map((f) => hex(f.data)), b.map((f) => hex(f.data)));
});

test.run();

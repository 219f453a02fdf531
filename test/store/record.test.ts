import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRecordStore, type Sealer } from '../../firmware/store/record.ts';
import { memoryStorage, PowerCut } from '../support/memory-storage.ts';
import { createHash } from 'node:crypto';

test('the check value is the first 4 bytes of SHA-256 over the UTF-8 body (Node crypto as the oracle)', () => {
  const storage = memoryStorage();
  const rec = createRecordStore<{ ssid: string }>({ storage, name: 'c', version: 3 });
  rec.save({ ssid: 'caf\u00e9 \u2603 \ud83d\ude00' });
  const text = storage.files.get('c.a')!;
  const body = text.slice(9);
  assert.is(text[8], ':');
  assert.is(text.slice(0, 8), createHash('sha256').update(Buffer.from(body, 'utf8')).digest('hex').slice(0, 8));
  assert.equal(rec.load(), { ssid: 'caf\u00e9 \u2603 \ud83d\ude00' });
  // One changed character of the check value, or of the body, and the slot is not readable.
  const flip = (c: string) => (c === '0' ? '1' : '0');
  storage.files.set('c.a', flip(text[0]) + text.slice(1));
  assert.is(rec.load(), null, 'changed check value');
  storage.files.set('c.a', text.slice(0, -2) + flip(text.slice(-2, -1)) + text.slice(-1));
  assert.is(rec.load(), null, 'changed body');
});

test('save then load round-trips, and the newest of two slots wins', () => {
  const storage = memoryStorage();
  const rec = createRecordStore<{ n: number }>({ storage, name: 'r', version: 1 });
  assert.is(rec.load(), null);
  for (let i = 1; i <= 5; i++) {
    assert.is(rec.save({ n: i }), null);
    assert.equal(rec.load(), { n: i });
  }
  assert.equal([...storage.files.keys()].sort(), ['r.a', 'r.b']);
});

test('a power cut at any write leaves the old record or the new one, never a mix', () => {
  for (const mode of ['cut', 'torn'] as const) {
    for (let at = 1; at <= 4; at++) {
      const storage = memoryStorage();
      const rec = createRecordStore<{ v: string }>({ storage, name: 'mesh', version: 2 });
      let last: { v: string } | null = null;
      storage.beforeWrite = (n) => (n === at ? mode : 'ok');
      for (let i = 1; i <= 4; i++) {
        try {
          rec.save({ v: 'value-' + i });
          last = { v: 'value-' + i };
        } catch (e) {
          assert.instance(e, PowerCut);
          break;
        }
      }
      storage.beforeWrite = undefined;
      const got = createRecordStore<{ v: string }>({ storage, name: 'mesh', version: 2 }).load();
      // After a cut at write `at`, what survives is exactly the last completed save.
      assert.equal(got, last, `${mode} at write ${at}`);
    }
  }
});

test('corrupt slots, wrong schema versions and tampered sealed payloads are ignored', () => {
  const storage = memoryStorage();
  const rec = createRecordStore<{ k: number }>({ storage, name: 'x', version: 1 });
  rec.save({ k: 1 });
  rec.save({ k: 2 });
  const newest = [...storage.files.entries()].find(([, v]) => v.includes('"k":2'))![0];
  storage.files.set(newest, storage.files.get(newest)!.replace('"k":2', '"k":3'));
  assert.equal(rec.load(), { k: 1 }, 'a slot whose check value fails falls back to the other one');
  assert.is(createRecordStore({ storage, name: 'x', version: 9 }).load(), null, 'other schema version');

  // A toy sealer (host-side, for the test) proves `open` gates what load returns.
  const key = 'k';
  const sealer: Sealer = {
    seal: (p) => createHash('sha256').update(key + p).digest('hex').slice(0, 8) + p,
    open: (s) => (createHash('sha256').update(key + s.slice(8)).digest('hex').slice(0, 8) === s.slice(0, 8) ? s.slice(8) : null),
  };
  const st2 = memoryStorage();
  const sealed = createRecordStore<{ a: number }>({ storage: st2, name: 's', version: 1, sealer });
  sealed.save({ a: 7 });
  assert.equal(sealed.load(), { a: 7 });
  const rejecting: Sealer = { seal: sealer.seal, open: () => null };
  assert.is(createRecordStore({ storage: st2, name: 's', version: 1, sealer: rejecting }).load(), null);
});

test('erase removes both slots; storage full is reported, not thrown', () => {
  const storage = memoryStorage(64);
  const rec = createRecordStore<{ s: string }>({ storage, name: 'e', version: 1 });
  assert.is(rec.save({ s: 'short' }), null);
  const err = rec.save({ s: 'x'.repeat(100) });
  assert.ok(err && err.code === 'STORAGE_FULL');
  assert.equal(rec.load(), { s: 'short' });
  rec.erase();
  assert.is(rec.load(), null);
  assert.is(storage.files.size, 0);
});

test('a power cut in the middle of erase never brings back an older record', () => {
  for (const saves of [2, 3]) {
    const storage = memoryStorage();
    const rec = createRecordStore<{ n: number }>({ storage, name: 'r', version: 1 });
    for (let i = 1; i <= saves; i++) rec.save({ n: i });
    // Cut the power after the first erase: replay only the first erase the store makes.
    const erased: string[] = [];
    const realErase = storage.erase;
    storage.erase = (n) => {
      if (erased.length === 0) realErase(n);
      erased.push(n);
    };
    rec.erase();
    storage.erase = realErase;
    assert.equal(rec.load(), { n: saves }, 'only the newest record, or nothing, may survive');
  }
});

test.run();

// Issue 14 item 6: clearing the Wi-Fi setup must not leave the home network's passphrase in the other
// slot of the two-slot record (firmware/store/record.ts), nor in Storage's trash after the clear.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRecordStore } from '../../firmware/store/record';
import { trashStorage } from './fake-storage';

const SECRET = 'home-secret-1';
const withNetwork = { ffs: true, runs: 0, network: { ssid: 'HomeNet', security: 'WPA2_PSK', key: SECRET }, handoff: false };
const cleared = { ffs: false, runs: 0, network: null, handoff: false };

function fresh() {
  const storage = trashStorage();
  const rec = createRecordStore<typeof withNetwork | typeof cleared>({ storage, name: 'wss.state', version: 1 });
  return { storage, rec };
}

test('a cleared record leaves the secret in neither slot', () => {
  const { storage, rec } = fresh();
  assert.is(rec.save({ ...withNetwork, runs: 1 }), null);
  assert.is(rec.save(withNetwork), null);
  assert.is(rec.save(cleared), null);
  assert.equal(rec.load(), cleared);
  for (const [name, text] of storage.files) assert.not.ok(text.includes(SECRET), `${name} still holds the passphrase: ${text}`);
});

test('clearing a secret compacts Storage: the passphrase is not left in the trash either', () => {
  const { storage, rec } = fresh();
  rec.save(withNetwork);
  rec.save(cleared);
  assert.ok(storage.compacts >= 1, 'Storage was compacted');
  assert.not.ok(storage.flash().includes(SECRET), 'no byte of the passphrase left in flash');
});

test('erase (factory reset) removes both slots and compacts', () => {
  const { storage, rec } = fresh();
  rec.save(withNetwork);
  rec.save({ ...withNetwork, runs: 2 });
  rec.erase();
  assert.is(rec.load(), null);
  assert.equal(storage.list('wss.state'), []);
  assert.not.ok(storage.flash().includes(SECRET));
});

test('power safety kept: a failed write keeps the previous record, a torn slot falls back to it', () => {
  const { storage, rec } = fresh();
  rec.save(withNetwork);
  storage.failNextWrite = true;
  assert.ok(rec.save(cleared), 'the failed write is reported');
  assert.equal(rec.load(), withNetwork, 'the previous record is still there');
  // a torn write of the next slot: a prefix of the new text lands, then the power goes
  rec.save({ ...withNetwork, runs: 5 });
  const older = [...storage.files].find(([, t]) => !t.includes('"runs":5'))![0];
  storage.files.set(older, '0badc0de:9:1:{"ffs":');
  assert.equal(rec.load(), { ...withNetwork, runs: 5 });
  // a cut during the second write of a clearing save: the first copy (the cleared record) wins
  rec.save(withNetwork);
  const write = storage.write;
  let n = 0;
  storage.write = (name, d) => (++n === 2 ? (storage.files.set(name, String(d).slice(0, 20)), null) : write(name, d));
  rec.save(cleared);
  storage.write = write;
  assert.equal(rec.load(), cleared);
});

test('saves that do not remove anything do not compact (the boot counter is saved every boot)', () => {
  const { storage, rec } = fresh();
  for (let i = 1; i <= 12; i++) rec.save({ ...withNetwork, runs: i });
  assert.is(storage.compacts, 0);
});

test.run();

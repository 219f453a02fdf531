// Issue 14 item 6 on the real bundle: after FFS saved the home network, a short hold clears the setup;
// the passphrase is then in no Storage file, and no erased or replaced file's bytes that held it (or
// the hand-off token) are left in Storage's trash: it was compacted after the clear.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runScenario } from '../../sim/scenario';
import { StorageEmu } from '../../sim/board/storage';
import { bundle } from './support';

/** Shadow of each StorageEmu's trash contents (the emulator counts trash bytes but keeps no copy). */
function watchTrash(): { trash: WeakMap<object, string[]>; restore: () => void } {
  const proto = StorageEmu.prototype as any;
  const drop = proto.dropToTrash;
  const compact = proto.compact;
  const trash = new WeakMap<object, string[]>();
  proto.dropToTrash = function (name: string, file: Uint8Array) {
    if (!trash.has(this)) trash.set(this, []);
    trash.get(this)!.push(name + ': ' + Buffer.from(file).toString('latin1'));
    return drop.call(this, name, file);
  };
  proto.compact = function () {
    trash.set(this, []);
    return compact.call(this);
  };
  return { trash, restore: () => Object.assign(proto, { dropToTrash: drop, compact }) };
}

test('sec-clear-setup: the cleared network\'s passphrase is gone from every file and from the trash', async () => {
  await bundle();
  const w = watchTrash();
  let r;
  try {
    r = await runScenario('sec-clear-setup', { storageDir: null });
  } finally {
    w.restore();
  }
  assert.ok(r.ok, r.failures.join('\n'));
  const st = r.boards[0].storage;
  assert.ok(r.events.some((e) => e.kind === 'write' && e.summary.startsWith('ffs.handoff')), 'setup finished (hand-off written) before the hold');
  for (const name of st.list()) {
    const text = Buffer.from(st.read(name)!).toString('latin1');
    assert.not.ok(text.includes('correct horse 42'), `${name} still holds the passphrase`);
  }
  assert.not.ok(st.list().includes('ffs.handoff'), 'the hand-off is erased');
  const left = (w.trash.get(st) ?? []).filter((t) => t.includes('correct horse 42') || t.startsWith('ffs.handoff'));
  assert.equal(left, [], 'no trash with the passphrase or the hand-off token');
});

test.run();

// build/jsvars.mjs (`npm run size -- --jsvars`) measures a set-up board by adding the records setup
// leaves: they must be records the firmware itself reads back as "set up".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
// @ts-ignore plain ESM build script
import { recordSlot, setUpFiles } from '../../build/jsvars.mjs';
import { createRecordStore } from '../../firmware/store/record.ts';
import { loadRecord, openWssStore } from '../../firmware/wss/state.ts';
import { createMeshState } from '../../firmware/mesh/state.ts';
import type { StorageService } from '../../hal/types.ts';

function storageOf(files: Map<string, Uint8Array>): StorageService {
  return {
    readString: (n: string) => (files.has(n) ? Buffer.from(files.get(n)!).toString('latin1') : null),
    read: (n: string) => files.get(n) || null,
  } as unknown as StorageService;
}

test('the set-up records load as a saved home network and a provisioned node', () => {
  const files: Map<string, Uint8Array> = setUpFiles(new Map([['ffs.cfg', Buffer.from('{}')]]));
  const storage = storageOf(files);
  const wss = loadRecord(openWssStore(storage));
  assert.ok(wss.network, 'home network saved');
  assert.is(wss.network!.ssid, 'home');
  const node = createMeshState(storage).load();
  assert.ok(node, 'mesh node');
  assert.is(node!.address, 0x0b0c);
  assert.ok(files.has('ffs.cfg'), 'flashed files kept');
});

test('a slot with a wrong check value is not a record (the harness cannot fake a set-up board)', () => {
  const good = recordSlot({ a: 1 });
  const bad = (good.charAt(0) === '0' ? '1' : '0') + good.substring(1);
  const s = (text: string) => storageOf(new Map([['x.a', Buffer.from(text)]]));
  assert.equal(createRecordStore<{ a: number }>({ storage: s(good), name: 'x', version: 1 }).load(), { a: 1 });
  assert.is(createRecordStore<{ a: number }>({ storage: s(bad), name: 'x', version: 1 }).load(), null);
});

test.run();

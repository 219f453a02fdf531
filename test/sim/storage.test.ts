import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { StorageEmu, StorageError, StorageFileError } from '../../sim/board/storage';
import { world, makeBoard, tempDir, texts, thrown } from './helpers';

const S = 'var S=require("Storage");';

test('write with offset and total size: first chunk fixes the size, the rest lands inside', () => {
  const w = world();
  const b = makeBoard(w);
  b.powerOn();
  assert.is(b.evaluate(S + 'S.write("f","hello",0,10)'), true);
  assert.is(b.evaluate(S + 'S.read("f").length'), 10);
  assert.is(b.evaluate(S + 'S.read("f").charCodeAt(7)'), 255, 'unwritten bytes read as erased flash');
  assert.is(b.evaluate(S + 'S.write("f","world",5)'), true);
  assert.is(b.evaluate(S + 'S.read("f")'), 'helloworld');
  assert.is(b.evaluate(S + 'S.read("f",3,4)'), 'lowo');
  assert.is(thrown(b, S + 'S.write("f","!",10)'), 'Too much data for file size');
  assert.is(thrown(b, S + 'S.write("f","X",2)'), 'File already written with different data');
  assert.is(thrown(b, S + 'S.write("nofile","x",3)'), 'Unable to find or create file');
  assert.is(b.evaluate(S + 'S.write("f","")'), false, 'empty data writes nothing');
  // a write at offset 0 replaces the file (the old one becomes trash)
  assert.is(b.evaluate(S + 'S.write("f","new")'), true);
  assert.is(b.evaluate(S + 'S.read("f")'), 'new');
  assert.ok((b.evaluate(S + 'S.getStats().trashCount') as number) >= 1);
});

test('binary data, readJSON/writeJSON, readArrayBuffer, list with regex, erase', () => {
  const w = world();
  const b = makeBoard(w);
  b.powerOn();
  b.evaluate(S + 'S.write("bin", new Uint8Array([0,1,2,255,128]))');
  assert.equal([...b.storage.read('bin')!], [0, 1, 2, 255, 128]);
  assert.is(b.evaluate(S + 'S.read("bin").charCodeAt(3)'), 255);
  assert.is(b.evaluate(S + 'var a=S.readArrayBuffer("bin"); (a instanceof ArrayBuffer) + ":" + new Uint8Array(a)[4]'), 'true:128');
  assert.is(b.evaluate(S + 'S.writeJSON("cfg",{a:1,b:[2,3]}); var o=S.readJSON("cfg"); (o instanceof Object) + ":" + o.b[1]'), 'true:3');
  b.evaluate(S + 'S.write("bad","{nope")');
  assert.is(b.evaluate(S + 'S.readJSON("bad",true)'), undefined);
  assert.ok(thrown(b, S + 'S.readJSON("bad")'));
  assert.is(b.evaluate(S + 'S.read("missing")'), undefined);
  assert.is(b.evaluate(S + 'S.readJSON("missing")'), undefined);
  assert.is(b.evaluate(S + 'S.list(/^c/).join()'), 'cfg');
  assert.is(b.evaluate(S + 'Array.isArray(S.list())'), true);
  b.evaluate(S + 'S.erase("cfg")');
  assert.is(b.evaluate(S + 'S.list().indexOf("cfg")'), -1);
  assert.ok(texts(w).some((t) => t.includes('storage erase cfg')));
  assert.ok(texts(w).some((t) => t.includes('storage write bin 5 bytes')));
});

test('rewriting identical content is a no-op; compact clears trash; getFree accounts headers', () => {
  const st = new StorageEmu({ capacity: 4096 });
  const free0 = st.getFree();
  st.write('a', new Uint8Array([1, 2, 3]));
  assert.is(st.getFree(), free0 - 36, '32-byte header + 3 bytes, 4-aligned');
  st.write('a', new Uint8Array([1, 2, 3]));
  assert.is(st.getStats().trashCount, 0, 'identical rewrite does not create trash');
  st.write('a', new Uint8Array([9]));
  assert.is(st.getStats().trashCount, 1);
  st.compact();
  assert.is(st.getStats().trashBytes, 0);
});

test('names longer than 28 characters are cut to 28, with a warning on the timeline', () => {
  const w = world();
  const b = makeBoard(w);
  b.powerOn();
  const long = 'abcdefghijklmnopqrstuvwxyz0123'; // 30
  b.evaluate(S + `S.write("${long}","x")`);
  assert.equal(b.storage.list(), [long.slice(0, 28)]);
  assert.is(b.evaluate(S + `S.read("${long.slice(0, 28)}")`), 'x');
  assert.ok(texts(w).some((t) => t.includes('longer than 28 characters')));
});

test('full storage throws the device error; auto-compaction reclaims trash first', () => {
  const st = new StorageEmu({ capacity: 1024 });
  st.write('big', new Uint8Array(900).fill(1));
  st.erase('big'); // 932 bytes of trash
  st.write('again', new Uint8Array(900).fill(2)); // fits only after the automatic compaction
  assert.is(st.read('again')!.length, 900);
  let err: unknown;
  try {
    st.write('more', new Uint8Array(200));
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof StorageError);
  assert.is((err as Error).message, 'Unable to find or create file');
  // through the firmware API: a realm Error with the same message
  const w = world();
  const b = makeBoard(w, {}, { storageCapacity: 2048 });
  b.powerOn();
  assert.is(thrown(b, S + 'S.write("x", new Uint8Array(4000))'), 'Unable to find or create file');
  assert.is(b.evaluate(S + 'try { S.write("x", new Uint8Array(4000)) } catch (e) { e instanceof Error }'), true);
});

test('Storage persists across power cycles and into a new process (one JSON file per board)', () => {
  const dir = tempDir();
  const file = path.join(dir, 'b1.storage.json');
  const w = world();
  const b = makeBoard(w, {}, { storagePath: file });
  b.powerOn();
  b.evaluate(S + 'S.write("count","1"); S.write("part","ab",0,4); S.write("part","cd",2)');
  b.powerOff();
  b.powerOn();
  assert.is(b.evaluate(S + 'S.read("count") + S.read("part")'), '1abcd');
  b.powerOff();
  assert.ok(existsSync(file));
  const again = makeBoard(world(), {}, { storagePath: file, id: 'b1' });
  again.powerOn();
  assert.is(again.evaluate(S + 'S.read("part")'), 'abcd');
  assert.ok(!existsSync(file + '.tmp'), 'atomic replace leaves no temp file');
});

test('a corrupt Storage file gives one clear error naming the file', () => {
  const dir = tempDir();
  const file = path.join(dir, 'broken.storage.json');
  writeFileSync(file, '{"format":"espruino-storage-sim/1","files":[{"name":');
  let err: unknown;
  try {
    new StorageEmu({ path: file });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof StorageFileError);
  const msg = (err as Error).message;
  assert.ok(msg.includes(file), msg);
  assert.not.match(msg, /\n/);
  writeFileSync(file, JSON.stringify({ format: 'something-else' }));
  assert.throws(() => new StorageEmu({ path: file }), (e: Error) => e instanceof StorageFileError && e.message.includes(file));
  assert.is(readFileSync(file, 'utf8'), JSON.stringify({ format: 'something-else' }), 'the file is left as it was');
});

test('fault hooks: cut loses the write and powers off; torn lands a prefix and powers off', () => {
  const w = world();
  const b = makeBoard(w);
  b.powerOn();
  let n = 0;
  const off = b.storage.beforeWrite(() => (++n === 2 ? 'cut' : 'ok'));
  b.evaluate(S + 'S.write("one","1"); S.write("two","2"); S.write("three","3")');
  assert.is(b.on, false, 'power cut at the second write');
  assert.equal(b.storage.list(), ['one'], 'neither the cut write nor anything after it landed');
  assert.ok(texts(w).some((t) => t.includes('power cut during write #2 of two')));
  off();
  b.powerOn();
  b.storage.beforeWrite(() => 'torn');
  b.evaluate(S + 'S.write("torn","0123456789")');
  assert.is(b.on, false);
  const got = b.storage.read('torn')!;
  assert.is(got.length, 10, 'the file header (total size) landed');
  const landed = got.findIndex((x) => x === 0xff);
  assert.ok(landed > 0 && landed < 10, 'a prefix landed, the rest is erased flash');
  assert.is(Buffer.from(got.subarray(0, landed)).toString('latin1'), '0123456789'.slice(0, landed));
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FILES } from '../../hal/storage-layout.ts';
import { buildStorageImage, BOOT, BOOT_LOADER, appFileName, markerFileName, deviceConfig } from '../../flash/image.ts';
import { makeIdentity } from '../../flash/identity.ts';
import { splitDer } from '../../flash/der.ts';
import { Board } from '../../sim/board/board.ts';
import { VirtualClock } from '../../sim/clock.ts';
import { Timeline } from '../../sim/timeline.ts';
import { Rng } from '../../sim/rng.ts';
import { checkBoard, requiredModules, versionMatches } from '../../flash/board-check.ts';
import { crc32, adler32, writeExpr, hashExpr, CHUNK } from '../../flash/flasher.ts';
import { createHash } from 'node:crypto';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const id = makeIdentity({ seed: 'image-test' });

function freshBoard(): Board {
  const clock = new VirtualClock();
  return new Board({ id: 'img', clock, timeline: new Timeline(() => clock.now()), rng: new Rng(3) });
}
const app = (tag: string) => `print("app ${tag} running")`;

test('the image holds exactly the documented files, app first and marker last, secrets outside the app', () => {
  const bundle = app('A');
  const files = buildStorageImage({ bundle, identity: id });
  const names = files.map((f) => f.name);
  assert.equal(names, [appFileName(Buffer.from(bundle)), FILES.config, FILES.deviceKey, FILES.certChain, FILES.certPem, FILES.deviceTypeKey, FILES.mesh, FILES.seed, FILES.bootCounter + '.a', FILES.bootCounter + '.b', BOOT.entry, markerFileName(Buffer.from(bundle))]);
  const get = (n: string) => files.find((f) => f.name === n)!.data;
  assert.is(text(get(names[0])), bundle);
  assert.is(hex(get(FILES.deviceKey)), hex(id.deviceKey));
  assert.equal(splitDer(get(FILES.certChain)).map(hex), id.certChain.map(hex));
  assert.is(hex(get(FILES.deviceTypeKey)), hex(id.deviceTypeKey));
  assert.is(get(FILES.seed).length, 32, 'a fresh seed (test/security/flash-entropy.test.ts)');
  assert.equal(JSON.parse(text(get(FILES.mesh))), { deviceUuid: hex(id.mesh.deviceUuid), staticOob: hex(id.mesh.staticOob), oobInfo: id.mesh.oobInfo });
  const cfg = JSON.parse(text(get(FILES.config)));
  assert.is(cfg.productIndex, id.productIndex);
  assert.equal(cfg.deviceDetails, id.deviceDetails);
  assert.is(cfg.devicePublicKey, hex(id.devicePublicKey));
  assert.not.ok(text(get(FILES.config)).includes(hex(id.deviceKey)), 'no private key in the configuration');
  assert.not.ok(text(get(FILES.config)).includes(hex(id.mesh.staticOob)), 'no static OOB in the configuration');
  assert.is(text(get(BOOT.entry)), BOOT_LOADER);
  const marker = JSON.parse(text(get(names[names.length - 1])));
  assert.equal(marker, { app: names[0], g: 1, sha256: createHash('sha256').update(bundle).digest('hex'), size: bundle.length });
  for (const n of names) assert.ok(n.length <= 28, n);
});

test('configuration overrides merge; tables become their own files', () => {
  const cfg = deviceConfig(id, { dss: { host: '127.0.0.1', port: 8443 }, flows: { mesh: false }, extraKey: 5 });
  assert.equal(cfg.dss, { host: '127.0.0.1', port: 8443, setupPort: 8888 });
  assert.equal(cfg.flows, { wss: true, mesh: false, softAp: true });
  assert.is(cfg.extraKey, 5);
  const files = buildStorageImage({ bundle: 'x', identity: id, tables: { deviceType: new Uint8Array([1, 2]), generator: new Uint8Array([3]) } });
  assert.equal(files.find((f) => f.name === FILES.deviceTypeTable)!.data, new Uint8Array([1, 2]));
  assert.equal(files.find((f) => f.name === FILES.generatorTable)!.data, new Uint8Array([3]));
});

test('a board boots the app through the .bootcde loader, as on power-on', () => {
  const board = freshBoard();
  for (const f of buildStorageImage({ bundle: app('A'), identity: id })) board.storage.writeFile(f.name, f.data);
  board.powerOn();
  assert.ok(board.console.includes('app A running'), board.console.join('|'));
});

test('interrupted flash: a new app without its marker never boots; the previous app does', () => {
  const board = freshBoard();
  for (const f of buildStorageImage({ bundle: app('A'), identity: id })) board.storage.writeFile(f.name, f.data);
  const next = buildStorageImage({ bundle: app('B'), identity: id, generation: 2 });
  // everything but the marker landed (the flash was cut just before the switch)
  for (const f of next.slice(0, -1)) board.storage.writeFile(f.name, f.data);
  board.powerOn();
  assert.ok(board.console.includes('app A running'));
  assert.not.ok(board.console.includes('app B running'));
  // a torn marker (half of its JSON) is ignored
  const marker = next[next.length - 1];
  board.storage.writeFile(marker.name, marker.data.subarray(0, 20));
  board.reboot();
  assert.is(board.console.filter((l) => l === 'app A running').length, 2);
  // the whole marker is the switch: the higher generation wins
  board.storage.writeFile(marker.name, marker.data);
  board.reboot();
  assert.is(board.console[board.console.length - 1], 'app B running');
});

test('a marker whose app file is missing is skipped; no marker at all prints one line', () => {
  const board = freshBoard();
  const files = buildStorageImage({ bundle: app('C'), identity: id, generation: 3 });
  for (const f of files) if (!f.name.startsWith(BOOT.appPrefix)) board.storage.writeFile(f.name, f.data);
  board.powerOn();
  assert.ok(board.console.includes('FFS: no verified app in Storage'));
});

test('reset() does not run .bootcde (Espruino: only .boot0-3 and .bootrst)', async () => {
  const board = freshBoard();
  for (const f of buildStorageImage({ bundle: app('D'), identity: id })) board.storage.writeFile(f.name, f.data);
  board.powerOn();
  const before = board.console.filter((l) => l === 'app D running').length;
  board.evaluate('reset()');
  await board.clock.run({ until: board.clock.now() + 10 });
  assert.is(board.console.filter((l) => l === 'app D running').length, before);
  board.evaluate('load()');
  await board.clock.run({ until: board.clock.now() + 10 });
  assert.is(board.console.filter((l) => l === 'app D running').length, before + 1);
});

test('board checks: ESP32 only, exact firmware version, built-in modules', () => {
  const req = { version: '2v29', modules: ['Storage', 'Wifi'] };
  const env = { BOARD: 'ESP32', VERSION: '2v29', MODULES: 'Storage,Wifi,crypto' };
  assert.is(checkBoard(env, req).error, null);
  assert.match(checkBoard({ ...env, BOARD: 'LINUX' }, req).error!, /wrong board: .*LINUX/);
  assert.is(checkBoard({ ...env, BOARD: 'LINUX' }, { ...req, allowBoards: ['LINUX'] }).error, null);
  assert.match(checkBoard({ ...env, VERSION: '2v28' }, req).error!, /runs Espruino 2v28, the bundle is built for 2v29/);
  assert.match(checkBoard({ ...env, MODULES: 'Storage' }, req).error!, /lacks the built-in module Wifi/);
  assert.is(checkBoard({ ...env, MODULES: 'Storage' }, { ...req, allowMissing: ['Wifi'] }).error, null);
  assert.match(checkBoard({}, req).error!, /not an Espruino board/);
  assert.ok(versionMatches('2v29.12', '2v29'));
  assert.not.ok(versionMatches('2v290', '2v29'));
  assert.equal(requiredModules('require("Storage");require("crypto");require("Wifi")'), ['Storage', 'Wifi']);
});

test('on-board helpers: CRC-32 check value; chunked write commands carry the bytes exactly', () => {
  assert.is(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  const data = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);
  const cmd = writeExpr('f', data, 0, data.length);
  const parts = [...cmd.matchAll(/atob\("([^"]*)"\),(\d+)(?:,(\d+))?\)/g)];
  assert.is(parts.length, Math.ceil(1000 / CHUNK));
  assert.is(parts[0][3], '1000', 'the first chunk gives the total size');
  const joined = Buffer.concat(parts.map((p) => Buffer.from(p[1], 'base64')));
  assert.is(hex(joined), hex(data));
});

test('on-board hashing: SHA-256 with crypto, CRC-32 without it, Adler-32 without E.CRC32 — all match the host', () => {
  const data = new Uint8Array(3000).map((_, i) => (i * 131 + 7) & 0xff);
  const sha = createHash('sha256').update(data).digest('hex');
  const withCrypto = freshBoard();
  withCrypto.storage.writeFile('blob', data);
  withCrypto.powerOn();
  const a: any = withCrypto.evaluate('JSON.stringify(' + hashExpr(['blob', 'none']) + ')');
  assert.equal(JSON.parse(a), { blob: { len: 3000, sha }, none: null });

  const clock = new VirtualClock();
  const noCrypto = new Board({ id: 'nocrypto', clock, timeline: new Timeline(() => clock.now()), rng: new Rng(4), env: { MODULES: 'Storage' } });
  noCrypto.storage.writeFile('blob', data);
  noCrypto.powerOn();
  const b = JSON.parse(noCrypto.evaluate('JSON.stringify(' + hashExpr(['blob']) + ')') as string);
  assert.is(b.blob.len, 3000);
  assert.is(b.blob.sha, undefined, 'no crypto module: no SHA-256');
  assert.is(b.blob.crc >>> 0, crc32(data));
  noCrypto.evaluate('E.CRC32 = undefined');
  const c = JSON.parse(noCrypto.evaluate('JSON.stringify(' + hashExpr(['blob']) + ')') as string);
  assert.equal(c, { blob: { len: 3000, adler: adler32(data) } });
  assert.is(adler32(new TextEncoder().encode('Wikipedia')), 0x11e60398); // RFC 1950 Adler-32 check value
});

test.run();

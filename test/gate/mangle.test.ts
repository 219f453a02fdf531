// Property mangling (build/mangle.mjs, build/mangle.json): the allowlist passes its safety checks, each
// check rejects what it is there for, and the names are stable between builds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkMangle, loadMangle, mangleOptions, API_NAMES_SAFE_TO_MANGLE, BOARD_WORDS_SAFE_TO_MANGLE, FLASH_WORDS_SAFE_TO_MANGLE, ESPRUINO_API_FILE } from '../../build/mangle.mjs';
import { buildStorageImage } from '../../flash/image.ts';
import { makeIdentity } from '../../flash/identity.ts';
import { buildBundle } from '../../esbuild.config.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');
const allowlist = loadMangle();

async function problemsFor(names: string[], bundles: string[] = []): Promise<string[]> {
  return checkMangle({ mangle: { names, cache: {} }, bundles });
}

test('the committed allowlist passes every check, and its cache has only allowlisted names', async () => {
  assert.ok(allowlist.names.length > 0);
  assert.equal((await checkMangle({ mangle: allowlist, bundles: [] })).filter((l) => !l.startsWith('mangle: warning:')), []);
  for (const k of Object.keys(allowlist.cache)) assert.ok(allowlist.names.includes(k), k);
});

test('a name that is data (not a function) is refused, with the place', async () => {
  const p = await problemsFor(['ssid']);
  assert.ok(p.some((l) => /"ssid" at [^:]+\.ts:\d+:\d+: a value JSON can hold/.test(l)), p.join('\n'));
});

test('a name read from an untyped object (JSON from Storage) is refused', async () => {
  const p = await problemsFor(['hmacSha256']);
  assert.ok(p.some((l) => /"hmacSha256" at .*(untyped|a value JSON can hold)/.test(l)), p.join('\n'));
});

test('a name written with JSON.stringify or writeJSON is refused', async () => {
  const p = await checkMangle({
    mangle: { names: ['onPing'], cache: {} },
    bundles: [],
    entries: ['test/gate/fixtures/mangle-written-as-json.ts'],
  });
  assert.ok(p.some((l) => /"onPing" at test\/gate\/fixtures\/mangle-written-as-json\.ts:\d+:\d+: written as JSON/.test(l)), p.join('\n'));
  // and data that is persisted (the DRBG boot state, saved through the record store) is refused as data
  const q = await problemsFor(['boots']);
  assert.ok(q.some((l) => /"boots" at hal\/espruino\/crypto\.ts:\d+:\d+: a value JSON can hold/.test(l)), q.join('\n'));
});

test('a name spelled as a string only in a type passes; as data it is refused', async () => {
  const p = await checkMangle({ mangle: { names: ['onTick', 'onTock'], cache: {} }, bundles: [], entries: ['test/gate/fixtures/mangle-type-literal.ts'] });
  assert.not.ok(p.some((l) => l.includes('"onTick" is a string literal')), p.join('\n'));
  assert.ok(p.some((l) => l.includes('"onTock" is a string literal in the sources')), p.join('\n'));
});

test('a property of a built-in or native object (declared in a .d.ts) is refused', async () => {
  const p = await problemsFor(['memory']);
  assert.ok(p.some((l) => /"memory" at hal\/espruino\/system\.ts:\d+:\d+: declared by a library or ambient type/.test(l)), p.join('\n'));
});

test('names of the Espruino API, the emulated board and the flash tool are refused', async () => {
  const p = await problemsFor(['readJSON', 'setWatch', 'staticOob']);
  assert.ok(p.some((l) => /"readJSON" is spelled by the Espruino API \(2v29: src\/jswrap_storage\.c\)/.test(l)), p.join('\n'));
  assert.ok(p.some((l) => /"setWatch" is spelled by/.test(l)), p.join('\n'));
  assert.ok(p.some((l) => /"staticOob" is spelled by the flash tool/.test(l)), p.join('\n'));
});

test('option keys the interpreter documents or its C code reads by name are refused', async () => {
  const p = await problemsFor(['dnsServers', 'bitrate']);
  assert.ok(p.some((l) => /"dnsServers" is spelled by the Espruino API \(2v29: libs\/network\/jswrap_wifi\.c\)/.test(l)), p.join('\n'));
  assert.ok(p.some((l) => /"bitrate" is spelled by the Espruino C code \(2v29: src\/jsi2c\.c\)/.test(l)), p.join('\n'));
});

test('the Espruino API data is the repository\'s own, names its source, and each exception is still needed', () => {
  assert.ok(ESPRUINO_API_FILE.startsWith(root + path.sep), ESPRUINO_API_FILE);
  const api = JSON.parse(readFileSync(ESPRUINO_API_FILE, 'utf8'));
  assert.is(api.version, '2v29');
  assert.match(api.source, /github:espruino\/Espruino 2v29/);
  assert.is(api.api.Storage, 'src/jswrap_storage.c');
  assert.is(api.api.setWatch, 'src/jswrap_io.c');
  assert.ok(Object.keys(api.api).length > 500 && Object.keys(api.objectKeys).length > 500);
  for (const [name, why] of Object.entries(API_NAMES_SAFE_TO_MANGLE)) {
    assert.ok(Object.prototype.hasOwnProperty.call(api.api, name) || Object.prototype.hasOwnProperty.call(api.objectKeys, name), name + ' is no longer spelled by the interpreter: drop its exception');
    assert.ok(String(why).length > 40, name + ' needs its reason');
  }
});

test('each exception to the emulated board\'s words is still spelled by the board, not by the interpreter, and says why', () => {
  const api = JSON.parse(readFileSync(ESPRUINO_API_FILE, 'utf8'));
  const board = readdirSync(path.join(root, 'sim', 'board')).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(path.join(root, 'sim', 'board', f), 'utf8')).join('\n');
  for (const [name, why] of Object.entries(BOARD_WORDS_SAFE_TO_MANGLE)) {
    assert.ok(new RegExp('\\b' + name + '\\b').test(board), name + ' is no longer spelled by the emulated board: drop its exception');
    assert.not.ok(Object.prototype.hasOwnProperty.call(api.api, name) || Object.prototype.hasOwnProperty.call(api.objectKeys, name), name + ' is spelled by the interpreter');
    assert.ok(String(why).length > 40, name + ' needs its reason');
  }
});

test('each exception to the flash tool\'s words is still spelled by the tool but written into no Storage file', () => {
  const tool = readdirSync(path.join(root, 'flash')).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(path.join(root, 'flash', f), 'utf8')).join('\n');
  const image = buildStorageImage({ bundle: 'print(1)', identity: makeIdentity({ seed: 'mangle-flash-words' }) });
  const written = image.map((f) => Buffer.from(f.data).toString('latin1')).join('\n');
  assert.ok(image.length > 5 && written.length > 1000);
  for (const [name, why] of Object.entries(FLASH_WORDS_SAFE_TO_MANGLE)) {
    assert.ok(new RegExp('\\b' + name + '\\b').test(tool), name + ' is no longer spelled by the flash tool: drop its exception');
    assert.not.ok(new RegExp('\\b' + name + '\\b').test(written), name + ' is in the Storage image');
    assert.ok(String(why).length > 40, name + ' needs its reason');
  }
});

test('a name spelled as a string in a bundle is refused; an unused one is a warning', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mangle-'));
  const js = path.join(dir, 'b.js');
  writeFileSync(js, 'var x = {}; x["onDone"] = 1;');
  const p = await problemsFor(['onDone', 'noSuchPropertyAnywhere'], [js]);
  assert.ok(p.some((l) => /"onDone" is a string literal in a built bundle/.test(l)), p.join('\n'));
  assert.ok(p.some((l) => /^mangle: warning: "noSuchPropertyAnywhere" is not used/.test(l)), p.join('\n'));
});

test('the firmware is built with the allowlist: no allowlisted name is left in it, and a rebuild gives the same bytes', async () => {
  assert.ok('mangleProps' in mangleOptions(allowlist));
  const dir = mkdtempSync(path.join(tmpdir(), 'mangle-'));
  const a = await buildBundle('firmware/main.ts', path.join(dir, 'a.js'));
  const b = await buildBundle('firmware/main.ts', path.join(dir, 'b.js'));
  const code = readFileSync(a.outfile, 'utf8');
  assert.is(code, readFileSync(b.outfile, 'utf8'));
  for (const n of allowlist.names) assert.not.ok(new RegExp('[.{,]' + n + '(?![A-Za-z0-9_$])').test(code), n + ' is still spelled');
  assert.ok(existsSync(path.join(root, 'build', 'mangle.json')));
  // the names come from the committed cache
  assert.equal(loadMangle().cache, allowlist.cache);
});

test.run();

// flash --pretokenise: the app stored as EspruinoTools' pretokeniser writes it (flash/pretokenise.ts).
// Checked three ways: the dry-run image holds the pretokenised app (smaller, its marker's SHA-256 over
// what is stored); on the real interpreter (ESPRUINO_BIN) a pretokenised program prints exactly what
// its text prints; a bundle the tokeniser cannot carry is refused with one line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpDir, bundleCopy, writeIdentity, runCli } from './harness.ts';
import { makeIdentity } from '../../flash/identity.ts';
import { BOOT } from '../../flash/image.ts';
import { pretokenise } from '../../flash/pretokenise.ts';

const dir = tmpDir('pretok');
const idFile = writeIdentity(dir, makeIdentity({ seed: 'pretokenise-test' }));
const firmware = bundleCopy(dir);

test('--dry-run --pretokenise stores the pretokenised app, about a tenth smaller, and its marker matches it', async () => {
  const out = path.join(dir, 'dry');
  const r = await runCli(['flash', '--dry-run', '--out', out, '--device', idFile, '--bundle', firmware, '--pretokenise', '--no-tables']);
  assert.is(r.code, 0, r.stderr);
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  const app = manifest.files.find((f: any) => f.name.startsWith(BOOT.appPrefix));
  const stored = readFileSync(path.join(out, 'storage', app.name));
  const js = readFileSync(firmware);
  assert.ok(stored.length < js.length * 0.95 && stored.length > js.length * 0.7, stored.length + ' of ' + js.length);
  assert.equal(new Uint8Array(stored), await pretokenise(new Uint8Array(js)));
  assert.ok(stored.some((b) => b >= 0x8a), 'holds token bytes');
  assert.not.ok(stored.toString('latin1').includes('return '), 'no keyword left as text');
  const marker = manifest.files.find((f: any) => f.name.startsWith(BOOT.markerPrefix));
  const m = JSON.parse(readFileSync(path.join(out, 'storage', marker.name), 'utf8'));
  assert.is(m.app, app.name);
  assert.is(m.size, stored.length);
  assert.is(m.sha256, createHash('sha256').update(stored).digest('hex'));
});

test('a bundle with characters outside ASCII is refused with one line (the build escapes them)', async () => {
  const bad = path.join(dir, 'bad.js');
  writeFileSync(bad, 'print("caf\u00e9");');
  const r = await runCli(['flash', '--dry-run', '--out', path.join(dir, 'dry-bad'), '--device', idFile, '--bundle', bad, '--pretokenise', '--no-tables']);
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /cannot pretokenise: the bundle has characters outside ASCII/);
  assert.not.ok(existsSync(path.join(dir, 'dry-bad', 'manifest.json')), 'nothing written');
});

const bin = process.env.ESPRUINO_BIN;
test('on the real interpreter a pretokenised program prints what its text prints', async () => {
  if (!bin || !existsSync(bin)) {
    console.log('  (skipped: set ESPRUINO_BIN to run pretokenised code on the real interpreter)');
    return;
  }
  // keywords, operators, strings with quotes and escapes, negative and large integers, a regex, arrows, a log code
  const src = 'var f=function(a){if(a===0)return"zero";let s=0;for(let i=0;i<a;i++)s+=i;return s>=10?"big:"+s:\'small "q" \\\\ \'+s},' +
    'g=x=>x*-300+70000,a="2",b="3",s=1;print(JSON.stringify([f(0),f(3),f(6),g(2),typeof g,null,void 0===undefined,/a+b/.test("aab"),"~R"+1,[1,2].indexOf(2)!==-1,-1>>>0,0x7fff,32768,' +
    // EspruinoTools writes `a+ +b` as `a++b` (read as ++ on the board); flash/pretokenise.ts keeps them apart
    '+a+ +b,a- -b,1+ ++s,atob("QUI=")]));\n';
  const text = path.join(dir, 'p.js');
  const tok = path.join(dir, 'p.tok');
  writeFileSync(text, src);
  writeFileSync(tok, await pretokenise(new Uint8Array(Buffer.from(src))));
  const run = (f: string) => {
    const r = spawnSync(bin, [f], { encoding: 'latin1', timeout: 20000 });
    return (r.stdout.split('\n').find((l) => l.startsWith('[')) || 'no output: ' + r.stdout + r.stderr).trim();
  };
  const expected = run(text);
  assert.match(expected, /^\["zero".*,5,5,3,"AB"\]$/);
  assert.is(run(tok), expected);
});

test.run();

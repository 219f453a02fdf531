// dist/selftest.js: built with the firmware's settings and gates, run on the emulated board
// (sim/board) from Storage like a flashed program: once with the IDF5 `crypto` module (native path
// after the pure one), once as an IDF4 build without it. Its last line must be `N passed, 0 failed`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildBundle } from '../../esbuild.config.mjs';
import { checkFile } from '../../build/check.mjs';
import { makeBoard, world } from '../sim/helpers.ts';
import { ESP32_MODULES } from '../../sim/board/board.ts';
import { makeSelftestVectors, SELFTEST_VECTORS_FILE } from './selftest-vectors.ts';

let bundle = '';

test('firmware/selftest-vectors.json is generated from test/vectors (not stale)', () => {
  assert.is(readFileSync(SELFTEST_VECTORS_FILE, 'utf8'), makeSelftestVectors());
});

test('the self-test bundle builds with the firmware settings and passes the gates', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ffs-selftest-'));
  const out = path.join(dir, 'selftest.js');
  await buildBundle('firmware/selftest.ts', out);
  const problems = checkFile(out);
  assert.equal(problems.map((p: { text: string }) => p.text), []);
  bundle = readFileSync(out, 'utf8');
  assert.ok(bundle.length > 1000 && bundle.length <= 65536, 'size ' + bundle.length);
});

let idf5Passed = 0;

async function runOnBoard(modules: string[]): Promise<string[]> {
  const w = world();
  const b = makeBoard(w, { '.bootcde': bundle }, { env: { MODULES: modules.join(',') } });
  b.powerOn();
  await w.clock.run({ until: 600000 });
  return b.console.slice();
}

test('on the emulated ESP32 (IDF5: native SHA-256/AES present) every vector passes, pure and native', async () => {
  const lines = await runOnBoard(ESP32_MODULES);
  const last = lines[lines.length - 1];
  assert.match(last, /^\d+ passed, 0 failed$/, lines.filter((l) => l.startsWith('FAIL') || /Uncaught|ERROR/.test(l)).join('\n') || last);
  assert.ok(lines.includes('native crypto: SHA-256 yes, AES yes'), lines.join('\n'));
  idf5Passed = Number(last.split(' ')[0]);
  assert.ok(idf5Passed >= 150, last);
});

test('as an IDF4 build (no crypto module) the pure path alone passes', async () => {
  const lines = await runOnBoard(ESP32_MODULES.filter((m) => m !== 'crypto'));
  const last = lines[lines.length - 1];
  assert.match(last, /^\d+ passed, 0 failed$/, lines.join('\n'));
  assert.ok(lines.includes('native crypto: SHA-256 no, AES no'), lines.join('\n'));
  const n = Number(last.split(' ')[0]);
  assert.ok(n >= 85, last);
  assert.ok(idf5Passed - n >= 70, 'the IDF5 run repeats the symmetric vectors natively: ' + idf5Passed + ' vs ' + n);
});

test.run();

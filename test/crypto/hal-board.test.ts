// The Espruino CryptoService on the emulated board, built like the firmware (test/crypto/fixtures/
// hal-random.ts): the board's own generator repeats after every power-on (its fixed-seed LCG), the
// HAL's bytes and the reseeded generator do not; a board without a seed stops with a clear error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildBundle } from '../../esbuild.config.mjs';
import { checkFile } from '../../build/check.mjs';
import { makeBoard, world } from '../sim/helpers.ts';
import { FILES } from '../../hal/storage-layout.ts';

let code = '';

test('the HAL crypto entry builds and passes the gates', async () => {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'ffs-halrand-')), 'hal-random.js');
  await buildBundle('test/crypto/fixtures/hal-random.ts', out);
  assert.equal(checkFile(out).map((p: { text: string }) => p.text), []);
  code = readFileSync(out, 'utf8');
});

test('power cycles: HAL random bytes and the reseeded Math.random differ every boot; the stock generator repeats', async () => {
  const w = world();
  const b = makeBoard(w, { '.bootcde': code });
  b.storage.writeFile(FILES.seed, new Uint8Array(32).fill(0x42));
  const boots: string[][] = [];
  for (let i = 0; i < 3; i++) {
    const from = b.console.length;
    if (i === 0) b.powerOn();
    else {
      b.powerOff('test power cut');
      b.powerOn();
    }
    await w.clock.run({ until: w.clock.now() + 100 });
    boots.push(b.console.slice(from));
  }
  const pick = (lines: string[], prefix: string) => lines.find((l) => l.startsWith(prefix)) || '(missing ' + prefix + ')';
  const random = boots.map((l) => pick(l, 'random '));
  const before = boots.map((l) => pick(l, 'Math.random before'));
  const after = boots.map((l) => pick(l, 'Math.random after'));
  assert.is(new Set(random).size, 3, random.join('\n'));
  assert.is(new Set(before).size, 1, 'the emulated stock LCG repeats: ' + before.join(' | '));
  assert.is(new Set(after).size, 3, after.join('\n'));
  assert.ok(boots[2].some((l) => l.includes('info crypto: boot 3;')), boots[2].join('\n'));
});

test('a board without a seed stops at boot with one clear error', async () => {
  const w = world();
  const b = makeBoard(w, { '.bootcde': code });
  b.powerOn();
  await w.clock.run({ until: 100 });
  const text = b.console.join('\n');
  assert.match(text, /crypto: device seed "ffs\.seed" is missing: provision the device with the flash tool/);
  assert.not.match(text, /^random /m);
});

test.run();

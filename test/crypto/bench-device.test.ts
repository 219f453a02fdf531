// dist/bench.js (entry bench/device.ts): built and gated like the firmware, run on the emulated board
// with the fixed-base tables in Storage as the flash tool writes them. Checks that every operation
// runs and reports (timings themselves are virtual-time there and are not asserted).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildBundle } from '../../esbuild.config.mjs';
import { checkFile } from '../../build/check.mjs';
import { makeBoard, world } from '../sim/helpers.ts';
import { FILES } from '../../hal/storage-layout.ts';
import { buildTable, parseSpkiPublicKey } from '../../firmware/crypto/p256.ts';
import { unhex, vectors } from './helpers.ts';

test('dist/bench.js passes the gates and reports every operation on the emulated board', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ffs-bench-'));
  const out = path.join(dir, 'bench.js');
  await buildBundle('bench/device.ts', out);
  assert.equal(checkFile(out).map((p: { text: string }) => p.text), []);
  const w = world();
  const dtKeyDer = unhex(vectors('selftest-ecc.json').wss.deviceTypePublicKeyDer);
  const b = makeBoard(w, { '.bootcde': readFileSync(out, 'utf8') });
  b.storage.writeFile(FILES.generatorTable, buildTable('G'));
  b.storage.writeFile(FILES.deviceTypeKey, dtKeyDer);
  b.storage.writeFile(FILES.deviceTypeTable, buildTable(parseSpkiPublicKey(dtKeyDer)!));
  b.powerOn();
  await w.clock.run({ until: 60000 });
  const lines = b.console.join('\n');
  for (const op of [
    'AES-CMAC 145 bytes (pure)',
    'AES-CCM encrypt 25 bytes (pure)',
    'P-256 key generation (no table)',
    'P-256 ECDH, unknown peer key',
    'P-256 ECDSA verify, no tables',
    'P-256 key generation (G table)',
    'P-256 ECDSA verify (G table)',
    'P-256 ECDH, device-type key with table',
    'AES-CMAC 145 bytes (native)',
  ]) {
    assert.match(lines, new RegExp('bench ' + op.replace(/[()]/g, '\\$&') + ': [0-9.]+ ms/op'), op + '\n' + lines);
  }
  assert.match(lines, /bench P-256 ECDH sliced: \d+ ms wall, \d+ slices/);
  assert.not.match(lines, /failed|rejected|Uncaught/);
  assert.is(b.console[b.console.length - 1], 'bench: done');
});

test.run();

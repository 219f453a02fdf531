// The real bundle (dist/firmware.js, built here) boots in the emulated board from a flashed image.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync } from 'node:fs';
import { buildAll } from '../../esbuild.config.mjs';
import { runScenario, FIRMWARE_PATH, BOOT_LINE, deviceImage, loadScenario } from '../../sim/scenario';
import { world, makeBoard } from './helpers';

test.before(async () => {
  const started = Date.now();
  await buildAll([]);
  assert.ok(statSync(FIRMWARE_PATH).mtimeMs >= started - 1000, 'dist/firmware.js was rebuilt');
});

test('the flashed bundle boots, hardens both consoles and prints its boot line', async () => {
  const report = await runScenario('boot', { storageDir: null });
  assert.ok(report.ok, report.failures.join('\n'));
  assert.is(report.outcome, 'booted');
  const board = report.boards[0];
  assert.ok(board.console.some((l) => l.includes(BOOT_LINE) && l.includes('Espruino 2v29')), board.console.join('\n'));
  assert.equal(board.consoles, { telnet: false, bleUart: false });
  const at = (text: string) => report.events.find((e) => e.summary.includes(text))?.t;
  assert.is(at('telnet console (port 23) closed'), at(BOOT_LINE), 'closed during the boot itself');
  assert.is(at('BLE UART console closed'), at(BOOT_LINE));
});

test('the same bytes as dist/firmware.js run on the board (Storage holds them byte for byte)', async () => {
  const bundle = readFileSync(FIRMWARE_PATH, 'latin1');
  const scenario = await loadScenario('boot');
  const files = await deviceImage(bundle, scenario, 'dev1');
  const w = world();
  const b = makeBoard(w);
  for (const f of files) b.storage.writeFile(f.name, f.data);
  const app = b.storage.list().filter((n) => b.storage.readString(n) === bundle);
  assert.is(app.length, 1, 'one Storage file is the bundle itself');
  b.powerOn();
  await w.clock.run({ until: 2000 });
  assert.ok(b.console.some((l) => l.includes(BOOT_LINE)), b.console.join('\n'));
});

test('boots are deterministic: same seed, same timeline', async () => {
  const a = await runScenario('boot', { storageDir: null });
  const b = await runScenario('boot', { storageDir: null });
  const strip = (r: typeof a) => r.events.map((e) => `${e.t} ${e.actor} ${e.kind} ${e.summary}`);
  assert.equal(strip(a), strip(b));
});

test.run();

// The boot of dist/firmware.js on an emulated board, with the HAL's services made on first use
// (hal/espruino/index.ts): a set-up board never makes its DRBG, so it writes no boot counter; a board
// that runs setup makes it at boot and persists the counter before any output; a board flashed
// without its DRBG seed stops at boot with one clear error, whatever it would have done next.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
// @ts-ignore plain ESM build script
import { setUpFiles } from '../../build/jsvars.mjs';
import { loadScenario, runScenario } from '../../sim/scenario.ts';
// @ts-ignore plain ESM build script
import { buildBundle } from '../../esbuild.config.mjs';

/**
 * The `boot` scenario with both flows on, run twice on one kept Storage: the first run flashes the
 * board; before the second, the records setup leaves are added (setUp) or the seed is taken away.
 */
async function boot(opts: { setUp: boolean; seed?: boolean; storageFull?: boolean; mesh?: boolean; firmwarePath?: string; durationMs?: number }): Promise<{ texts: string[]; bootRecord: string; written: string }> {
  const scenario = await loadScenario('boot');
  scenario.device.config = { flows: { wss: true, mesh: opts.mesh !== false, softAp: true } };
  scenario.expect = {};
  scenario.durationMs = opts.durationMs || 3000;
  const dir = mkdtempSync(path.join(tmpdir(), 'ffs-boot-'));
  await runScenario(scenario, { storageDir: dir, cpu: null, firmwarePath: opts.firmwarePath });
  const file = path.join(dir, 'dev1.storage.json');
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  let files = new Map<string, Buffer>();
  for (const f of doc.files) if (!/^(wss\.state|ffs\.meshnet)\./.test(f.name)) files.set(f.name, Buffer.from(f.base64, 'base64'));
  if (opts.setUp) files = setUpFiles(files);
  if (opts.seed === false) files.delete('ffs.seed');
  if (opts.storageFull) {
    // no boot record, and the rest of the 896 KB flash filled: the DRBG cannot persist its boot counter
    files.delete('ffs.boot.a');
    files.delete('ffs.boot.b');
    let used = 0;
    for (const d of files.values()) used += Math.ceil((d.length + 32) / 4) * 4;
    files.set('junk', Buffer.alloc(896 * 1024 - used - 32 - 120, 0x41));
  }
  const bootRecord = (files.get('ffs.boot.a') || '').toString() + '|' + (files.get('ffs.boot.b') || '').toString();
  doc.files = [...files].map(([name, data]) => ({ name, base64: data.toString('base64') }));
  writeFileSync(file, JSON.stringify(doc));
  const r = await runScenario(scenario, { storageDir: dir, keepStorage: true, cpu: null, firmwarePath: opts.firmwarePath });
  const after = JSON.parse(readFileSync(file, 'utf8')).files as Array<{ name: string; base64: string }>;
  const text = (n: string): string => Buffer.from((after.find((f) => f.name === n) || { base64: '' }).base64, 'base64').toString();
  const now = text('ffs.boot.a') + '|' + text('ffs.boot.b');
  return { texts: r.events.map((e) => e.actor + ' ' + e.summary), bootRecord, written: now === bootRecord ? '' : now };
}

test('a set-up board boots, joins and stays quiet without making its DRBG: no boot counter written', async () => {
  const r = await boot({ setUp: true });
  assert.ok(r.texts.some((t) => t.includes('FFS provisionee booted')), r.texts.join('\n'));
  assert.ok(r.bootRecord.length > 1, 'the flashed image has a boot record');
  assert.is(r.written, '', 'ffs.boot untouched');
  assert.not.ok(r.texts.some((t) => /info crypto: /.test(t)), 'no DRBG made');
});

test('a board that runs setup makes its DRBG at boot: the boot counter is persisted', async () => {
  const r = await boot({ setUp: false });
  assert.ok(r.texts.some((t) => t.includes('FFS provisionee booted')));
  assert.ok(r.written.length > 1, 'ffs.boot rewritten');
  assert.not.ok(r.texts.some((t) => t.includes('error boot')), r.texts.join('\n'));
});

test('a set-up board flashed without its seed stops at boot with one clear error, no boot line', async () => {
  const r = await boot({ setUp: true, seed: false });
  assert.ok(r.texts.some((t) => /error boot: .*ffs\.seed/.test(t)), r.texts.join('\n'));
  assert.not.ok(r.texts.some((t) => t.includes('FFS provisionee booted')), 'FFS idle');
  assert.not.ok(r.texts.some((t) => t.includes('Uncaught')));
});

test('a set-up board never runs the setup machinery ($L of build/lazy.mjs); a fresh board does', async () => {
  // the firmware built with FFS_LAZY_DEBUG: $L prints "LAZY <i>" the first time it runs
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'ffs-lazy-debug-')), 'firmware.js');
  const was = process.env.FFS_LAZY_DEBUG;
  process.env.FFS_LAZY_DEBUG = '1';
  const err = console.error;
  console.error = () => undefined; // (the build's list of handed-out names)
  try {
    await buildBundle('firmware/main.ts', file, [], {}, { lazy: true });
  } finally {
    console.error = err;
    if (was === undefined) delete process.env.FFS_LAZY_DEBUG;
    else process.env.FFS_LAZY_DEBUG = was;
  }
  // 60 s: the saved home network is not on the air in this world, so the board also fails to rejoin it
  // and tries again (RETRY_MS): a rejoin that fails must not run the setup machinery either
  const setUp = await boot({ setUp: true, firmwarePath: file, durationMs: 60000 });
  assert.ok(setUp.texts.some((t) => t.includes('FFS provisionee booted')), setUp.texts.join('\n'));
  assert.ok(setUp.texts.some((t) => /warn wss: saved network: WIFI_NO_AP_FOUND/.test(t)), setUp.texts.join('\n'));
  assert.is(setUp.texts.filter((t) => /joining the saved network/.test(t)).length, 2, 'joined again after RETRY_MS');
  assert.not.ok(setUp.texts.some((t) => /LAZY \d/.test(t)), setUp.texts.filter((t) => /LAZY/.test(t)).join('\n'));
  const fresh = await boot({ setUp: false, firmwarePath: file });
  assert.ok(fresh.texts.some((t) => /LAZY \d/.test(t)), 'the debug build does print it when setup runs');
});

for (const mesh of [false, true]) {
  test(`a fresh board whose DRBG cannot persist its boot counter (Storage full) stops at boot with one error, FFS idle (${mesh ? 'both flows' : 'WSS only'})`, async () => {
    const r = await boot({ setUp: false, storageFull: true, mesh });
    const all = r.texts.join('\n');
    assert.ok(r.texts.some((t) => /error boot: .*boot counter/.test(t)), all);
    assert.not.ok(/Uncaught|Wi-Fi Simple Setup run|beaconing|soft AP/.test(all), all);
  });
}

test.run();

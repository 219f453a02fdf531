// The Espruino lane (tools/espruino/lane.ts). Its bad-input answers are tested always (fake binaries,
// a held port: no interpreter needed). The lane itself runs on the real interpreter only when
// ESPRUINO_BIN is set; otherwise this file prints one line saying it did not run and how to run it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const lane = path.join(root, 'tools/espruino/lane.ts');

function runLane(args: string[], env: Record<string, string | undefined>, timeoutMs = 60000) {
  const e = { ...process.env, ...env };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  const r = spawnSync(process.execPath, ['--import', 'tsx', lane, ...args], { cwd: root, env: e, encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** What tools/espruino/profile-check.mjs's probe prints, for a build with these properties. */
function probeLine(board: string, version: string, total: number, blocksize: number): string {
  return 'FFS-PROFILE ' + JSON.stringify({ env: { BOARD: board, VERSION: version, MODULES: 'Storage,dgram,TelnetServer' }, memory: { total, blocksize }, storageVars: 1 });
}

/** An executable that prints `text` whatever it is asked (a binary that is not the right Espruino). */
function fakeBinary(dir: string, text: string): string {
  const f = path.join(dir, 'espruino');
  writeFileSync(f, `#!/bin/sh\nprintf '%s\\n' '${text}'\n`);
  chmodSync(f, 0o755);
  return f;
}

test('no binary: one line naming the fix, exit 2', () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'lane-test-'));
  const r = runLane(['--only', 'selftest'], { ESPRUINO_BIN: undefined, ESPRUINO_BUILD_DIR: empty });
  rmSync(empty, { recursive: true, force: true });
  assert.is(r.code, 2);
  assert.is(r.err.trim().split('\n').length, 1, r.err);
  assert.match(r.err, /ESPRUINO_BIN is not set and .*espruino does not exist .*npm run espruino:build/);
  const missing = runLane(['--only', 'selftest'], { ESPRUINO_BIN: '/nonexistent/espruino' });
  assert.is(missing.code, 2);
  assert.match(missing.err, /^test:espruino: no interpreter at \/nonexistent\/espruino: build one/);
});

test('a binary that is not Espruino, or not the ESP32 profile: one line, exit 2', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lane-test-'));
  try {
    const notEspruino = runLane(['--only', 'selftest', '--no-record'], { ESPRUINO_BIN: fakeBinary(dir, 'hello') });
    assert.is(notEspruino.code, 2);
    assert.match(notEspruino.err, /did not run the probe \(not an Espruino interpreter\?\)/);
    assert.is(notEspruino.err.trim().split('\n').length, 1, notEspruino.err);
    const stock = runLane(['--only', 'selftest', '--no-record'], {
      ESPRUINO_BIN: fakeBinary(dir, probeLine('LINUX', '2v29', 4096, 27)),
    });
    assert.is(stock.code, 2);
    assert.match(stock.err, /is not the ESP32-profile Espruino 2v29 build: board LINUX, need FFS_ESP32_PROFILE.*4096 JsVars of 27 bytes, need 16383 of 14/);
    const old = runLane(['--only', 'selftest', '--no-record'], {
      ESPRUINO_BIN: fakeBinary(dir, probeLine('FFS_ESP32_PROFILE', '2v25', 16383, 14)),
    });
    assert.is(old.code, 2);
    assert.match(old.err, /version 2v25, need 2v29/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the telnet port is busy: one line naming what to do, exit 2, before anything runs', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lane-test-'));
  const holder = net.createServer();
  const held = await new Promise<boolean>((r) => {
    holder.once('error', () => r(false)); // something else already holds it: busy either way
    holder.listen(2323, '0.0.0.0', () => r(true));
  });
  try {
    const bin = fakeBinary(dir, probeLine('FFS_ESP32_PROFILE', '2v29', 16383, 14));
    const r = runLane(['--only', 'flows', '--no-record'], { ESPRUINO_BIN: bin });
    assert.is(r.code, 2);
    assert.match(r.err, /^test:espruino: port 2323 is busy: .*stop what holds it/);
    assert.is(r.err.trim().split('\n').length, 1, r.err);
  } finally {
    if (held) await new Promise<void>((r) => holder.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
});

const bin = process.env.ESPRUINO_BIN;
if (!bin) {
  console.log('espruino lane: NOT RUN (ESPRUINO_BIN is not set). To run it: npm run espruino:build -- <Espruino 2v29 checkout>, then ESPRUINO_BIN=<the binary> npm test -- espruino (or npm run test:espruino)');
} else {
  test('the lane on the real interpreter: self-test passes, bench runs, the flashed firmware boots, the mesh flow is provisioned', () => {
    const r = runLane(['--no-record'], { ESPRUINO_BIN: bin }, 45 * 60000);
    const out = r.out + r.err;
    assert.match(out, /selftest: \d+ passed, 0 failed/);
    assert.match(out, /bench: \d+ rows/);
    assert.match(out, /flash: flashed and booted/);
    assert.match(out, /mesh: provisioned/);
    assert.is(r.code, 0, out.split('\n').slice(-30).join('\n'));
  });
}

test.run();

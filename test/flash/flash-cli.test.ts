// End to end: the flash command (a child process using the espruino package) flashes an emulated
// board over TCP; every Storage file is checked byte for byte and the firmware must boot. Then each
// bad input gives one clear line, a non-zero exit, and a board left as it was or booting its old app.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import path from 'node:path';
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { startBoard, tmpDir, bundleCopy, tinyBundle, writeIdentity, runCli, type TestBoard } from './harness.ts';
import { buildStorageImage, buildTables, BOOT, SECRET_FILES } from '../../flash/image.ts';
import { FILES } from '../../hal/storage-layout.ts';
import { identityFromJson, identityToJson, makeIdentity } from '../../flash/identity.ts';
import { BOOT_LINE } from '../../firmware/app.ts';

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : 'missing');
const dir = tmpDir('cli');
const identity = makeIdentity({ seed: 'flash-cli-test' });
const idFile = writeIdentity(dir, identity);
const firmware = bundleCopy(dir);

function oneLineError(r: { stderr: string }, re: RegExp): void {
  const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('flash: '));
  assert.is(lines.length, 1, 'exactly one error line: ' + r.stderr);
  assert.match(lines[0], re);
}

function appsAndMarkers(tb: TestBoard): string[] {
  return tb.board.storage.list().filter((n) => n.startsWith(BOOT.appPrefix) || n.startsWith(BOOT.markerPrefix)).sort();
}

let main: TestBoard;
test.before(async () => {
  main = await startBoard({ id: 'flash-main' });
});
test.after(async () => {
  await main.close();
});

test('flashes a fresh emulated board: every Storage file byte for byte, the firmware boots', async () => {
  const r = await runCli(['flash', '--port', main.port, '--device', idFile, '--bundle', firmware]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Flashed .* on ESP32 \(Espruino 2v29\)/);
  assert.match(r.stdout, new RegExp('booted +.*' + BOOT_LINE));
  // the boot line as the source wrote it (the dictionary id comes off), and which dictionary reads the logs
  const logs = JSON.parse(readFileSync(firmware.replace(/\.js$/, '.logs.json'), 'utf8'));
  assert.match(r.stdout, new RegExp('booted +info boot: ' + BOOT_LINE + ' v\\S+ on ESP32 Espruino 2v29\n'));
  assert.match(r.stdout, new RegExp('logs +coded, dictionary ' + logs.id));
  assert.not.match(r.stderr, /warning/);
  assert.not.match(r.stderr, /refused .* internet fetch/);
  const bundle = readFileSync(firmware);
  const expected = buildStorageImage({ bundle, identity, tables: await buildTables(identity), generation: 1 });
  // every file byte for byte but the fresh entropy of this flash (seed, boot record: random each time)
  const fresh = [FILES.seed, FILES.bootCounter + '.a', FILES.bootCounter + '.b'];
  for (const f of expected) if (!fresh.includes(f.name)) assert.is(hex(main.board.storage.read(f.name)), hex(f.data), f.name);
  const seed = main.board.storage.read(FILES.seed)!;
  assert.is(seed.length, 32);
  assert.ok(main.board.console.some((l) => l.includes(BOOT_LINE)), 'the firmware printed its boot line');
  // secrets never reach the terminal
  const all = r.stdout + r.stderr;
  assert.not.ok(all.includes(hex(identity.deviceKey).slice(0, 40)));
  assert.not.ok(all.includes(hex(identity.mesh.staticOob)));
  assert.not.ok(all.includes(Buffer.from(seed).toString('base64').slice(0, 20)));
  assert.not.ok(all.includes(hex(seed).slice(0, 20)));
});

test('reflashing a new app switches the boot entry and removes the old app', async () => {
  const before = appsAndMarkers(main);
  const app2 = tinyBundle(dir, 'second app');
  const r = await runCli(['flash', '--port', main.port, '--device', idFile, '--bundle', app2]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /boot generation 2/);
  assert.match(r.stdout, /erased +ffs\.app\./);
  const now = appsAndMarkers(main);
  assert.is(now.length, 2);
  for (const n of before) assert.not.ok(now.includes(n), 'old ' + n + ' erased');
  assert.match(main.board.console[main.board.console.length - 1], /booted \(second app\)/);
  assert.match(r.stdout, /already there/);
});

test('read-back mismatch: one line, exit 6, the partial app is removed and the previous app still boots', async () => {
  const board = main.board as any;
  const original = board.storageWrite;
  board.storageWrite = function (name: string, data: Uint8Array, offset: number, size: number, asError: unknown) {
    if (name.startsWith(BOOT.appPrefix) && offset === 0) {
      data = new Uint8Array(data);
      data[0] ^= 0x20; // one flipped bit in flash
    }
    return original.call(this, name, data, offset, size, asError);
  };
  try {
    const before = appsAndMarkers(main);
    const r = await runCli(['flash', '--port', main.port, '--device', idFile, '--bundle', tinyBundle(dir, 'third app')]);
    assert.is(r.code, 6, r.stderr);
    oneLineError(r, /read-back mismatch for ffs\.app\.[0-9a-f]{8}/);
    assert.equal(appsAndMarkers(main), before, 'apps and markers as they were');
  } finally {
    board.storageWrite = original;
  }
  main.board.reboot('power cycle');
  assert.match(main.board.console[main.board.console.length - 1], /booted \(second app\)/);
});

test('connection lost in the middle of the app: exit 3, one line; after a power cycle the previous app boots', async () => {
  const tb = await startBoard({ id: 'flash-cut' });
  try {
    const first = await runCli(['flash', '--port', tb.port, '--device', idFile, '--bundle', tinyBundle(dir, 'old app')]);
    assert.is(first.code, 0, first.stderr);
    const board = tb.board as any;
    const original = board.storageWrite;
    let cut = false;
    board.storageWrite = function (name: string, data: Uint8Array, offset: number, size: number, asError: unknown) {
      const r = original.call(this, name, data, offset, size, asError);
      if (!cut && name.startsWith(BOOT.appPrefix) && offset > 0) {
        cut = true;
        void tb.repl.close(); // the cable is pulled after the second chunk of the new app
      }
      return r;
    };
    const r = await runCli(['flash', '--port', tb.port, '--device', idFile, '--bundle', firmware]);
    board.storageWrite = original;
    assert.ok(cut, 'the connection was cut during the app');
    assert.is(r.code, 3, r.stderr);
    oneLineError(r, /closed the connection/);
    tb.board.reboot('power cycle');
    assert.match(tb.board.console[tb.board.console.length - 1], /booted \(old app\)/);
  } finally {
    board_off(tb);
  }
});

function board_off(tb: TestBoard): void {
  if (tb.board.storage) tb.board.powerOff('test over');
}

test('Storage full: refused before anything is written', async () => {
  const small = await startBoard({ id: 'flash-small', storageCapacity: 48 * 1024 });
  try {
    const r = await runCli(['flash', '--port', small.port, '--device', idFile, '--bundle', firmware]);
    assert.is(r.code, 5, r.stderr);
    oneLineError(r, /Storage full: the image needs \d+ bytes, the board has \d+ free/);
    assert.equal(small.board.storage.list(), []);
  } finally {
    await small.close();
  }
});

test('wrong board, wrong firmware version, missing built-in module: refused, nothing written', async () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ BOARD: 'LINUX' }, /wrong board: it is an Espruino LINUX build/],
    [{ VERSION: '2v28' }, /wrong firmware: the board runs Espruino 2v28, the bundle is built for 2v29/],
    [{ MODULES: 'timer,Flash,Storage,crypto' }, /lacks the built-in modules? .*Wifi/],
  ];
  for (const [env, re] of cases) {
    const tb = await startBoard({ id: 'flash-wrong', env: env as any });
    try {
      const r = await runCli(['flash', '--port', tb.port, '--device', idFile, '--bundle', firmware]);
      assert.is(r.code, 4, JSON.stringify(env) + r.stderr);
      oneLineError(r, re);
      assert.equal(tb.board.storage.list(), []);
    } finally {
      await tb.close();
    }
  }
});

test('no such port (TCP and serial), port in use, board not answering', async () => {
  const free = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  let r = await runCli(['flash', '--port', `tcp://127.0.0.1:${free}`, '--device', idFile, '--bundle', firmware]);
  assert.is(r.code, 3, r.stderr);
  oneLineError(r, /no such port: nothing is listening at tcp:\/\/127\.0\.0\.1:\d+/);

  r = await runCli(['flash', '--port', '/dev/ttyFFS-NOPE', '--device', idFile, '--bundle', firmware]);
  assert.is(r.code, 3, r.stderr);
  oneLineError(r, /no such port: \/dev\/ttyFFS-NOPE does not exist/);

  const holder = net.connect(main.repl.port, '127.0.0.1');
  await new Promise((res) => holder.once('connect', res));
  try {
    r = await runCli(['flash', '--port', main.port, '--device', idFile, '--bundle', firmware]);
    assert.is(r.code, 3, r.stderr);
    oneLineError(r, /port in use/);
  } finally {
    holder.destroy();
  }

  const mute = net.createServer(() => {}).listen(0, '127.0.0.1');
  await new Promise((res) => mute.once('listening', res));
  try {
    r = await runCli(['flash', '--port', `tcp://127.0.0.1:${(mute.address() as net.AddressInfo).port}`, '--device', idFile, '--bundle', firmware]);
    assert.is(r.code, 3, r.stderr);
    oneLineError(r, /board not answering: no reply to process\.env/);
  } finally {
    mute.close();
  }
});

test('malformed identity, missing key, missing bundle, bad arguments: one line each, exit 2', async () => {
  const bad = path.join(dir, 'bad.json');
  writeFileSync(bad, '{ not json');
  let r = await runCli(['flash', '--port', main.port, '--device', bad, '--bundle', firmware]);
  assert.is(r.code, 2);
  oneLineError(r, /malformed identity .*bad\.json: not JSON/);

  const j: any = identityToJson(identity);
  delete j.deviceKey;
  const nokey = path.join(dir, 'nokey.json');
  writeFileSync(nokey, JSON.stringify(j));
  r = await runCli(['flash', '--port', main.port, '--device', nokey, '--bundle', firmware]);
  assert.is(r.code, 2);
  oneLineError(r, /missing key in .*nokey\.json: deviceKey: missing/);

  const j2: any = identityToJson(identity);
  j2.mesh.staticOob = 'abcd';
  const short = path.join(dir, 'short.json');
  writeFileSync(short, JSON.stringify(j2));
  r = await runCli(['flash', '--port', main.port, '--device', short, '--bundle', firmware]);
  assert.is(r.code, 2);
  oneLineError(r, /malformed identity .*mesh\.staticOob: must be 16 bytes/);

  r = await runCli(['flash', '--port', main.port, '--device', idFile, '--bundle', path.join(dir, 'none.js')]);
  assert.is(r.code, 2);
  oneLineError(r, /no bundle at .*none\.js/);

  r = await runCli(['flash', '--device', idFile]);
  assert.is(r.code, 2);
  oneLineError(r, /missing --port/);
});

test('--dry-run --out writes exactly the image, secrets owner-only, and the REPL text', async () => {
  const out = path.join(dir, 'dry');
  const r = await runCli(['flash', '--dry-run', '--out', out, '--device', idFile, '--bundle', firmware]);
  assert.is(r.code, 0, r.stderr);
  const expected = buildStorageImage({ bundle: readFileSync(firmware), identity, tables: await buildTables(identity) });
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  assert.equal(manifest.files.map((f: any) => f.name), expected.map((f) => f.name));
  const fresh = [FILES.seed, FILES.bootCounter + '.a', FILES.bootCounter + '.b'];
  for (const f of expected) {
    const file = path.join(out, 'storage', f.name);
    // the seed and the boot record are fresh randomness at every build of the image
    if (fresh.includes(f.name)) assert.is(readFileSync(file).length, f.data.length, f.name);
    else assert.is(hex(readFileSync(file)), hex(f.data), f.name);
    if (SECRET_FILES.includes(f.name)) assert.is(statSync(file).mode & 0o777, 0o600, f.name);
  }
  assert.is(statSync(path.join(out, 'upload.txt')).mode & 0o777, 0o600);
  const upload = readFileSync(path.join(out, 'upload.txt'), 'latin1');
  assert.ok(upload.startsWith('\x10(function(S){'));
  assert.ok(upload.trimEnd().endsWith('\x10load()'));
  assert.ok(existsSync(out));
  // the identity file on disk is untouched and still valid
  identityFromJson(JSON.parse(readFileSync(idFile, 'utf8')));
});

test('logs: a serial capture in words with the bundle\'s dictionary; other lines as they came, with a note', async () => {
  const logs = JSON.parse(readFileSync(firmware.replace(/\.js$/, '.logs.json'), 'utf8'));
  const [code, e] = Object.entries(logs.codes).find(([, v]: [string, any]) => v.args.length === 0 && v.tag === 'wss') as [string, any];
  const capture = path.join(dir, 'capture.txt');
  writeFileSync(capture, [
    `>info boot: ${BOOT_LINE} v0.1.0 on ESP32 Espruino 2v29 ~${logs.id}`,
    `${e.level} wss: ~${code}`,
    'info wss: ~\u00ff\u00ff',
    'Uncaught Error: boom',
  ].join('\n') + '\n');
  const r = await runCli(['logs', '--bundle', firmware, capture]);
  assert.is(r.code, 0, r.stderr);
  const out = r.stdout.trim().split('\n');
  assert.equal(out.slice(0, 2), [`>info boot: ${BOOT_LINE} v0.1.0 on ESP32 Espruino 2v29`, `${e.level} wss: ${e.parts[0]}`]);
  assert.match(out[2], /^info wss: ~\u00ff\u00ff {2}\[log code: unknown log code/);
  assert.is(out[3], 'Uncaught Error: boom');
  const none = await runCli(['logs', '--dict', path.join(dir, 'no-such.logs.json'), capture]);
  assert.is(none.code, 2);
  assert.match(none.stderr, /^logs: no log dictionary at /);
});

test.run();

// The serial path: the flash tool opens a pseudo-terminal with the serialport package (as a USB-serial
// adapter would appear), bridged to the emulated board's REPL. Needs python3 for the pty.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startBoard, tmpDir, bundleCopy, writeIdentity, runCli, root, type TestBoard } from './harness.ts';
import { makeIdentity } from '../../flash/identity.ts';
import { BOOT_LINE } from '../../firmware/app.ts';

const hasPython = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;
const dir = tmpDir('serial');
const idFile = writeIdentity(dir, makeIdentity({ seed: 'serial-test' }));
const firmware = bundleCopy(dir);

let tb: TestBoard;
let bridge: ChildProcess;
let ptyPath = '';

test.before(async () => {
  if (!hasPython) return;
  tb = await startBoard({ id: 'serial' });
  bridge = spawn('python3', [path.join(root, 'test/flash/pty-bridge.py'), String(tb.repl.port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  ptyPath = await new Promise<string>((resolve) => bridge.stdout!.once('data', (d) => resolve(String(d).trim().split('\n')[0])));
});
test.after(async () => {
  if (!hasPython) return;
  bridge.kill();
  await tb.close();
});

if (hasPython) {
  test('flashes through a serial port (pseudo-terminal) and the firmware boots', async () => {
    assert.match(ptyPath, /^\/dev\//);
    const r = await runCli(['flash', '--port', ptyPath, '--baud', '115200', '--device', idFile, '--bundle', firmware]);
    assert.is(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, new RegExp('booted +.*' + BOOT_LINE));
    assert.ok(tb.board.console.some((l) => l.includes(BOOT_LINE)));
  });

  test('a serial port held (locked) by another program: port in use', async () => {
    const { SerialPort } = createRequire(import.meta.url)('serialport');
    const holder = new SerialPort({ path: ptyPath, baudRate: 115200 });
    await new Promise((resolve, reject) => {
      holder.once('open', resolve);
      holder.once('error', reject);
    });
    try {
      const r = await runCli(['flash', '--port', ptyPath, '--device', idFile, '--bundle', firmware]);
      assert.is(r.code, 3, r.stderr);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('flash: '));
      assert.equal(errors.length, 1, r.stderr);
      assert.match(errors[0], /^flash: port in use: .* is held by another program$/);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
} else {
  console.log('flash-serial: python3 with pty not available, serial-path tests not registered');
}

test.run();

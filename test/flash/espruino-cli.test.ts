// The unmodified EspruinoTools command line (node_modules/espruino/bin/espruino-cli.js) against the
// emulated REPL: --storage uploads a binary file byte for byte, and a plain upload (reset() then the
// code line by line with DLE) runs on the board. Offline: --no-ble and a local board file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startBoard, tmpDir, root, type TestBoard } from './harness.ts';

const cli = path.join(root, 'node_modules/espruino/bin/espruino-cli.js');
const boardJson = path.join(root, 'test/flash/fixtures/ESP32.json');
const dir = tmpDir('espruino-cli');

function espruino(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, '--no-ble', '--board', boardJson, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, out });
    });
  });
}

let tb: TestBoard;
test.before(async () => {
  tb = await startBoard({ id: 'espruino-cli' });
});
test.after(async () => {
  await tb.close();
});

test('espruino --storage writes a binary file byte for byte', async () => {
  const blob = randomBytes(5000);
  writeFileSync(path.join(dir, 'blob.bin'), blob);
  const r = await espruino(['-p', tb.port, '--storage', 'blob.bin:blob.bin', '-e', 'print("stored")']); // the tool uploads only with code to send
  assert.is(r.code, 0, r.out);
  assert.not.match(r.out, /Loading https?:|Downloading/i, 'nothing fetched');
  assert.is(Buffer.from(tb.board.storage.read('blob.bin') ?? []).toString('hex'), blob.toString('hex'));
});

test('espruino <file.js>: reset(), then the code line by line, runs on the board', async () => {
  writeFileSync(path.join(dir, 'app.js'), 'var answer = 6 * 7;\nfunction mark() {\n  require("Storage").write("mark", "answer=" + answer);\n}\nmark();\n');
  const r = await espruino(['-p', tb.port, 'app.js']);
  assert.is(r.code, 0, r.out);
  assert.is(Buffer.from(tb.board.storage.read('mark') ?? []).toString(), 'answer=42');
});

test.run();

// Issue 14 items 4 and 5 on the REAL interpreter: hal/espruino/net.ts and firmware/wss/softap.ts built
// into one file with a stand-in Wi-Fi HAL, served by Espruino's own http module and hit by clients over
// its own net module (loopback). Runs only when ESPRUINO_BIN names an Espruino Linux build (2v29);
// skipped otherwise. Takes ~16 s of real time: the 10 s per-connection deadline is real there.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle } from '../../esbuild.config.mjs';

const bin = process.env.ESPRUINO_BIN;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const ENTRY = (net: string, softap: string) => `import { createNet } from ${JSON.stringify(net)};
import { startSoftAp } from ${JSON.stringify(softap)};
declare function print(s: string): void;
const L: string[] = [];
const log = (m: string) => L.push(m);
const hal: any = {
  log: { log: (l: string, t: string, m: string) => log(l + ' ' + t + ': ' + m) },
  config: { getConfigurationValue: () => undefined },
  wifi: { startAccessPoint: (o: any) => setTimeout(() => o.onDone(null, null), 10), stopAccessPoint: (o: any) => setTimeout(() => o.onDone(null, null), 10) },
};
hal.net = createNet({ log: hal.log });
let done: any = null;
const ap = startSoftAp(hal, { onCredentials: (s, p, d) => { log('JOIN ' + s + '/' + p); done = d; } });
function client(name: string, text: string) {
  const s = require('net').connect({ host: '127.0.0.1', port: 80 }, () => s.write(text));
  let got = '';
  s.on('data', (d: any) => { got += d; });
  s.on('close', () => log(name + ' closed ' + (got.substring(9, 12) || '-')));
}
const FORM = 'ssid=EvilNet&passphrase=evil-pass-1';
const post = (body: string, hold: number, extra: string) => 'POST /connect HTTP/1.1\\r\\nHost: x\\r\\n' + extra + 'Content-Length: ' + body.length + '\\r\\n\\r\\n' + body.substring(0, body.length - hold);
setTimeout(() => { client('A-held', post(FORM, 1, '')); client('B-held', post(FORM, 1, '')); client('C-third', post(FORM, 0, '')); }, 500);
setTimeout(() => client('D-big', post('ssid=' + 'A'.repeat(3000), 0, '')), 10600);
setTimeout(() => client('E-head', post(FORM, 0, 'X-Pad: ' + 'p'.repeat(1500) + '\\r\\n')), 11000);
setTimeout(() => client('F-good', post('ssid=HomeNet&passphrase=home-secret-1', 0, '')), 12000);
setTimeout(() => client('G-held', post(FORM, 1, '')), 12500);
setTimeout(() => { if (done) done(true, ''); client('H-after-save', post(FORM, 0, '')); }, 13000);
setTimeout(() => { log('stop'); ap.stop(); }, 14000);
setTimeout(() => print('RESULT ' + JSON.stringify(L)), 16000);
`;

test('soft-AP server limits and held connections on the real interpreter', async () => {
  if (!bin) {
    console.log('  (skipped: set ESPRUINO_BIN to run the soft-AP server on the real interpreter)');
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'ffs-softap-espruino-'));
  const entry = path.join(dir, 'entry.ts');
  writeFileSync(entry, ENTRY(path.join(root, 'hal/espruino/net'), path.join(root, 'firmware/wss/softap')));
  const out = path.join(dir, 'softap.js');
  await buildBundle(entry, out);
  const r = spawnSync(bin, [out], { cwd: dir, encoding: 'utf8', timeout: 60000 });
  const line = (r.stdout || '').split('\n').find((l) => l.includes('RESULT '));
  assert.ok(line, 'no result line: ' + (r.stdout || '').slice(-500) + (r.stderr || ''));
  const L: string[] = JSON.parse(line!.slice(line!.indexOf('RESULT ') + 7));
  const closed = (name: string) => L.find((l) => l.startsWith(name + ' closed'));
  assert.is(closed('C-third'), 'C-third closed 503', L.join('\n'));
  assert.is(closed('A-held'), 'A-held closed 408');
  assert.is(closed('B-held'), 'B-held closed 408');
  assert.is(closed('D-big'), 'D-big closed 413');
  assert.is(closed('E-head'), 'E-head closed 431');
  assert.is(closed('F-good'), 'F-good closed 202');
  assert.is(closed('H-after-save'), 'H-after-save closed 409');
  assert.ok(L.indexOf('G-held closed -') > L.indexOf('stop'), 'the held connection is ended by stop()');
  assert.equal(L.filter((l) => l.startsWith('JOIN')), ['JOIN HomeNet/home-secret-1']);
});

test.run();

// Every Wycheproof ECDH and ECDSA P-256 case (test/vectors/p256-*-wycheproof.json) on the REAL
// Espruino interpreter, with the products on its native E.convolve: the same results (shared secrets,
// accept/reject of every signature, refusal of every invalid key) as in Node. Runs only when
// ESPRUINO_BIN names an Espruino Linux build (e.g. the 2v29 ESP32-profile build); skipped otherwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle } from '../../esbuild.config.mjs';

const bin = process.env.ESPRUINO_BIN;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const load = (n: string) => JSON.parse(readFileSync(path.join(root, 'test/vectors', n), 'utf8'));

test('Wycheproof ECDH and ECDSA on the real interpreter (native E.convolve)', async () => {
  if (!bin) {
    console.log('  (skipped: set ESPRUINO_BIN to run the vectors on the real interpreter)');
    return;
  }
  const ecdhV = load('p256-ecdh-wycheproof.json');
  const ecdsaV = load('p256-ecdsa-wycheproof.json');
  // [tcId, SPKI hex, private hex (32 bytes), shared hex or '' when the key must be refused]
  const ecdh = ecdhV.tests.map((t: any) => [
    t.tcId,
    t.public,
    t.private.replace(/^00(?=[0-9a-f]{64}$)/, '').padStart(64, '0'),
    t.result === 'valid' ? t.shared : '',
  ]);
  // [tcId, public X||Y hex, message hex, DER signature hex, 1 when valid]
  const ecdsa: unknown[] = [];
  for (const g of ecdsaV.testGroups) for (const t of g.tests) ecdsa.push([t.tcId, g.publicKey.slice(2), t.msg, t.sig, t.result === 'valid' ? 1 : 0]);
  // In chunks: the interpreter holds a file's whole source in its 16,383 JsVars when run from a file.
  const dir = mkdtempSync(path.join(tmpdir(), 'ffs-p256-espruino-'));
  const crypto = path.join(root, 'firmware/crypto');
  let total = 0;
  for (let c = 0; c < ecdh.length + ecdsa.length; c += 40) {
    const part = (list: unknown[], from: number) => list.slice(Math.max(0, c - from), Math.max(0, c + 40 - from));
    const E1 = part(ecdh, 0);
    const E2 = part(ecdsa, ecdh.length);
    const entry = path.join(dir, 'entry' + c + '.ts');
    writeFileSync(
      entry,
      `import { ecdh, parseSpkiPublicKey, verify, setConvolve } from ${JSON.stringify(crypto + '/p256')};
import { sha256 } from ${JSON.stringify(crypto + '/sha256')};
import { hexToBytes, bytesToHex } from ${JSON.stringify(crypto + '/bytes')};
declare const E: any;
declare function print(s: string): void;
setConvolve(E.convolve);
const ECDH: any[] = ${JSON.stringify(E1)};
const ECDSA: any[] = ${JSON.stringify(E2)};
let ok = 0;
const bad: string[] = [];
for (let i = 0; i < ECDH.length; i++) {
  const t = ECDH[i];
  const pub = parseSpkiPublicKey(hexToBytes(t[1]));
  const s = pub ? ecdh(hexToBytes(t[2]), pub) : null;
  if (t[3] ? s && bytesToHex(s) === t[3] : !pub) ok++;
  else bad.push('ecdh' + t[0]);
}
for (let i = 0; i < ECDSA.length; i++) {
  const t = ECDSA[i];
  if (verify(hexToBytes(t[1]), sha256(hexToBytes(t[2])), hexToBytes(t[3])) === !!t[4]) ok++;
  else bad.push('ecdsa' + t[0]);
}
print('vectors ' + ok + ' ok, ' + bad.length + ' bad' + (bad.length ? ': ' + bad.join(' ') : ''));
`,
    );
    const out = path.join(dir, 'vectors' + c + '.js');
    await buildBundle(entry, out, ['--js-crypto']);
    const r = spawnSync(bin, [out], { cwd: dir, encoding: 'utf8', timeout: 20 * 60 * 1000 });
    const line = (r.stdout || '').split('\n').find((l) => l.includes('vectors '));
    assert.ok(line, 'no result line: ' + (r.stdout || '').slice(-500) + (r.stderr || ''));
    const n = E1.length + E2.length;
    assert.match((line as string).trim(), new RegExp('vectors ' + n + ' ok, 0 bad$'));
    total += n;
  }
  assert.is(total, ecdh.length + ecdsa.length);
});

test.run();

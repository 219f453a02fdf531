// The device key the flash tool writes (ffs.devkey) is the one PKCS#8 layout the firmware parses
// (firmware/crypto/der.ts privateKeyDecode, issue 13 item 3): whatever form the maker's key comes in
// (PKCS#8 or SEC 1, PEM or DER) or a generated one, the board gets the same scalar back; a key in
// any other layout is refused, never misread.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { makeIdentity } from '../../flash/identity';
import { importPrivateKey } from '../../flash/keys';
import { buildStorageImage } from '../../flash/image';
import { FILES } from '../../hal/storage-layout';
import { parsePrivateKey } from '../../firmware/crypto/p256';

const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : 'null');

test('every device key the flash tool writes parses on the board to the maker\'s scalar', () => {
  for (let i = 0; i < 4; i++) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const d = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url').toString('hex');
    const forms: Array<Uint8Array | string> = [
      new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' })),
      new Uint8Array(privateKey.export({ format: 'der', type: 'sec1' })),
      privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
      privateKey.export({ format: 'pem', type: 'sec1' }) as string,
    ];
    // what makeIdentity keeps as deviceKey for an imported key (flash/identity.ts: importPrivateKey(...).pkcs8)
    for (const key of forms) assert.is(hex(parsePrivateKey(importPrivateKey(key).pkcs8)), d);
  }
  for (const seed of ['a', 'b', 'c']) {
    const id = makeIdentity({ seed });
    const file = buildStorageImage({ bundle: 'print(1)', identity: id }).find((f) => f.name === FILES.deviceKey)!;
    const d = parsePrivateKey(file.data);
    assert.ok(d && d.length === 32, 'generated identity ' + seed);
  }
});

test('keys in other layouts are refused, not misread', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pkcs8 = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
  assert.is(pkcs8.length, 138);
  assert.ok(parsePrivateKey(pkcs8));
  assert.is(parsePrivateKey(new Uint8Array(privateKey.export({ format: 'der', type: 'sec1' }))), null);
  assert.is(parsePrivateKey(pkcs8.subarray(0, 137)), null);
  const longer = new Uint8Array(139);
  longer.set(pkcs8);
  assert.is(parsePrivateKey(longer), null);
  for (const i of [0, 2, 5, 12, 26, 29, 35, 68, 73]) {
    const bad = new Uint8Array(pkcs8);
    bad[i] ^= 1;
    assert.is(parsePrivateKey(bad), null, 'byte ' + i);
  }
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
  assert.is(parsePrivateKey(new Uint8Array(k1.export({ format: 'der', type: 'pkcs8' }))), null);
});

test.run();

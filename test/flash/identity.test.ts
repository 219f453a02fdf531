import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { X509Certificate, createPublicKey, verify as nodeVerify, createECDH, diffieHellman, createPrivateKey } from 'node:crypto';
import { deriveKey, keyFromScalar, signDeterministic, P256_N } from '../../flash/keys.ts';
import { devRootCertificate, splitChain } from './identity-helpers.ts';
import {
  makeIdentity, identityToJson, identityFromJson, IdentityError, devDeviceTypeKey, uuidString, DEFAULTS,
} from '../../flash/identity.ts';
import { OID_DEVICE_TYPE } from '../../flash/certs.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const rfc6979 = JSON.parse(readFileSync(path.join(here, 'rfc6979-p256-sha256.json'), 'utf8'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('RFC 6979 A.2.5 P-256/SHA-256 vectors: deterministic signatures match and verify with Node', () => {
  const key = keyFromScalar(new Uint8Array(Buffer.from(rfc6979.privateKey, 'hex')));
  assert.is(hex(key.publicPoint), '04' + rfc6979.publicKeyX + rfc6979.publicKeyY);
  for (const c of rfc6979.cases) {
    const msg = new TextEncoder().encode(c.message);
    const sig = signDeterministic(key, msg);
    const h = hex(sig);
    assert.ok(h.includes(c.r), `r for ${c.message}`);
    assert.ok(h.includes(c.s.replace(/^00/, '')), `s for ${c.message}`);
    assert.ok(nodeVerify('sha256', msg, key.publicKey, sig), 'Node verifies');
  }
});

test('derived keys are valid P-256 keys: Node agrees on ECDH with them', () => {
  for (let i = 0; i < 8; i++) {
    const a = deriveKey(new TextEncoder().encode('s' + i), 'a');
    const b = deriveKey(new TextEncoder().encode('s' + i), 'b');
    const d = BigInt('0x' + hex(a.d));
    assert.ok(d >= 1n && d < P256_N);
    const ours = diffieHellman({ privateKey: a.privateKey, publicKey: b.publicKey });
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(b.d));
    assert.is(hex(ours), ecdh.computeSecret(Buffer.from(a.publicPoint)).toString('hex'));
    assert.is(a.spki.length, 91);
    assert.is(hex(new Uint8Array(createPrivateKey({ key: Buffer.from(a.pkcs8), format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }).d ? Buffer.from(createPrivateKey({ key: Buffer.from(a.pkcs8), format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }).d!, 'base64url') : [])), hex(a.d));
  }
});

test('makeIdentity is deterministic from its seed and different across seeds', () => {
  const a = JSON.stringify(identityToJson(makeIdentity({ seed: 1 })));
  const b = JSON.stringify(identityToJson(makeIdentity({ seed: 1 })));
  const c = JSON.stringify(identityToJson(makeIdentity({ seed: 2 })));
  assert.is(a, b);
  assert.is.not(a, c);
  const r1 = makeIdentity({});
  const r2 = makeIdentity({});
  assert.is.not(hex(r1.deviceKey), hex(r2.deviceKey), 'fresh randomness without a seed');
  assert.is.not(hex(r1.mesh.staticOob), hex(r2.mesh.staticOob));
  assert.is(r1.kind, 'production');
  assert.is(makeIdentity({ seed: 3 }).kind, 'development');
});

test('identity fields: lengths, UUID version/variant, BSS triple, product index', () => {
  const id = makeIdentity({ seed: 'fields', productIndex: '5K2k' });
  assert.is(id.productIndex, '5K2k');
  assert.is(id.devicePublicKey.length, 91);
  assert.is(id.deviceTypeKey.length, 91);
  assert.is(id.mesh.deviceUuid.length, 16);
  assert.is(id.mesh.staticOob.length, 16);
  assert.not.ok('drbgSeed' in id, 'no DRBG seed in the identity: fresh at every flash');
  assert.is(id.mesh.deviceUuid[6] >> 4, 4);
  assert.is(id.mesh.deviceUuid[8] >> 6, 2);
  assert.is(id.mesh.oobInfo, DEFAULTS.oobInfo);
  assert.equal(id.bss, { oobType: 'static', oobData: hex(id.mesh.staticOob), deviceUuid: uuidString(id.mesh.deviceUuid) });
  assert.match(id.bss.deviceUuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.throws(() => makeIdentity({ seed: 1, productIndex: 'TOOLONG' }), /product index/);
});

test('development chain: leaf carries the device-type OID, each certificate is signed by the next, the root is the dev root', () => {
  const id = makeIdentity({ seed: 'chain', deviceTypeId: 'A2TESTTYPE', serialNumber: 'SN-0001' });
  assert.is(id.certChain.length, 4);
  const certs = id.certChain.map((d) => new X509Certificate(Buffer.from(d)));
  assert.ok(certs[0].subject.includes(OID_DEVICE_TYPE + '=A2TESTTYPE'), certs[0].subject);
  assert.ok(certs[0].subject.includes('SN-0001'));
  assert.ok(certs[0].checkPrivateKey(createPrivateKey({ key: Buffer.from(id.deviceKey), format: 'der', type: 'pkcs8' })));
  for (let i = 0; i + 1 < certs.length; i++) {
    assert.ok(certs[i].verify(certs[i + 1].publicKey), `cert ${i} signed by ${i + 1}`);
    assert.ok(certs[i].checkIssued(certs[i + 1]), `cert ${i} issued by ${i + 1}`);
  }
  assert.ok(certs[3].verify(certs[3].publicKey), 'self-signed root');
  assert.is(hex(id.certChain[3]), hex(devRootCertificate()));
  assert.ok(!certs[0].ca && certs[1].ca && certs[3].ca);
  assert.equal(splitChain(Buffer.concat(id.certChain.map((c) => Buffer.from(c)))).map(hex), id.certChain.map(hex));
});

test('the world-side device-type key pairs with the flashed public key; it is the development key of the type', () => {
  const id = makeIdentity({ seed: 'dt' });
  assert.ok(id.world);
  const priv = createPrivateKey({ key: Buffer.from(id.world!.deviceTypePrivateKey), format: 'der', type: 'pkcs8' });
  const pub = createPublicKey({ key: Buffer.from(id.deviceTypeKey), format: 'der', type: 'spki' });
  assert.is(hex(new Uint8Array(createPublicKey(priv).export({ format: 'der', type: 'spki' }))), hex(new Uint8Array(pub.export({ format: 'der', type: 'spki' }))));
  assert.is(hex(devDeviceTypeKey(id.deviceTypeId).spki), hex(id.deviceTypeKey));
  const imported = makeIdentity({ seed: 'dt', deviceTypeKey: devDeviceTypeKey('OTHER').spki });
  assert.is(imported.world, undefined, 'an imported device-type key has no private half');
});

test('JSON round trip is exact', () => {
  const id = makeIdentity({ seed: 'json' });
  const again = identityFromJson(JSON.parse(JSON.stringify(identityToJson(id))));
  assert.equal(identityToJson(again), identityToJson(id));
});

test('malformed identities are refused with one line naming the field', () => {
  const good = identityToJson(makeIdentity({ seed: 'bad' }));
  const other = identityToJson(makeIdentity({ seed: 'other' }));
  const cases: Array<[string, (j: any) => void, RegExp]> = [
    ['format', (j) => (j.format = 'x'), /format/],
    ['deviceKey missing', (j) => delete j.deviceKey, /deviceKey: missing/],
    ['deviceKey not hex', (j) => (j.deviceKey = 'zz'), /deviceKey: is not hex/],
    ['deviceKey of another device', (j) => (j.deviceKey = other.deviceKey), /devicePublicKey: does not match deviceKey/],
    ['leaf of another device', (j) => (j.certChain = other.certChain), /certChain\[0\]: leaf certificate does not belong/],
    ['broken chain order', (j) => (j.certChain = [j.certChain[0], j.certChain[2]]), /certChain\[0\]: is not signed by the next/],
    ['chain not base64', (j) => (j.certChain = ['***']), /certChain\[0\]: must be base64/],
    ['uuid length', (j) => (j.mesh.deviceUuid = '00'), /mesh.deviceUuid: must be 16 bytes/],
    ['oob length', (j) => (j.mesh.staticOob = 'aa'), /mesh.staticOob: must be 16 bytes/],
    ['bss mismatch', (j) => (j.bss = { ...j.bss, oobData: '00'.repeat(16) }), /bss.oobData/],
    ['product index', (j) => (j.productIndex = 'ab'), /productIndex/],
    ['serial missing', (j) => delete j.deviceDetails.serialNumber, /deviceDetails.serialNumber: missing/],
    ['world key mismatch', (j) => (j.world = { deviceTypePrivateKey: other.deviceKey }), /world.deviceTypePrivateKey/],
  ];
  for (const [label, mutate, re] of cases) {
    const j = JSON.parse(JSON.stringify(good));
    mutate(j);
    try {
      identityFromJson(j);
      assert.unreachable(label);
    } catch (e) {
      assert.instance(e, IdentityError, label);
      assert.match((e as Error).message, re, label);
      assert.not.match((e as Error).message, /\n/, label + ': one line');
    }
  }
});

test('an imported maker key and chain are kept; a chain for another key is refused', () => {
  const maker = makeIdentity({ seed: 'maker' });
  const pem = createPrivateKey({ key: Buffer.from(maker.deviceKey), format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }) as string;
  const id = makeIdentity({ deviceKey: pem, certChain: maker.certChain, deviceTypeKey: maker.deviceTypeKey, serialNumber: 'IMPORTED-1' });
  assert.is(hex(id.certChain[0]), hex(maker.certChain[0]));
  assert.is(hex(id.devicePublicKey), hex(maker.devicePublicKey));
  assert.throws(() => makeIdentity({ deviceKey: pem, certChain: makeIdentity({ seed: 'x' }).certChain }), /does not belong/);
  assert.throws(() => makeIdentity({ certChain: maker.certChain }), /needs its device key/);
});

test.run();

// The encoded setup network against the real production vector (wss-protocol.md 3.1,
// ../support/wss-real-run.json copied from the team notes' vectors/wss-real-run.json; source named inside).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import {
  authMaterialIndex,
  deriveEncodedSetupNetwork,
  encodedSetupSsid,
  ENCODED_SSID_LENGTH,
  PASSPHRASE_LENGTH,
} from '../../firmware/wss/setup-network.ts';
import { sha256 } from '../../firmware/crypto/sha256.ts';
import { base85Decode } from '../../firmware/crypto/base85.ts';
import { hashedPin, requestNonce } from '../../firmware/wss/provisionee.ts';
import { createWorld, freshKeys, provisionerPassphrase, realRunKeys, seededBytes } from './support/fake-hal.ts';

const vector = JSON.parse(readFileSync(new URL('./support/wss-real-run.json', import.meta.url), 'utf8'));
const v = vector.encodedSetupNetwork;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

test('authMaterialIndex is the last 9 bytes of SHA-256 of the device public key DER', () => {
  const keys = realRunKeys(vector);
  assert.is(hex(sha256(keys.devicePublicDer)), v.sha256OfDevicePublicKeyDer);
  assert.is(hex(authMaterialIndex(sha256, keys.devicePublicDer)), v.authMaterialIndex);
});

test('the SSID is byte-exact against the real run', () => {
  const ssid = encodedSetupSsid(fromHex(v.authMaterialIndex), v.productIndex, fromHex(v.nonceHex));
  assert.is(ssid, v.ssid);
  assert.is(ssid.length, ENCODED_SSID_LENGTH);
});

test('the first two SSID characters are base64 of (control nibble 0 || ami[0])', () => {
  for (const b of [0x00, 0x74, 0xff, 0x3f, 0xc0]) {
    const ami = fromHex(v.authMaterialIndex);
    ami[0] = b;
    const ssid = encodedSetupSsid(ami, '5K2k', new Uint8Array(12));
    const ref = Buffer.from([b >> 4, (b & 15) << 4]).toString('base64').substring(0, 2);
    assert.is(ssid.substring(0, 2), ref);
  }
});

test('passphrase: base64 of the HMAC of the nonce under SHA-256(ECDH x), byte-exact', () => {
  assert.is(Buffer.from(fromHex(v.hmacSha256OfNonce)).toString('base64'), v.passphrase);
  assert.is(v.passphrase.length, PASSPHRASE_LENGTH);
  const world = createWorld({ keys: realRunKeys(vector) });
  let got: any = null;
  deriveEncodedSetupNetwork(world.hal.crypto, realRunKeys(vector).devicePublicDer, v.productIndex, fromHex(v.nonceHex), world.hal.clock.defer, (err, net) => (got = { err, net }));
  assert.is(got, null, 'the callback is asynchronous');
  world.clock.run();
  assert.is(got.err, null);
  assert.equal(got.net, { ssid: v.ssid, passphrase: v.passphrase, encoded: true });
});

test('a fresh nonce per run gives a new SSID that the provisioner can still decode', () => {
  const keys = freshKeys();
  const rnd = seededBytes(3);
  const seen = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const nonce = rnd(12);
    const world = createWorld({ keys });
    let net: any = null;
    deriveEncodedSetupNetwork(world.hal.crypto, keys.devicePublicDer, 'SIM1', nonce, world.hal.clock.defer, (_e, n) => (net = n));
    world.clock.run();
    assert.not(seen.has(net.ssid));
    seen.add(net.ssid);
    const tail = base85Decode(net.ssid.substring(2))!;
    assert.is(hex(tail.subarray(0, 8)), hex(authMaterialIndex(sha256, keys.devicePublicDer).subarray(1)));
    assert.is(Buffer.from(tail.subarray(8, 12)).toString('latin1'), 'SIM1');
    assert.is(hex(tail.subarray(12)), hex(nonce));
    assert.is(net.passphrase, provisionerPassphrase(keys, nonce), 'the device-type private key side agrees');
  }
});

test('bad identity inputs give one clear asynchronous error', () => {
  const keys = freshKeys();
  const world = createWorld({ keys });
  let got: any = null;
  deriveEncodedSetupNetwork(world.hal.crypto, keys.devicePublicDer, 'TOOLONG', new Uint8Array(12), world.hal.clock.defer, (err, net) => (got = { err, net }));
  assert.is(got, null);
  world.clock.run();
  assert.is(got.err.code, 'WSS_IDENTITY');
  assert.match(got.err.message, 'product index');
  assert.is(got.net, null);
  assert.is(encodedSetupSsid(new Uint8Array(9), 'TOOLONG', new Uint8Array(12)), '');
  assert.is(encodedSetupSsid(new Uint8Array(9), 'SIM1', new Uint8Array(11)), '');
  assert.is(encodedSetupSsid(new Uint8Array(8), 'SIM1', new Uint8Array(12)), '');
});

test('hashedPin matches the SDK test vector; request nonces are 31 base64 characters', () => {
  const hp = vector.hashedPin;
  assert.is(hashedPin(sha256, hp.pin, hp.salt), hp.hashedPin);
  const n1 = requestNonce(seededBytes(1));
  const n2 = requestNonce(seededBytes(2));
  assert.match(n1, /^[A-Za-z0-9+/]{31}$/);
  assert.is.not(n1, n2);
  // cross-check the rule with Node
  assert.is(hashedPin((b) => new Uint8Array(createHash('sha256').update(b).digest()), 'x', 'y'), createHash('sha256').update('xy').digest('base64'));
});

test.run();

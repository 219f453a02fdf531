// P-256 against Node's crypto (OpenSSL) as an independent oracle, on seeded random keys and messages:
// public keys, ECDH both ways, our signatures verified by Node, Node's verified by ours, tampered
// signatures and hashes rejected, with and without comb tables. Deterministic inputs (xorshift seed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createECDH, createHash, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, KeyObject } from 'node:crypto';
import * as p256 from '../../firmware/crypto/p256.ts';
import { seededBytes as seeded } from '../support/seeded-bytes.ts';

const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : 'null');


const N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
/** A private key in [1, n-1] from the seeded source. */
function privateKey(rnd: (n: number) => Uint8Array): Uint8Array {
  for (;;) {
    const d = rnd(32);
    const v = BigInt('0x' + hex(d));
    if (v > 0n && v < N) return d;
  }
}

function nodeKeys(d: Uint8Array): { priv: KeyObject; pub: KeyObject; raw: Uint8Array } {
  const e = createECDH('prime256v1');
  e.setPrivateKey(Buffer.from(d));
  const pt = e.getPublicKey();
  const jwk = { kty: 'EC', crv: 'P-256', d: Buffer.from(d).toString('base64url'), x: pt.subarray(1, 33).toString('base64url'), y: pt.subarray(33).toString('base64url') };
  return { priv: createPrivateKey({ key: jwk, format: 'jwk' }), pub: createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' }), raw: new Uint8Array(pt.subarray(1)) };
}

test('public keys and ECDH both ways agree with Node on 400 seeded key pairs', () => {
  const rnd = seeded(0x1234567);
  for (let i = 0; i < 400; i++) {
    const a = privateKey(rnd);
    const b = privateKey(rnd);
    const A = nodeKeys(a);
    const ea = createECDH('prime256v1');
    ea.setPrivateKey(Buffer.from(a));
    const pubA = p256.getPublicKey(a);
    assert.is(hex(pubA), hex(A.raw), 'public key ' + i);
    const pubB = p256.getPublicKey(b);
    const node = ea.computeSecret(Buffer.concat([Buffer.from([4]), Buffer.from(pubB)])).toString('hex');
    assert.is(hex(p256.ecdh(a, pubB)), node, 'ecdh a->b ' + i);
    assert.is(hex(p256.ecdh(b, pubA)), node, 'ecdh b->a ' + i);
  }
});

test('ECDH rejects 300 random off-curve points (Node rejects them too)', () => {
  const rnd = seeded(0xbadc0de);
  const d = privateKey(rnd);
  const e = createECDH('prime256v1');
  e.setPrivateKey(Buffer.from(d));
  for (let i = 0; i < 300; i++) {
    const q = rnd(64);
    let nodeOk = true;
    try {
      e.computeSecret(Buffer.concat([Buffer.from([4]), Buffer.from(q)]));
    } catch {
      nodeOk = false;
    }
    assert.is(p256.isValidPublicKey(q), nodeOk, 'point ' + i);
    assert.is(p256.ecdh(d, q) === null, !nodeOk);
  }
});

test('sign with ours and verify with Node, sign with Node and verify with ours, tampering rejected (1,200 signatures)', () => {
  const rnd = seeded(0x5eed5);
  for (let i = 0; i < 300; i++) {
    const d = privateKey(rnd);
    const K = nodeKeys(d);
    const msg = Buffer.from(rnd(1 + (i % 97)));
    const h = new Uint8Array(createHash('sha256').update(msg).digest());
    const ours = p256.sign(d, h, i % 2 ? rnd : null);
    assert.ok(nodeVerify('sha256', msg, { key: K.pub, dsaEncoding: 'der' }, ours), 'node verifies ours ' + i);
    const theirs = new Uint8Array(nodeSign('sha256', msg, { key: K.priv, dsaEncoding: 'der' }));
    assert.ok(p256.verify(K.raw, h, theirs), 'ours verifies node ' + i);
    // tamper: one bit of the signature (inside r or s), or of the hash
    const bad = new Uint8Array(theirs);
    const at = 4 + (rnd(1)[0] % (bad.length - 4));
    bad[at] ^= 1 << (rnd(1)[0] & 7);
    assert.is(p256.verify(K.raw, h, bad), nodeVerify('sha256', msg, { key: K.pub, dsaEncoding: 'der' }, bad), 'tampered sig ' + i);
    const h2 = new Uint8Array(h);
    h2[i & 31] ^= 0x80;
    assert.not.ok(p256.verify(K.raw, h2, ours), 'tampered hash ' + i);
  }
});

test('with comb tables (G and a fixed key): 200 verifications and key generations agree with Node', () => {
  const rnd = seeded(0x7ab1e);
  const d = privateKey(rnd);
  const K = nodeKeys(d);
  p256.useTable('G', p256.buildTable('G'));
  p256.useTable(K.raw, p256.buildTable(K.raw));
  try {
    for (let i = 0; i < 200; i++) {
      const msg = Buffer.from(rnd(20));
      const h = new Uint8Array(createHash('sha256').update(msg).digest());
      const sig = new Uint8Array(nodeSign('sha256', msg, { key: K.priv, dsaEncoding: 'der' }));
      assert.ok(p256.verify(K.raw, h, sig), 'verify ' + i);
      sig[sig.length - 1] ^= 1;
      assert.not.ok(p256.verify(K.raw, h, sig), 'tampered ' + i);
      const kp = p256.generateKeyPair(rnd);
      assert.is(hex(kp.publicKey), hex(nodeKeys(kp.privateKey).raw), 'keygen ' + i);
      const peer = privateKey(rnd);
      const e = createECDH('prime256v1');
      e.setPrivateKey(Buffer.from(peer));
      assert.is(hex(p256.ecdh(peer, K.raw)), e.computeSecret(Buffer.concat([Buffer.from([4]), Buffer.from(K.raw)])).toString('hex'), 'ecdh with key table ' + i);
    }
  } finally {
    p256.useTable('G', null);
    p256.useTable(K.raw, null);
  }
});

test.run();

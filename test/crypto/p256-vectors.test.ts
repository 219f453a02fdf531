// P-256 against published vectors: Wycheproof ECDH and ECDSA (test/vectors/p256-*-wycheproof.json),
// the Mesh 1.0.1 §8.7 ECDH pair and the real Wi-Fi Simple Setup run (test/vectors/p256-wss-mesh.json),
// plus key formats, fixed-base tables and the sliced forms.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, generateKeyPairSync, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as p256 from '../../firmware/crypto/p256.ts';

const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : 'null');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const sha256 = (b: Uint8Array | Buffer) => new Uint8Array(createHash('sha256').update(b).digest());
const load = (name: string) => JSON.parse(readFileSync(new URL('../vectors/' + name, import.meta.url), 'utf8'));

const ecdhVectors = load('p256-ecdh-wycheproof.json');
const ecdsaVectors = load('p256-ecdsa-wycheproof.json');
const real = load('p256-wss-mesh.json');

/** Wycheproof private keys are ASN.1 INTEGER bodies: strip the sign byte, left-pad to 32 bytes. */
function priv32(h: string): Uint8Array {
  return bytes(h.replace(/^00(?=[0-9a-f]{64}$)/, '').padStart(64, '0'));
}

test('Wycheproof ECDH: every selected case (valid, edge cases, invalid points, other curves)', () => {
  let valid = 0;
  let rejected = 0;
  for (const t of ecdhVectors.tests) {
    const pub = p256.parseSpkiPublicKey(bytes(t.public));
    const d = priv32(t.private);
    if (t.result === 'valid') {
      assert.ok(pub, `tcId ${t.tcId}: key accepted`);
      assert.is(hex(p256.ecdh(d, pub as Uint8Array)), t.shared, `tcId ${t.tcId} ${t.comment}`);
      valid++;
    } else {
      // invalid, and 'acceptable' compressed keys: this implementation takes only the 91-byte form
      assert.is(pub, null, `tcId ${t.tcId} ${t.comment}: rejected`);
      const der = bytes(t.public);
      if (der.length === 91) {
        const raw = der.subarray(27);
        assert.not.ok(p256.isValidPublicKey(raw), `tcId ${t.tcId}: raw point invalid`);
        assert.is(p256.ecdh(d, raw), null, `tcId ${t.tcId}: ecdh gives null`);
      }
      rejected++;
    }
  }
  assert.ok(valid >= 30 && rejected >= 20, `${valid} valid, ${rejected} rejected`);
});

test('Wycheproof ECDSA P-256/SHA-256: valid, malformed DER, r/s out of range, edge arithmetic', () => {
  let n = 0;
  for (const g of ecdsaVectors.testGroups) {
    const pub = bytes(g.publicKey).subarray(1);
    assert.ok(p256.isValidPublicKey(pub));
    for (const t of g.tests) {
      const ok = p256.verify(pub, sha256(bytes(t.msg)), bytes(t.sig));
      assert.is(ok, t.result === 'valid', `tcId ${t.tcId} ${t.comment}`);
      n++;
    }
  }
  assert.ok(n >= 80);
});

test('Wycheproof ECDSA with comb tables for G and the key gives the same verdicts', () => {
  const group = ecdsaVectors.testGroups[1];
  const pub = bytes(group.publicKey).subarray(1);
  p256.useTable('G', p256.buildTable('G'));
  p256.useTable(pub, p256.buildTable(pub));
  try {
    for (const t of group.tests) {
      assert.is(p256.verify(pub, sha256(bytes(t.msg)), bytes(t.sig)), t.result === 'valid', `tcId ${t.tcId}`);
    }
  } finally {
    p256.useTable('G', null);
    p256.useTable(pub, null);
  }
});

test('Mesh Profile 1.0.1 §8.7: both ECDH directions and the public keys', () => {
  const m = real.mesh;
  assert.is(hex(p256.getPublicKey(bytes(m.device_private_key))), m.device_public_key);
  assert.is(hex(p256.getPublicKey(bytes(m.provisioner_private_key))), m.provisioner_public_key);
  assert.is(hex(p256.ecdh(bytes(m.device_private_key), bytes(m.provisioner_public_key))), m.ecdh_secret);
  assert.is(hex(p256.ecdh(bytes(m.provisioner_private_key), bytes(m.device_public_key))), m.ecdh_secret);
});

test('WSS real run: encoded-setup-network ECDH chain from the PKCS#8 key and the SPKI device-type key', () => {
  const d = p256.parsePrivateKey(bytes(real.wss.devicePrivateKeyPkcs8));
  const q = p256.parseSpkiPublicKey(bytes(real.wss.deviceTypePublicKeySpki));
  assert.ok(d && q);
  const x = p256.ecdh(d as Uint8Array, q as Uint8Array) as Uint8Array;
  assert.is(hex(sha256(x)), real.wss.sha256OfEcdhX);
  assert.is(hex(p256.encodeSpkiPublicKey(q as Uint8Array)), real.wss.deviceTypePublicKeySpki);
});

test('WSS real run: the seven DSS signatures verify with the device-type key; a 1-byte change fails', () => {
  const q = p256.parseSpkiPublicKey(bytes(real.wss.deviceTypePublicKeySpki)) as Uint8Array;
  assert.is(real.wss.dssResponses.length, 7);
  for (const r of real.wss.dssResponses) {
    const body = new Uint8Array(Buffer.from(r.body, 'latin1'));
    const sig = new Uint8Array(Buffer.from(r.signatureBase64, 'base64'));
    assert.ok(p256.verify(q, sha256(body), sig), r.operation);
    const body2 = new Uint8Array(body);
    body2[body2.length >> 1] ^= 1;
    assert.not.ok(p256.verify(q, sha256(body2), sig), 'body changed');
    for (const i of [5, sig.length - 1]) {
      const sig2 = new Uint8Array(sig);
      sig2[i] ^= 0x01;
      assert.not.ok(p256.verify(q, sha256(body), sig2), 'signature byte ' + i + ' changed');
    }
  }
});

test('key formats: PKCS#8 as the flash tool writes it (SEC 1 refused), SPKI round trip, malformed input', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pkcs8 = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
  const sec1 = new Uint8Array(privateKey.export({ format: 'der', type: 'sec1' }));
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  const d8 = p256.parsePrivateKey(pkcs8) as Uint8Array;
  // the board parses only the layout the flash tool writes (firmware/crypto/der.ts, test/wss/device-key.test.ts)
  assert.is(p256.parsePrivateKey(sec1), null);
  const pub = p256.parseSpkiPublicKey(spki) as Uint8Array;
  assert.is(hex(p256.getPublicKey(d8)), hex(pub));
  assert.is(hex(p256.encodeSpkiPublicKey(pub)), hex(spki));
  // SEC 1 without the optional parameters and public key (openssl ec -no_public / minimal form)
  assert.is(p256.parsePrivateKey(bytes('30250201010420' + hex(d8))), null);
  // PKCS#8 re-imported by Node from our scalar agrees (independent check of the DER walk)
  const jwk = privateKey.export({ format: 'jwk' });
  assert.is(Buffer.from(jwk.d as string, 'base64url').toString('hex'), hex(d8));
  // malformed: truncated, trailing byte, other curve, wrong version, scalar out of range
  assert.is(p256.parsePrivateKey(pkcs8.subarray(0, pkcs8.length - 1)), null);
  const trailing = new Uint8Array(pkcs8.length + 1);
  trailing.set(pkcs8);
  assert.is(p256.parsePrivateKey(trailing), null);
  const k1 = createPrivateKey({ key: generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'der', type: 'pkcs8' }), format: 'der', type: 'pkcs8' });
  assert.is(p256.parsePrivateKey(new Uint8Array(k1.export({ format: 'der', type: 'pkcs8' }))), null);
  const withByte = (at: number, v: number) => {
    const k = new Uint8Array(pkcs8);
    k[at] = v;
    return k;
  };
  assert.is(p256.parsePrivateKey(withByte(33, 2)), null, 'ECPrivateKey version 2');
  const withScalar = (h: string) => {
    const k = new Uint8Array(pkcs8);
    k.set(bytes(h), 36);
    return k;
  };
  assert.is(p256.parsePrivateKey(withScalar('ff'.repeat(32))), null);
  assert.is(p256.parsePrivateKey(withScalar('00'.repeat(32))), null);
  assert.is(hex(p256.parsePrivateKey(withScalar('00'.repeat(31) + '01'))), '00'.repeat(31) + '01');
  assert.is(p256.parsePrivateKey(new Uint8Array(0)), null);
  // SPKI: wrong length, altered OID, compressed prefix, point not on the curve
  assert.is(p256.parseSpkiPublicKey(spki.subarray(0, 90)), null);
  for (const i of [8, 20, 26, 90]) {
    const bad = new Uint8Array(spki);
    bad[i] ^= 1;
    assert.is(p256.parseSpkiPublicKey(bad), null, 'byte ' + i);
  }
});

test('public key validation: coordinates >= p, all-zero key, wrong lengths', () => {
  const p = 'ffffffff00000001000000000000000000000000ffffffffffffffffffffffff';
  const g = p256.getPublicKey(bytes('00'.repeat(31) + '01'));
  assert.ok(p256.isValidPublicKey(g));
  assert.not.ok(p256.isValidPublicKey(new Uint8Array(64)));
  assert.not.ok(p256.isValidPublicKey(g.subarray(0, 63)));
  // Wycheproof ECDH tcId 228's point has y = 1; (x, p + 1) is the same point mod p and must be refused
  const x = '09e78d4ef60d05f750f6636209092bc43cbdd6b47e11a9de20a9feb2a50bb96c';
  assert.ok(p256.isValidPublicKey(bytes(x + '00'.repeat(31) + '01')));
  assert.not.ok(p256.isValidPublicKey(bytes(x + 'ffffffff00000001000000000000000000000001000000000000000000000000')));
  assert.not.ok(p256.isValidPublicKey(bytes(p + '00'.repeat(31) + '01')));
  assert.not.ok(p256.isValidPublicKey(bytes(x + p)));
});

test('private key range: 0 and n throw, n - 1 works (getPublicKey(n-1) = -G)', () => {
  const n = 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551';
  assert.throws(() => p256.getPublicKey(new Uint8Array(32)), /p256/);
  assert.throws(() => p256.getPublicKey(bytes(n)), /p256/);
  assert.throws(() => p256.getPublicKey(new Uint8Array(31)), /p256/);
  assert.throws(() => p256.ecdh(bytes(n), p256.getPublicKey(bytes('00'.repeat(31) + '02'))), /p256/);
  const g = p256.getPublicKey(bytes('00'.repeat(31) + '01'));
  const minusG = p256.getPublicKey(bytes(n.slice(0, 63) + '0'));
  assert.is(hex(minusG.subarray(0, 32)), hex(g.subarray(0, 32)));
  assert.is.not(hex(minusG.subarray(32)), hex(g.subarray(32)));
});

test('deterministic signing (randomBytes = null) repeats; hedged signing differs and both verify', () => {
  const d = bytes('c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721');
  const q = p256.getPublicKey(d);
  const h = sha256(new Uint8Array(Buffer.from('sample')));
  const a = p256.sign(d, h, null);
  const b = p256.sign(d, h, null);
  assert.is(hex(a), hex(b));
  let c = 0;
  const c1 = p256.sign(d, h, (n) => new Uint8Array(n).fill(++c));
  assert.is.not(hex(c1), hex(a));
  for (const s of [a, c1]) assert.ok(p256.verify(q, h, s));
  assert.throws(() => p256.sign(d, h.subarray(1), null), /p256/);
});

test('key generation: rejection sampling skips 0 and values >= n; a stuck source is an error', () => {
  const n = bytes('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
  const queue = [new Uint8Array(32), n, bytes('ff'.repeat(32)), bytes('00'.repeat(31) + '05')];
  const kp = p256.generateKeyPair(() => new Uint8Array(queue.shift() as Uint8Array));
  assert.is(hex(kp.privateKey), '00'.repeat(31) + '05');
  assert.is(hex(kp.publicKey), hex(p256.getPublicKey(bytes('00'.repeat(31) + '05'))));
  assert.throws(() => p256.generateKeyPair(() => new Uint8Array(32)), /p256/);
  assert.throws(() => p256.generateKeyPair(() => new Uint8Array(16)), /p256/);
});

test('tables: G and key tables give the same results; a table for another key is refused', () => {
  const d = bytes('0a0d622a47e48f6bc1038ace438c6f528aa00ad2bd1da5f13ee46bf5f633d71a');
  const other = p256.getPublicKey(bytes('00'.repeat(31) + '07'));
  const q = p256.getPublicKey(bytes('00'.repeat(31) + '05'));
  const before = [hex(p256.getPublicKey(d)), hex(p256.ecdh(d, q))];
  const tg = p256.buildTable('G');
  const tq = p256.buildTable(q);
  assert.is(tg.length, 16320);
  assert.throws(() => p256.useTable(other, tq), /p256/);
  assert.throws(() => p256.useTable('G', tq), /p256/);
  assert.throws(() => p256.useTable(q, tq.subarray(0, 100)), /p256/);
  p256.useTable('G', tg);
  p256.useTable(q, tq);
  try {
    assert.equal([hex(p256.getPublicKey(d)), hex(p256.ecdh(d, q))], before);
  } finally {
    p256.useTable('G', null);
    p256.useTable(q, null);
  }
});

/** A manual event loop: defer queues, run() drains it, counting the slices. */
function loop() {
  const queue: (() => void)[] = [];
  return {
    defer: (fn: () => void) => void queue.push(fn),
    run(): number {
      let n = 0;
      while (queue.length) {
        (queue.shift() as () => void)();
        n++;
      }
      return n;
    },
  };
}

test('sliced forms: same answers, never synchronous, bounded slices, errors through onDone', () => {
  const m = real.mesh;
  const l = loop();
  const got: Record<string, unknown> = {};
  p256.ecdhSliced({ privateKey: bytes(m.device_private_key), publicKey: bytes(m.provisioner_public_key), defer: l.defer, onDone: (e, x) => (got.ecdh = e || hex(x as Uint8Array)) });
  assert.is(got.ecdh, undefined, 'not synchronous');
  const slices = l.run();
  assert.is(got.ecdh, m.ecdh_secret);
  assert.ok(slices > 100, 'ran in ' + slices + ' slices');

  p256.ecdhSliced({ privateKey: bytes(m.device_private_key), publicKey: new Uint8Array(64), defer: l.defer, onDone: (e, x) => (got.invalid = [e, x]) });
  assert.is(got.invalid, undefined);
  l.run();
  assert.equal(got.invalid, [null, null]);

  p256.ecdhSliced({ privateKey: new Uint8Array(32), publicKey: bytes(m.provisioner_public_key), defer: l.defer, onDone: (e) => (got.err = e && e.message) });
  assert.is(got.err, undefined);
  l.run();
  assert.match(String(got.err), /p256/);

  const q = p256.parseSpkiPublicKey(bytes(real.wss.deviceTypePublicKeySpki)) as Uint8Array;
  const r0 = real.wss.dssResponses[0];
  p256.verifySliced({ publicKey: q, hash: sha256(Buffer.from(r0.body, 'latin1')), signature: new Uint8Array(Buffer.from(r0.signatureBase64, 'base64')), defer: l.defer, stepsPerSlice: 8, onDone: (e, ok) => (got.verify = e || ok) });
  const vs = l.run();
  assert.is(got.verify, true);
  assert.ok(vs > 20 && vs < 100, 'verify slices ' + vs);

  let c = 0;
  p256.generateKeyPairSliced({ randomBytes: (n) => new Uint8Array(n).fill(++c), defer: l.defer, onDone: (e, kp) => (got.kp = e || kp) });
  l.run();
  const kp = got.kp as p256.KeyPair;
  assert.is(hex(kp.publicKey), hex(p256.getPublicKey(kp.privateKey)));

  p256.signSliced({ privateKey: kp.privateKey, hash: sha256(Buffer.from('x')), randomBytes: null, defer: l.defer, onDone: (e, s) => (got.sig = e || s) });
  l.run();
  assert.ok(p256.verify(kp.publicKey, sha256(Buffer.from('x')), got.sig as Uint8Array));
  assert.is(hex(got.sig as Uint8Array), hex(p256.sign(kp.privateKey, sha256(Buffer.from('x')), null)));
});

test.run();

// Property tests against independent oracles: Node's crypto (OpenSSL) and @noble/hashes.
// Node has no CMAC, so the CMAC oracle is RFC 4493 written over Node's aes-128-ecb/aes-128-cbc.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { aes128Encrypt } from '../../firmware/crypto/aes.ts';
import { aesCmac } from '../../firmware/crypto/cmac.ts';
import { ccmDecrypt, ccmEncrypt } from '../../firmware/crypto/ccm.ts';
import { hmacSha256, sha256 } from '../../firmware/crypto/sha256.ts';
import { base64Decode, base64Encode } from '../../firmware/crypto/base64.ts';
import { base85Decode, base85Encode } from '../../firmware/crypto/base85.ts';
import { bytesToBinaryString, binaryStringToBytes, bytesToHex, concatBytes, equalBytes, hexToBytes, utf8ToBytes, wipe } from '../../firmware/crypto/bytes.ts';
import { hex, seeded } from './helpers.ts';

const ecb = (key: Uint8Array, data: Uint8Array) => {
  const c = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
};

/** RFC 4493 over OpenSSL: subkeys from AES-ECB, the MAC as the last block of AES-CBC with a zero IV. */
function cmacOracle(key: Uint8Array, msg: Uint8Array): string {
  const dbl = (b: Buffer) => {
    const v = (BigInt('0x' + b.toString('hex')) << 1n) ^ (b[0] & 0x80 ? 0x87n : 0n);
    return Buffer.from((v & ((1n << 128n) - 1n)).toString(16).padStart(32, '0'), 'hex');
  };
  const k1 = dbl(Buffer.from(ecb(key, new Uint8Array(16))));
  const k2 = dbl(k1);
  const complete = msg.length > 0 && msg.length % 16 === 0;
  const padded = Buffer.alloc(complete ? msg.length : Math.floor(msg.length / 16) * 16 + 16);
  Buffer.from(msg).copy(padded);
  if (!complete) padded[msg.length] = 0x80;
  const sub = complete ? k1 : k2;
  for (let i = 0; i < 16; i++) padded[padded.length - 16 + i] ^= sub[i];
  const c = createCipheriv('aes-128-cbc', key, Buffer.alloc(16)).setAutoPadding(false);
  const out = Buffer.concat([c.update(padded), c.final()]);
  return out.subarray(out.length - 16).toString('hex');
}

test('SHA-256 and HMAC-SHA-256 match Node and @noble/hashes on 600 random inputs', () => {
  const r = seeded(1);
  for (let i = 0; i < 600; i++) {
    const msg = r.bytes(i < 200 ? i : r.int(3000));
    const key = r.bytes(r.int(150));
    const want = createHash('sha256').update(msg).digest('hex');
    assert.is(hex(sha256(msg)), want);
    assert.is(hex(nobleSha256(msg)), want);
    const mac = createHmac('sha256', key).update(msg).digest('hex');
    assert.is(hex(hmacSha256(key, msg)), mac);
    assert.is(hex(nobleHmac(nobleSha256, key, msg)), mac);
  }
});

test('AES-128 matches OpenSSL aes-128-ecb on 2000 random keys and blocks', () => {
  const r = seeded(2);
  for (let i = 0; i < 2000; i++) {
    const key = r.bytes(16);
    const block = r.bytes(16);
    assert.is(hex(aes128Encrypt(key, block)), hex(ecb(key, block)));
  }
});

test('AES-CMAC matches an RFC 4493 oracle over OpenSSL on 2000 random keys and messages', () => {
  const r = seeded(3);
  for (let i = 0; i < 2000; i++) {
    const key = r.bytes(16);
    const msg = r.bytes(i < 100 ? i : r.int(300));
    assert.is(hex(aesCmac(key, msg)), cmacOracle(key, msg), 'length ' + msg.length);
  }
});

test('AES-CCM round trips with OpenSSL aes-128-ccm (2000 cases), tampering rejected', () => {
  const r = seeded(4);
  for (let i = 0; i < 2000; i++) {
    const key = r.bytes(16);
    const nonceLength = i % 4 === 0 ? 7 + r.int(7) : 13;
    const nonce = r.bytes(nonceLength);
    const micLength = 4 + 2 * r.int(7);
    const plaintext = r.bytes(r.int(100));
    const aad = i % 3 === 0 ? r.bytes(r.int(40)) : new Uint8Array(0);
    const ours = ccmEncrypt({ key, nonce, plaintext, aad, micLength });
    const c = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: micLength });
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const ct = Buffer.concat([c.update(plaintext), c.final()]);
    const theirs = Buffer.concat([ct, c.getAuthTag()]);
    assert.is(hex(ours), theirs.toString('hex'), 'case ' + i);
    // ours decrypts theirs
    assert.is(hex(ccmDecrypt({ key, nonce, aad, micLength, data: new Uint8Array(theirs) })!), hex(plaintext));
    // OpenSSL decrypts ours
    const d = createDecipheriv('aes-128-ccm', key, nonce, { authTagLength: micLength });
    d.setAuthTag(Buffer.from(ours.subarray(plaintext.length)));
    d.setAAD(aad, { plaintextLength: plaintext.length });
    assert.is(Buffer.concat([d.update(ours.subarray(0, plaintext.length)), d.final()]).toString('hex'), hex(plaintext));
    // any single flipped bit is rejected and releases nothing
    const bad = ours.slice();
    const bit = r.int(bad.length * 8);
    bad[bit >> 3] ^= 1 << (bit & 7);
    assert.is(ccmDecrypt({ key, nonce, aad, micLength, data: bad }), null, 'flipped bit ' + bit);
    const badNonce = nonce.slice();
    badNonce[r.int(nonce.length)] ^= 1;
    assert.is(ccmDecrypt({ key, nonce: badNonce, aad, micLength, data: ours }), null);
  }
});

test('CCM: misuse throws one clear error, short data is a failed MIC', () => {
  const key = new Uint8Array(16);
  assert.throws(() => ccmEncrypt({ key, nonce: new Uint8Array(13), plaintext: new Uint8Array(1), micLength: 5 }), /ccm:/);
  assert.throws(() => ccmEncrypt({ key, nonce: new Uint8Array(14), plaintext: new Uint8Array(1), micLength: 8 }), /ccm:/);
  assert.throws(() => ccmEncrypt({ key: new Uint8Array(15), nonce: new Uint8Array(13), plaintext: new Uint8Array(1), micLength: 8 }), /aes:/);
  assert.is(ccmDecrypt({ key, nonce: new Uint8Array(13), data: new Uint8Array(7), micLength: 8 }), null);
});

test('base64 matches Buffer on random data; malformed input gives null', () => {
  const r = seeded(5);
  for (let i = 0; i < 500; i++) {
    const b = r.bytes(r.int(70));
    const s = Buffer.from(b).toString('base64');
    assert.is(base64Encode(b), s);
    assert.is(hex(base64Decode(s)!), hex(b));
  }
  for (const bad of ['A', 'AB=', 'A===', '=AAA', 'AB=C', 'AB C', 'AB*=', 'QQ==QQ==', 'QR==', 'QUJ=']) {
    assert.is(base64Decode(bad), null, JSON.stringify(bad));
  }
  assert.is(hex(base64Decode('')!), '');
});

test('base85 (RFC 1924 alphabet) matches a BigInt oracle; malformed input gives null', () => {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~';
  const oracle = (b: Uint8Array) => {
    let s = '';
    for (let i = 0; i < b.length; i += 4) {
      let v = BigInt('0x' + hex(b.subarray(i, i + 4)));
      let g = '';
      for (let j = 0; j < 5; j++) {
        g = alphabet[Number(v % 85n)] + g;
        v /= 85n;
      }
      s += g;
    }
    return s;
  };
  const r = seeded(6);
  for (let i = 0; i < 500; i++) {
    const b = r.bytes(4 * r.int(10));
    if (i === 0) b.fill(255);
    assert.is(base85Encode(b), oracle(b));
    assert.is(hex(base85Decode(base85Encode(b))!), hex(b));
  }
  assert.throws(() => base85Encode(new Uint8Array(3)), /base85:/);
  assert.is(base85Decode('0000'), null);
  assert.is(base85Decode('0000"'), null);
  assert.is(base85Decode('|NsC1'), null); // 2^32, one past the largest group
  assert.is(hex(base85Decode('|NsC0')!), 'ffffffff');
});

test('bytes helpers: hex, binary strings, UTF-8 (vs Buffer), concat, constant-time equal, wipe', () => {
  const r = seeded(7);
  const b = r.bytes(600);
  assert.is(bytesToHex(b), hex(b));
  assert.is(hex(hexToBytes(hex(b).toUpperCase())), hex(b));
  assert.throws(() => hexToBytes('abc'), /bytes:/);
  assert.throws(() => hexToBytes('zz'), /bytes:/);
  assert.is(bytesToBinaryString(b), Buffer.from(b).toString('latin1'));
  assert.is(hex(binaryStringToBytes(Buffer.from(b).toString('latin1'))), hex(b));
  for (const s of ['', 'abc', 'é€', '𝄞 clef', 'a\ud800b', '\udc00']) {
    assert.is(hex(utf8ToBytes(s)), Buffer.from(s, 'utf8').toString('hex'), JSON.stringify(s));
  }
  assert.is(hex(concatBytes([b.subarray(0, 3), new Uint8Array(0), b.subarray(3, 10)])), hex(b.subarray(0, 10)));
  assert.ok(equalBytes(b.slice(0, 32), b.slice(0, 32)));
  const c = b.slice(0, 32);
  c[31] ^= 1;
  assert.not.ok(equalBytes(b.slice(0, 32), c));
  assert.not.ok(equalBytes(b.slice(0, 32), b.slice(0, 31)));
  wipe(c);
  assert.is(hex(c), '00'.repeat(32));
});

test.run();

// Spec vectors (test/vectors/*.json, each naming its source) through firmware/crypto, on the pure
// path and again with "native" SHA-256 / AES-ECB plugged in (Node's, standing in for the board's).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCipheriv, createHash } from 'node:crypto';
import { aes128Encrypt, setNativeAes128 } from '../../firmware/crypto/aes.ts';
import { aesCmac } from '../../firmware/crypto/cmac.ts';
import { ccmDecrypt, ccmEncrypt } from '../../firmware/crypto/ccm.ts';
import { hmacSha256, setNativeSha256, sha256, sha256Pure } from '../../firmware/crypto/sha256.ts';
import * as M from '../../firmware/crypto/mesh-keys.ts';
import { HmacDrbg } from '../../firmware/crypto/drbg.ts';
import { base64Decode, base64Encode } from '../../firmware/crypto/base64.ts';
import { base85Decode, base85Encode } from '../../firmware/crypto/base85.ts';
import { asciiToBytes } from '../../firmware/crypto/bytes.ts';
import { hex, unhex, vectors } from './helpers.ts';

const fips = vectors('fips-aes-sha256.json');
const cmac = vectors('rfc4493-aes-cmac.json');
const ccm = vectors('rfc3610-aes-ccm.json');
const meshFns = vectors('mesh-key-functions.json');
const chains = vectors('mesh-provisioning-chains.json');
const drbg = vectors('hmac-drbg-sha256.json');
const wss = vectors('wss-setup-network.json');

let nativeCalls = 0;
const paths: Array<{ name: string; on: () => void; off: () => void }> = [
  { name: 'pure', on: () => {}, off: () => {} },
  {
    name: 'native',
    on: () => {
      setNativeSha256((d) => {
        nativeCalls++;
        return new Uint8Array(createHash('sha256').update(d).digest());
      });
      setNativeAes128((k, b) => {
        nativeCalls++;
        const c = createCipheriv('aes-128-ecb', k, null).setAutoPadding(false);
        return new Uint8Array(Buffer.concat([c.update(b), c.final()]));
      });
    },
    off: () => {
      setNativeSha256(null);
      setNativeAes128(null);
    },
  },
];

for (const p of paths) {
  const t = (name: string, fn: () => void) =>
    test(`${p.name}: ${name}`, () => {
      p.on();
      const before = nativeCalls;
      try {
        fn();
        if (p.name === 'native') assert.ok(nativeCalls > before, 'the native primitives were used');
      } finally {
        p.off();
      }
    });

  t('AES-128 (FIPS 197)', () => {
    for (const v of fips.aes128) assert.is(hex(aes128Encrypt(unhex(v.key), unhex(v.plaintext))), v.ciphertext, v.name);
  });

  t('SHA-256 (FIPS 180-4 examples) and HMAC-SHA-256 (RFC 4231)', () => {
    for (const v of fips.sha256) assert.is(hex(sha256(asciiToBytes(v.ascii.repeat(v.repeat || 1)))), v.digest, v.name);
    for (const v of fips.hmacSha256) {
      const key = v.key ? unhex(v.key) : asciiToBytes(v.keyAscii);
      assert.is(hex(hmacSha256(key, asciiToBytes(v.dataAscii))), v.mac, v.name);
    }
  });

  t('AES-CMAC (RFC 4493 §4)', () => {
    for (const v of cmac.vectors) assert.is(hex(aesCmac(unhex(v.key), unhex(v.msg))), v.mac, v.name);
  });

  t('AES-CCM (RFC 3610 §8): encrypt, decrypt, tampering rejected', () => {
    for (const v of ccm.vectors) {
      const micLength = v.mic.length / 2;
      const o = { key: unhex(v.key), nonce: unhex(v.nonce), aad: unhex(v.aad), micLength };
      const c = ccmEncrypt({ ...o, plaintext: unhex(v.plaintext) });
      assert.is(hex(c), v.ciphertext + v.mic, v.name);
      assert.is(hex(ccmDecrypt({ ...o, data: c })!), v.plaintext, v.name);
      for (const i of [0, c.length - micLength, c.length - 1]) {
        const bad = c.slice();
        bad[i] ^= 0x80;
        assert.is(ccmDecrypt({ ...o, data: bad }), null, v.name + ' flipped byte ' + i);
      }
      const badAad = o.aad.slice();
      badAad[0] ^= 1;
      assert.is(ccmDecrypt({ ...o, aad: badAad, data: c }), null, v.name + ' wrong AAD');
    }
  });

  t('mesh s1, k1, k2, k3, k4 (Mesh Profile §8.1, §8.2)', () => {
    for (const v of meshFns.mesh_s1.vectors) assert.is(hex(M.s1(asciiToBytes(v.m_ascii))), v.s1, v.name);
    for (const v of meshFns.mesh_k1.vectors) assert.is(hex(M.k1(unhex(v.n), unhex(v.salt), unhex(v.p))), v.k1, v.name);
    for (const v of meshFns.mesh_k2.vectors) {
      const r = M.k2(unhex(v.n), unhex(v.p));
      assert.is(r.nid, parseInt(v.nid, 16), v.name);
      assert.is(hex(r.encryptionKey), v.encryption_key, v.name);
      assert.is(hex(r.privacyKey), v.privacy_key, v.name);
    }
    for (const v of meshFns.mesh_k3.vectors) assert.is(hex(M.k3(unhex(v.n))), v.k3, v.name);
    for (const v of meshFns.mesh_k4.vectors) assert.is(M.k4(unhex(v.n)), parseInt(v.k4, 16), v.name);
  });

  t('provisioning key schedule: §8.7 no-OOB and the derived static-OOB chain', () => {
    for (const name of Object.keys(chains)) {
      const v = chains[name];
      const secret = unhex(v.ecdh_secret);
      const salt = M.confirmationSalt(unhex(v.confirmation_inputs));
      assert.is(hex(salt), v.confirmation_salt, name);
      const ck = M.confirmationKey(secret, salt);
      assert.is(hex(ck), v.confirmation_key, name);
      assert.is(hex(M.confirmationValue(ck, unhex(v.random_provisioner), unhex(v.auth_value))), v.confirmation_provisioner, name);
      assert.is(hex(M.confirmationValue(ck, unhex(v.random_device), unhex(v.auth_value))), v.confirmation_device, name);
      const ps = M.provisioningSalt(salt, unhex(v.random_provisioner), unhex(v.random_device));
      assert.is(hex(ps), v.provisioning_salt, name);
      const sk = M.sessionKey(secret, ps);
      const sn = M.sessionNonce(secret, ps);
      assert.is(hex(sk), v.session_key, name);
      assert.is(hex(sn), v.session_nonce, name);
      assert.is(hex(M.deviceKey(secret, ps)), v.device_key, name);
      const data = unhex(v.encrypted_provisioning_data + v.provisioning_data_mic);
      assert.is(hex(ccmEncrypt({ key: sk, nonce: sn, plaintext: unhex(v.provisioning_data), micLength: 8 })), hex(data), name);
      assert.is(hex(ccmDecrypt({ key: sk, nonce: sn, data, micLength: 8 })!), v.provisioning_data, name);
      // the PDUs carry the same values (type octet first)
      assert.is(v.pdu_data, '07' + hex(data), name);
      assert.is(v.pdu_confirmation_device, '05' + v.confirmation_device, name);
    }
  });

  t('HMAC-DRBG (NIST CAVP HMAC_DRBG.rsp, SHA-256)', () => {
    for (const v of drbg.vectors) {
      const d = new HmacDrbg(unhex(v.entropy), unhex(v.nonce), unhex(v.personalization));
      if (v.entropyReseed) d.reseed(unhex(v.entropyReseed));
      d.generate(128);
      assert.is(hex(d.generate(128)), v.returnedBits, v.name);
    }
  });

  t('encoded setup network (wss-protocol.md §3.1): HMAC, base64 passphrase, base85 SSID, hashed PIN', () => {
    const n = wss.encodedSetupNetwork;
    const mac = hmacSha256(unhex(n.sha256OfEcdhX), unhex(n.nonceHex));
    assert.is(hex(mac), n.hmacSha256OfNonce);
    assert.is(base64Encode(mac), n.passphrase);
    assert.is(hex(base64Decode(n.passphrase)!), n.hmacSha256OfNonce);
    const ami = unhex(n.authMaterialIndex);
    const body = new Uint8Array([...ami.subarray(1), ...asciiToBytes(n.productIndex), ...unhex(n.nonceHex)]);
    const head = base64Encode(new Uint8Array([ami[0] >> 4, (ami[0] & 15) << 4])).slice(0, 2);
    assert.is(head + base85Encode(body), n.ssid);
    assert.is(hex(base85Decode(n.ssid.slice(2))!), hex(body));
    assert.is(base64Encode(sha256(asciiToBytes(wss.hashedPin.pin + wss.hashedPin.salt))), wss.hashedPin.hashedPin);
  });
}

test('sha256Pure stays the pure path while a native one is plugged in', () => {
  setNativeSha256(() => new Uint8Array(32)); // a deliberately wrong "native"
  try {
    assert.is(hex(sha256(asciiToBytes('abc'))), '00'.repeat(32));
    assert.is(hex(sha256Pure(asciiToBytes('abc'))), fips.sha256[0].digest);
  } finally {
    setNativeSha256(null);
  }
  assert.is(hex(sha256(asciiToBytes('abc'))), fips.sha256[0].digest);
});

test.run();

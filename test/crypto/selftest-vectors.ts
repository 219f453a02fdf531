// Makes firmware/selftest-vectors.json: the compact subset of test/vectors/*.json that dist/selftest.js
// embeds (positional arrays, no names or sources, DRBG outputs reduced to their SHA-256), so the
// on-device self-test stays small. `node --import tsx test/crypto/selftest-vectors.ts --write`
// regenerates it; test/crypto/selftest.test.ts fails when the committed file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const J = (f: string) => JSON.parse(readFileSync(path.join(root, 'test/vectors', f), 'utf8'));
const hexOf = (s: string) => Buffer.from(s, 'latin1').toString('hex');

export const SELFTEST_VECTORS_FILE = path.join(root, 'firmware/selftest-vectors.json');

export function makeSelftestVectors(): string {
  const fips = J('fips-aes-sha256.json');
  const mk = J('mesh-key-functions.json');
  const ch = J('mesh-provisioning-chains.json');
  const drbg = J('hmac-drbg-sha256.json');
  const wss = J('wss-setup-network.json');
  const ecc = J('selftest-ecc.json');
  const chain = (v: any) => [
    v.ecdh_secret, v.confirmation_inputs, v.confirmation_salt, v.confirmation_key, v.random_provisioner, v.random_device,
    v.auth_value, v.confirmation_provisioner, v.confirmation_device, v.provisioning_salt, v.session_key, v.session_nonce,
    v.device_key, v.encrypted_provisioning_data + v.provisioning_data_mic, v.provisioning_data,
  ];
  const n = wss.encodedSetupNetwork;
  const out = {
    aes: fips.aes128.map((v: any) => [v.key, v.plaintext, v.ciphertext]),
    // the one-million-'a' vector stays on the host (minutes on an interpreter)
    sha: fips.sha256.filter((v: any) => !v.repeat).map((v: any) => [hexOf(v.ascii), v.digest]),
    hmac: fips.hmacSha256.map((v: any) => [v.key || hexOf(v.keyAscii), hexOf(v.dataAscii), v.mac]),
    cmac: J('rfc4493-aes-cmac.json').vectors.map((v: any) => [v.key, v.msg, v.mac]),
    ccm: J('rfc3610-aes-ccm.json').vectors.map((v: any) => [v.key, v.nonce, v.aad, v.plaintext, v.ciphertext + v.mic, v.mic.length / 2]),
    s1: mk.mesh_s1.vectors.map((v: any) => [hexOf(v.m_ascii), v.s1]),
    k1: mk.mesh_k1.vectors.map((v: any) => [v.n, v.salt, v.p, v.k1]),
    k2: mk.mesh_k2.vectors.map((v: any) => [v.n, v.p, v.nid, v.encryption_key, v.privacy_key]),
    k3: mk.mesh_k3.vectors.map((v: any) => [v.n, v.k3]),
    k4: mk.mesh_k4.vectors.map((v: any) => [v.n, v.k4]),
    chains: [chain(ch.mesh_8_7_provisioning_no_oob), chain(ch.derived_static_oob_cmac)],
    drbg: drbg.vectors.map((v: any) => [
      v.entropy, v.nonce, v.personalization, v.entropyReseed || '',
      createHash('sha256').update(Buffer.from(v.returnedBits, 'hex')).digest('hex'),
    ]),
    wss: [n.authMaterialIndex, hexOf(n.productIndex), n.nonceHex, n.ssid, n.sha256OfEcdhX, n.hmacSha256OfNonce, n.passphrase,
      hexOf(wss.hashedPin.pin + wss.hashedPin.salt), wss.hashedPin.hashedPin],
    ecc: {
      mesh: [ecc.mesh.devicePrivateKey, ecc.mesh.devicePublicKey, ecc.mesh.provisionerPublicKey, ecc.mesh.ecdhSecret],
      dtKey: ecc.wss.deviceTypePublicKeyDer,
      devKey: ecc.wss.devicePrivateKeyDer,
      ecdhHash: ecc.wss.sha256OfEcdhX,
      sigs: ecc.wss.signatures.map((s: any) => [Buffer.from(s.bodyAscii, 'utf8').toString('hex'), s.signatureDer]),
    },
  };
  return JSON.stringify(out) + '\n';
}

if (process.argv.includes('--write')) {
  writeFileSync(SELFTEST_VECTORS_FILE, makeSelftestVectors());
  console.log('wrote ' + path.relative(root, SELFTEST_VECTORS_FILE));
}

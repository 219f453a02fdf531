// Test identities for the WSS world, made at test time (never real Amazon material):
//  - a DHA-like device certificate chain (root -> manufacturer -> product -> DAK CA -> device leaf),
//    all P-256 / ECDSA-SHA256, with the device-type OID 1.3.6.1.4.1.4843.1.3 in the subjects
//    (shape from wss-protocol.md §3.2);
//  - the device-type key pair: the DSS signs every body with its private half, the provisioner uses it
//    for ECDH (wss-protocol.md §3.1, §3.3);
//  - a server TLS chain for the DSS host names (a "Starfield-like" test root), for the firmware profile
//    that verifies the server.
// Keys are derived from a seed, so a scenario's identity is stable; certificates are made with the
// `openssl` command line and cached per process.
import { createECDH, createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface KeyPair {
  privateKeyPem: string;
  /** PKCS#8 DER */
  privateKeyDer: Buffer;
  publicKeyPem: string;
  /** 91-byte SubjectPublicKeyInfo DER */
  publicKeyDer: Buffer;
}

export interface WssPki {
  seed: string;
  productIndex: string;
  deviceTypeId: string;
  device: KeyPair;
  /** leaf first, PEM */
  deviceCertChainPem: string[];
  /** leaf first, DER */
  deviceCertChainDer: Buffer[];
  deviceType: KeyPair;
  /** the DHA-like root that the DSS trusts for client certificates */
  dhaRootPem: string;
  /** intermediates the DSS knows (mbedTLS on the device sends only its first DER certificate) */
  dhaIntermediatesPem: string[];
  /** DSS server certificate (SAN: every DSS host name), key, and the root it chains to */
  serverCertPem: string;
  serverKeyPem: string;
  serverRootPem: string;
}

const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** A P-256 key pair whose scalar is derived from (seed, label): deterministic for a scenario. */
export function deriveKeyPair(seed: string, label: string): KeyPair {
  for (let counter = 0; ; counter++) {
    const d = createHash('sha256').update(`wss-sim|${seed}|${label}|${counter}`).digest();
    const k = BigInt('0x' + d.toString('hex'));
    if (k === 0n || k >= P256_N) continue;
    return keyPairFromScalar(d);
  }
}

export function keyPairFromScalar(d: Buffer): KeyPair {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const pub = ecdh.getPublicKey();
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    d: d.toString('base64url'),
    x: pub.subarray(1, 33).toString('base64url'),
    y: pub.subarray(33, 65).toString('base64url'),
  };
  const priv = createPrivateKey({ key: jwk, format: 'jwk' });
  const pubKey = createPublicKey(priv);
  return {
    privateKeyPem: priv.export({ type: 'pkcs8', format: 'pem' }) as string,
    privateKeyDer: priv.export({ type: 'pkcs8', format: 'der' }) as Buffer,
    publicKeyPem: pubKey.export({ type: 'spki', format: 'pem' }) as string,
    publicKeyDer: pubKey.export({ type: 'spki', format: 'der' }) as Buffer,
  };
}

export const DSS_DEFAULT_HOST = 'dp-sps-na.amazon.com';

const OPENSSL_CONFIG = `
oid_section = amz_oids
[amz_oids]
amzDeviceType = 1.3.6.1.4.1.4843.1.3
amzDevEnv = 1.3.6.1.4.1.4843.1.5
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = digitalSignature,keyAgreement
authorityKeyIdentifier = keyid
extendedKeyUsage = clientAuth
`;

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

interface CertSpec {
  name: string;
  subject: string;
  key: KeyPair;
  issuer?: { name: string; key: KeyPair };
  ext: string;
  extraConfig?: string;
}

function makeCerts(specs: CertSpec[]): Record<string, string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wss-pki-'));
  try {
    const out: Record<string, string> = {};
    let serial = 1000;
    for (const s of specs) {
      const cfg = path.join(dir, s.name + '.cnf');
      writeFileSync(cfg, OPENSSL_CONFIG + (s.extraConfig || ''));
      writeFileSync(path.join(dir, s.name + '.key'), s.key.privateKeyPem);
      if (!s.issuer) {
        openssl(dir, ['req', '-new', '-x509', '-config', cfg, '-key', s.name + '.key', '-subj', s.subject,
          '-days', '7300', '-sha256', '-extensions', s.ext, '-set_serial', String(serial++), '-out', s.name + '.pem']);
      } else {
        openssl(dir, ['req', '-new', '-config', cfg, '-key', s.name + '.key', '-subj', s.subject, '-out', s.name + '.csr']);
        writeFileSync(path.join(dir, s.issuer.name + '.key'), s.issuer.key.privateKeyPem);
        openssl(dir, ['x509', '-req', '-in', s.name + '.csr', '-CA', s.issuer.name + '.pem', '-CAkey', s.issuer.name + '.key',
          '-set_serial', String(serial++), '-days', '3650', '-sha256', '-extfile', cfg, '-extensions', s.ext, '-out', s.name + '.pem']);
      }
      out[s.name] = readFileSync(path.join(dir, s.name + '.pem'), 'utf8');
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

const cache = new Map<string, WssPki>();

/**
 * The whole WSS test identity for `seed`. `dhaRootLabel` lets a scenario make a device whose chain
 * comes from a different (untrusted) root: the "wrong CA" case.
 */
export function makeWssPki(opts: { seed: string; productIndex?: string; deviceTypeId?: string; dssHosts?: string[];
  rootLabel?: string }): WssPki {
  const productIndex = opts.productIndex ?? 'T3st';
  const deviceTypeId = opts.deviceTypeId ?? 'A1SIMDEVTYPE01';
  const hosts = opts.dssHosts && opts.dssHosts.length ? opts.dssHosts : [DSS_DEFAULT_HOST];
  const rootLabel = opts.rootLabel ?? 'dha-root';
  const key = JSON.stringify([opts.seed, productIndex, deviceTypeId, hosts, rootLabel]);
  const hit = cache.get(key);
  if (hit) return hit;
  if (!/^[\x21-\x7e]{4}$/.test(productIndex)) throw new Error(`productIndex must be 4 printable ASCII characters, got ${JSON.stringify(productIndex)}`);

  // The PKI roots do not depend on the device seed: one test "Amazon" per process.
  const root = deriveKeyPair('wss-sim-pki', rootLabel);
  const manufacturer = deriveKeyPair('wss-sim-pki', rootLabel + '/manufacturer');
  const product = deriveKeyPair('wss-sim-pki', rootLabel + '/product/' + deviceTypeId);
  const dak = deriveKeyPair('wss-sim-pki', rootLabel + '/dak/' + deviceTypeId);
  // an impostor (another rootLabel) has its own server root too: a verifying firmware must refuse it
  const serverLabel = rootLabel === 'dha-root' ? 'server-root' : rootLabel + '/server-root';
  const serverRoot = deriveKeyPair('wss-sim-pki', serverLabel);
  const serverKey = deriveKeyPair('wss-sim-pki', serverLabel + '/server/' + hosts.join(','));
  const device = deriveKeyPair(opts.seed, 'device');
  const deviceType = deriveKeyPair('wss-sim-pki', 'device-type/' + deviceTypeId);

  const org = '/C=US/O=Simulated Amazon (TEST ONLY)/OU=Device Management';
  const san = `\n[server]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = digitalSignature\nextendedKeyUsage = serverAuth\nsubjectAltName = ${hosts.map((h) => 'DNS:' + h).join(',')}\n`;
  const certs = makeCerts([
    { name: 'root', subject: `${org}/CN=AmazonDHA Root Certificate (TEST ${rootLabel})`, key: root, ext: 'ca' },
    { name: 'manufacturer', subject: `${org}/CN=AmazonDHA VendorID_SIMVENDOR_Manufacturer Certificate`, key: manufacturer,
      issuer: { name: 'root', key: root }, ext: 'ca' },
    { name: 'product', subject: `${org}/CN=AmazonDHA VendorID_SIMVENDOR_Product_${deviceTypeId} Certificate`, key: product,
      issuer: { name: 'manufacturer', key: manufacturer }, ext: 'ca' },
    { name: 'dak', subject: `/amzDeviceType=${deviceTypeId}/amzDevEnv=SoftwareDev`, key: dak,
      issuer: { name: 'product', key: product }, ext: 'ca' },
    { name: 'leaf', subject: `/amzDeviceType=${deviceTypeId}/CN=${createHash('sha256').update(device.publicKeyDer).digest('hex').slice(0, 16)}`,
      key: device, issuer: { name: 'dak', key: dak }, ext: 'leaf' },
    { name: 'serverRoot', subject: `/C=US/O=Simulated Starfield (TEST ONLY)/CN=Test Starfield Class 2 Certification Authority${rootLabel === 'dha-root' ? '' : ' (' + rootLabel + ')'}`,
      key: serverRoot, ext: 'ca' },
    { name: 'server', subject: `/C=US/O=Simulated Amazon (TEST ONLY)/CN=${hosts[0]}`, key: serverKey,
      issuer: { name: 'serverRoot', key: serverRoot }, ext: 'server', extraConfig: san },
  ]);
  const chainPem = [certs.leaf, certs.dak, certs.product, certs.manufacturer];
  const pki: WssPki = {
    seed: opts.seed,
    productIndex,
    deviceTypeId,
    device,
    deviceCertChainPem: chainPem,
    deviceCertChainDer: chainPem.map(pemToDer),
    deviceType,
    dhaRootPem: certs.root,
    dhaIntermediatesPem: [certs.manufacturer, certs.product, certs.dak],
    serverCertPem: certs.server,
    serverKeyPem: serverKey.privateKeyPem,
    serverRootPem: certs.serverRoot,
  };
  // Sanity: the leaf carries the device key.
  if (!new X509Certificate(certs.leaf).publicKey.export({ type: 'spki', format: 'der' }).equals(device.publicKeyDer)) {
    throw new Error('test-pki: leaf certificate does not carry the device key');
  }
  cache.set(key, pki);
  return pki;
}

/** A flash-tool identity (flash/identity.ts) seen as the world's PKI: its dev root, chain and device-type key. */
export function pkiFromIdentity(id: {
  productIndex: string; deviceTypeId: string; deviceKey: Uint8Array; devicePublicKey: Uint8Array; certChain: Uint8Array[];
  world?: { deviceTypePrivateKey: Uint8Array };
}, dssHosts?: string[]): WssPki {
  if (!id.world) throw new Error('identity has no world secrets (a production identity cannot drive the simulated DSS)');
  const base = makeWssPki({ seed: 'server-only', dssHosts });
  const toPem = (der: Uint8Array) => new X509Certificate(Buffer.from(der)).toString();
  const dtPriv = createPrivateKey({ key: Buffer.from(id.world.deviceTypePrivateKey), format: 'der', type: 'pkcs8' });
  const dtPub = createPublicKey(dtPriv);
  const devPriv = createPrivateKey({ key: Buffer.from(id.deviceKey), format: 'der', type: 'pkcs8' });
  const chainPem = id.certChain.map(toPem);
  const selfSigned = (pem: string) => { const c = new X509Certificate(pem); return c.issuer === c.subject; };
  const root = chainPem.find(selfSigned);
  return {
    ...base,
    seed: 'identity',
    productIndex: id.productIndex,
    deviceTypeId: id.deviceTypeId,
    device: {
      privateKeyPem: devPriv.export({ type: 'pkcs8', format: 'pem' }) as string,
      privateKeyDer: Buffer.from(id.deviceKey),
      publicKeyPem: createPublicKey(devPriv).export({ type: 'spki', format: 'pem' }) as string,
      publicKeyDer: Buffer.from(id.devicePublicKey),
    },
    deviceCertChainPem: chainPem.filter((p) => !selfSigned(p)),
    deviceCertChainDer: id.certChain.map((d) => Buffer.from(d)),
    deviceType: {
      privateKeyPem: dtPriv.export({ type: 'pkcs8', format: 'pem' }) as string,
      privateKeyDer: Buffer.from(id.world.deviceTypePrivateKey),
      publicKeyPem: dtPub.export({ type: 'spki', format: 'pem' }) as string,
      publicKeyDer: dtPub.export({ type: 'spki', format: 'der' }) as Buffer,
    },
    dhaRootPem: root ?? base.dhaRootPem,
    dhaIntermediatesPem: chainPem.slice(1).filter((p) => !selfSigned(p)),
  };
}

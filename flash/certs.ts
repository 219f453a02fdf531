// Development certificate chains shaped like Amazon's DHA chains (wss-protocol.md §3.2):
//   leaf (subject OID 1.3.6.1.4.1.4843.1.3 = device type id) → DAK CA → manufacturer CA → test root.
// Everything is deterministic: CA keys come from a fixed, PUBLIC development seed, signatures use
// RFC 6979 and validity dates are fixed, so a simulated DSS can rebuild and trust the same root.
// These chains are for development and simulation only; production chains are imported.
import { createHash } from 'node:crypto';
import { bits, bool, concat, ctx, int, octets, oid, printable, seq, set, time, uint, utf8, type Der } from './der';
import { deriveKey, signDeterministic, type P256Key } from './keys';

/** Not a secret: every development root made by this tool is the same one. */
export const DEV_ROOT_SEED = new TextEncoder().encode('ffs-espruino development root v1 (public, never for production)');
/** Amazon's device-type attribute in DHA leaf subjects. */
export const OID_DEVICE_TYPE = '1.3.6.1.4.1.4843.1.3';

const OID = {
  cn: '2.5.4.3',
  o: '2.5.4.10',
  serialNumber: '2.5.4.5',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

const NOT_BEFORE = new Date(Date.UTC(2024, 0, 1));
const NOT_AFTER = new Date(Date.UTC(2049, 11, 31, 23, 59, 59));

type Rdn = [string, string];
const name = (rdns: Rdn[]): Der =>
  seq(...rdns.map(([o, v]) => set(seq(oid(o), o === OID.serialNumber ? printable(v) : utf8(v)))));

const ext = (id: string, critical: boolean, value: Der): Der =>
  critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));

const keyId = (k: P256Key): Uint8Array => new Uint8Array(createHash('sha1').update(k.publicPoint).digest());

function serialFrom(label: string): Uint8Array {
  const h = new Uint8Array(createHash('sha256').update(label).digest().subarray(0, 16));
  h[0] = (h[0] & 0x7f) | 0x01; // positive, non-zero (RFC 5280 §4.1.2.2)
  return h;
}

export interface CertSpec {
  subject: Rdn[];
  subjectKey: P256Key;
  issuer: Rdn[];
  issuerKey: P256Key;
  serialLabel: string;
  ca: boolean;
  pathLen?: number;
}

/** Build and sign one X.509 v3 certificate (RFC 5280 §4.1) with ECDSA-SHA256. */
export function makeCertificate(spec: CertSpec): Uint8Array {
  const sigAlg = seq(oid(OID.ecdsaSha256));
  const exts: Der[] = [
    ext(OID.basicConstraints, true, spec.ca ? seq(bool(true), ...(spec.pathLen === undefined ? [] : [int(spec.pathLen)])) : seq()),
    // keyUsage: CA keyCertSign|cRLSign (0x06, 1 unused bit); leaf digitalSignature (0x80, 7 unused bits)
    ext(OID.keyUsage, true, spec.ca ? bits(Uint8Array.of(0x06), 1) : bits(Uint8Array.of(0x80), 7)),
    ext(OID.subjectKeyId, false, octets(keyId(spec.subjectKey))),
    ext(OID.authorityKeyId, false, seq(ctx(0, keyId(spec.issuerKey), false))),
  ];
  if (!spec.ca) exts.push(ext(OID.extKeyUsage, false, seq(oid(OID.clientAuth))));
  const tbs = seq(
    ctx(0, int(2)),
    uint(serialFrom(spec.serialLabel)),
    sigAlg,
    name(spec.issuer),
    seq(time(NOT_BEFORE), time(NOT_AFTER)),
    name(spec.subject),
    spec.subjectKey.spki,
    ctx(3, seq(...exts)),
  );
  return seq(tbs, sigAlg, bits(signDeterministic(spec.issuerKey, tbs)));
}

export interface DevCa {
  rootKey: P256Key;
  rootCert: Uint8Array;
  mfgKey: P256Key;
  mfgCert: Uint8Array;
  dakKey: P256Key;
  dakCert: Uint8Array;
  mfgName: Rdn[];
  dakName: Rdn[];
}

const ROOT_NAME: Rdn[] = [
  [OID.o, 'ffs-espruino development'],
  [OID.cn, 'FFS Espruino Test Root (not for production)'],
];
const caCache = new Map<string, DevCa>();

/** The development CA hierarchy for one manufacturer and device type (cached, deterministic). */
export function devCa(manufacturer: string, deviceTypeId: string): DevCa {
  const cacheKey = manufacturer + '\u0000' + deviceTypeId;
  const hit = caCache.get(cacheKey);
  if (hit) return hit;
  const rootKey = deriveKey(DEV_ROOT_SEED, 'root');
  const rootCert = makeCertificate({ subject: ROOT_NAME, subjectKey: rootKey, issuer: ROOT_NAME, issuerKey: rootKey, serialLabel: 'root', ca: true });
  const mfgName: Rdn[] = [[OID.o, manufacturer], [OID.cn, 'FFS Test Manufacturer CA ' + manufacturer]];
  const mfgKey = deriveKey(DEV_ROOT_SEED, 'mfg:' + manufacturer);
  const mfgCert = makeCertificate({ subject: mfgName, subjectKey: mfgKey, issuer: ROOT_NAME, issuerKey: rootKey, serialLabel: 'mfg:' + manufacturer, ca: true, pathLen: 1 });
  const dakName: Rdn[] = [[OID.o, manufacturer], [OID_DEVICE_TYPE, deviceTypeId], [OID.cn, 'FFS Test DAK CA ' + deviceTypeId]];
  const dakKey = deriveKey(DEV_ROOT_SEED, 'dak:' + manufacturer + ':' + deviceTypeId);
  const dakCert = makeCertificate({ subject: dakName, subjectKey: dakKey, issuer: mfgName, issuerKey: mfgKey, serialLabel: 'dak:' + manufacturer + ':' + deviceTypeId, ca: true, pathLen: 0 });
  const ca = { rootKey, rootCert, mfgKey, mfgCert, dakKey, dakCert, mfgName, dakName };
  caCache.set(cacheKey, ca);
  return ca;
}

/** The development root certificate (DER): what a simulated DSS trusts for client certificates. */
export function devRootCertificate(): Uint8Array {
  return devCa('dev', 'dev').rootCert;
}

/** A development device chain, leaf first: [leaf, DAK CA, manufacturer CA, root]. */
export function devChain(opts: { deviceKey: P256Key; manufacturer: string; deviceTypeId: string; serialNumber: string }): Uint8Array[] {
  const ca = devCa(opts.manufacturer, opts.deviceTypeId);
  const leaf = makeCertificate({
    subject: [[OID_DEVICE_TYPE, opts.deviceTypeId], [OID.serialNumber, opts.serialNumber]],
    subjectKey: opts.deviceKey,
    issuer: ca.dakName,
    issuerKey: ca.dakKey,
    serialLabel: 'leaf:' + opts.deviceTypeId + ':' + opts.serialNumber + ':' + Buffer.from(opts.deviceKey.publicPoint).toString('hex'),
    ca: false,
  });
  return [leaf, ca.dakCert, ca.mfgCert, ca.rootCert];
}

export const derToPem = (der: Uint8Array, label = 'CERTIFICATE'): string =>
  `-----BEGIN ${label}-----\n` + (Buffer.from(der).toString('base64').match(/.{1,64}/g) || []).join('\n') + `\n-----END ${label}-----\n`;

/** Every PEM block of a given label, decoded. */
export function pemToDers(pem: string, label = 'CERTIFICATE'): Uint8Array[] {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  const out: Uint8Array[] = [];
  for (let m = re.exec(pem); m; m = re.exec(pem)) out.push(new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ''), 'base64')));
  return out;
}

export const concatDer = (ders: Uint8Array[]): Uint8Array => concat(ders);

// A device's identity: everything that makes one board a distinct FFS provisionee.
// makeIdentity({seed}) is deterministic (the simulator, reproducible tests); without a seed it uses
// fresh randomness (production). Identity files are JSON with hex byte strings (see docs/FLASH.md).
import { X509Certificate, createHmac, randomBytes } from 'node:crypto';
import { deriveKey, importPrivateKey, keyFromScalar, type P256Key } from './keys';
import { DEV_ROOT_SEED, devChain, devRootCertificate } from './certs';

export const IDENTITY_FORMAT = 'ffs-device-identity/1';

/** Device details as the DSS sees them (CSDK configuration keys DeviceInformation.*). */
export interface DeviceDetails {
  manufacturerName: string;
  modelNumber: string;
  serialNumber: string;
  hardwareVersion: string;
  firmwareVersion: string;
  /** BLE device name (DeviceInformation.BleDeviceName), optional. */
  bleDeviceName?: string;
}

export interface MeshIdentity {
  /** 16-byte mesh Device UUID (RFC 4122 version-4 layout). */
  deviceUuid: Uint8Array;
  /** 16-byte static OOB value = the AuthValue of Static OOB provisioning (secret). */
  staticOob: Uint8Array;
  /** OOB Information bits for the unprovisioned beacon (mesh-provisioning.md §1.8). */
  oobInfo: number;
}

/** The BSS credential triple Amazon receives through the barcode / manufacturing records. */
export interface BssCredential {
  oobType: 'static';
  /** hex of the 16-byte static OOB (secret) */
  oobData: string;
  /** canonical 8-4-4-4-12 form of the Device UUID */
  deviceUuid: string;
}

/** World-side secrets: used by the simulated DSS / provisioner only. NEVER flashed, never in an image. */
export interface WorldSecrets {
  /** PKCS#8 DER of the device-type private key (the DSS signing / ECDH key). */
  deviceTypePrivateKey: Uint8Array;
}

export interface DeviceIdentity {
  format: typeof IDENTITY_FORMAT;
  kind: 'development' | 'production';
  /** 4 ASCII characters (Amazon product index, DeviceInformation.ProductIndex). */
  productIndex: string;
  /** Amazon device type id (leaf subject OID 1.3.6.1.4.1.4843.1.3). */
  deviceTypeId: string;
  deviceDetails: DeviceDetails;
  /** PKCS#8 DER of the device P-256 private key (secret). */
  deviceKey: Uint8Array;
  /** 91-byte SubjectPublicKeyInfo DER of the device key. */
  devicePublicKey: Uint8Array;
  /** DER certificates, leaf first (leaf, DAK CA, manufacturer CA, root for development chains). */
  certChain: Uint8Array[];
  /** 91-byte SPKI DER of the device-type (DSS) public key. */
  deviceTypeKey: Uint8Array;
  mesh: MeshIdentity;
  // No DRBG seed here: the flash tool writes a fresh random ffs.seed at every flash (flash/image.ts).
  bss: BssCredential;
  /** Never flashed. Present only for development identities (the simulated world's half). */
  world?: WorldSecrets;
}

export interface MakeIdentityOptions {
  /** Deterministic identity from this seed; omitted = fresh randomness (production). */
  seed?: string | number | Uint8Array;
  kind?: 'development' | 'production';
  productIndex?: string;
  deviceTypeId?: string;
  manufacturerName?: string;
  modelNumber?: string;
  serialNumber?: string;
  hardwareVersion?: string;
  firmwareVersion?: string;
  bleDeviceName?: string;
  oobInfo?: number;
  /** Import the maker's device key (PEM/DER) instead of making one. */
  deviceKey?: Uint8Array | string;
  /** Import the maker's chain (DER list, leaf first); requires deviceKey. */
  certChain?: Uint8Array[];
  /** Import the device-type public key (SPKI DER, 91 bytes) given by Amazon. */
  deviceTypeKey?: Uint8Array;
}

export const DEFAULTS = {
  productIndex: 'SIM1',
  deviceTypeId: 'A1FFSDEVTYPE01',
  manufacturerName: 'Example Maker',
  modelNumber: 'ESP32-FFS-1',
  hardwareVersion: '1.0',
  firmwareVersion: '0.1.0',
  /** 2D machine-readable code (0x0004) | on box (0x0800) */
  oobInfo: 0x0804,
};

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function seedBytes(seed: string | number | Uint8Array): Uint8Array {
  if (seed instanceof Uint8Array) return seed;
  return new TextEncoder().encode('ffs-identity-seed:' + String(seed));
}

/** Canonical UUID text (8-4-4-4-12, lower case). */
export function uuidString(b: Uint8Array): string {
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The device-type key pair of the development world for a device type (deterministic, public seed). */
export function devDeviceTypeKey(deviceTypeId: string = DEFAULTS.deviceTypeId): P256Key {
  return deriveKey(DEV_ROOT_SEED, 'device-type:' + deviceTypeId);
}

export { devRootCertificate };

/** Make one device identity (synchronous; see docs/FLASH.md for every field). */
export function makeIdentity(opts: MakeIdentityOptions = {}): DeviceIdentity {
  const master = opts.seed === undefined ? new Uint8Array(randomBytes(32)) : seedBytes(opts.seed);
  const expand = (label: string, n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let i = 0, o = 0; o < n; i++) {
      const blk = createHmac('sha256', master).update(label).update(Uint8Array.of(i)).digest();
      out.set(blk.subarray(0, Math.min(32, n - o)), o);
      o += 32;
    }
    return out;
  };
  const productIndex = opts.productIndex ?? DEFAULTS.productIndex;
  if (!/^[\x21-\x7e]{4}$/.test(productIndex)) throw new Error('product index must be 4 printable ASCII characters, got ' + JSON.stringify(productIndex));
  const deviceTypeId = opts.deviceTypeId ?? DEFAULTS.deviceTypeId;
  const manufacturerName = opts.manufacturerName ?? DEFAULTS.manufacturerName;
  const serialNumber = opts.serialNumber ?? 'FFS' + hex(expand('serial', 5)).toUpperCase();

  let deviceKey: P256Key;
  let certChain: Uint8Array[];
  if (opts.deviceKey !== undefined) {
    deviceKey = importPrivateKey(opts.deviceKey);
    if (!opts.certChain || opts.certChain.length === 0) throw new Error('an imported device key needs its certificate chain');
    certChain = opts.certChain;
    checkLeafMatchesKey(certChain[0], deviceKey);
  } else {
    if (opts.certChain) throw new Error('an imported certificate chain needs its device key');
    deviceKey = deriveKey(master, 'device-key');
    certChain = devChain({ deviceKey, manufacturer: manufacturerName, deviceTypeId, serialNumber });
  }

  let deviceTypeKey: Uint8Array;
  let world: WorldSecrets | undefined;
  if (opts.deviceTypeKey) {
    deviceTypeKey = opts.deviceTypeKey;
  } else {
    const dt = devDeviceTypeKey(deviceTypeId);
    deviceTypeKey = dt.spki;
    world = { deviceTypePrivateKey: dt.pkcs8 };
  }

  const deviceUuid = expand('mesh-device-uuid', 16);
  deviceUuid[6] = (deviceUuid[6] & 0x0f) | 0x40; // RFC 4122 version 4
  deviceUuid[8] = (deviceUuid[8] & 0x3f) | 0x80; // RFC 4122 variant
  const staticOob = expand('mesh-static-oob', 16);

  const id: DeviceIdentity = {
    format: IDENTITY_FORMAT,
    kind: opts.kind ?? (opts.seed === undefined ? 'production' : 'development'),
    productIndex,
    deviceTypeId,
    deviceDetails: {
      manufacturerName,
      modelNumber: opts.modelNumber ?? DEFAULTS.modelNumber,
      serialNumber,
      hardwareVersion: opts.hardwareVersion ?? DEFAULTS.hardwareVersion,
      firmwareVersion: opts.firmwareVersion ?? DEFAULTS.firmwareVersion,
      ...(opts.bleDeviceName ? { bleDeviceName: opts.bleDeviceName } : {}),
    },
    deviceKey: deviceKey.pkcs8,
    devicePublicKey: deviceKey.spki,
    certChain,
    deviceTypeKey,
    mesh: { deviceUuid, staticOob, oobInfo: opts.oobInfo ?? DEFAULTS.oobInfo },
    bss: { oobType: 'static', oobData: hex(staticOob), deviceUuid: uuidString(deviceUuid) },
    ...(world ? { world } : {}),
  };
  validateIdentity(id);
  return id;
}

function checkLeafMatchesKey(leafDer: Uint8Array, key: P256Key): void {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(Buffer.from(leafDer));
  } catch {
    throw new Error('the first certificate of the chain is not a valid X.509 certificate');
  }
  if (!leaf.checkPrivateKey(key.privateKey)) throw new Error('the leaf certificate does not belong to the device private key');
}

/** The device private key as a Node KeyObject (host use: TLS in tests, signing). */
export function identityKey(id: DeviceIdentity): P256Key {
  return importPrivateKey(id.deviceKey);
}

// ---------------------------------------------------------------------------------------------
// JSON form: bytes as lower-case hex, certificates as base64 DER. Strict validation on load.
// ---------------------------------------------------------------------------------------------

export interface IdentityJson {
  format: string;
  kind: string;
  productIndex: string;
  deviceTypeId: string;
  deviceDetails: DeviceDetails;
  deviceKey: string;
  devicePublicKey: string;
  certChain: string[];
  deviceTypeKey: string;
  mesh: { deviceUuid: string; staticOob: string; oobInfo: number };
  bss: BssCredential;
  world?: { deviceTypePrivateKey: string };
}

export function identityToJson(id: DeviceIdentity): IdentityJson {
  return {
    format: id.format,
    kind: id.kind,
    productIndex: id.productIndex,
    deviceTypeId: id.deviceTypeId,
    deviceDetails: id.deviceDetails,
    deviceKey: hex(id.deviceKey),
    devicePublicKey: hex(id.devicePublicKey),
    certChain: id.certChain.map((c) => Buffer.from(c).toString('base64')),
    deviceTypeKey: hex(id.deviceTypeKey),
    mesh: { deviceUuid: hex(id.mesh.deviceUuid), staticOob: hex(id.mesh.staticOob), oobInfo: id.mesh.oobInfo },
    bss: id.bss,
    ...(id.world ? { world: { deviceTypePrivateKey: hex(id.world.deviceTypePrivateKey) } } : {}),
  };
}

/** Thrown for a malformed or inconsistent identity; the message is one line naming the field. */
export class IdentityError extends Error {}

function fail(field: string, why: string): never {
  throw new IdentityError(`identity: ${field}: ${why}`);
}

function hexField(v: unknown, field: string, len?: number): Uint8Array {
  if (typeof v !== 'string') fail(field, v === undefined ? 'missing' : 'must be a hex string');
  if (!/^([0-9a-fA-F]{2})*$/.test(v)) fail(field, 'is not hex');
  const b = new Uint8Array(Buffer.from(v, 'hex'));
  if (len !== undefined && b.length !== len) fail(field, `must be ${len} bytes, got ${b.length}`);
  return b;
}

function strField(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) fail(field, v === undefined ? 'missing' : 'must be a non-empty string');
  return v;
}

/** Parse and validate an identity file's JSON. Throws IdentityError with one clear line. */
export function identityFromJson(json: unknown): DeviceIdentity {
  if (!json || typeof json !== 'object') throw new IdentityError('identity: not a JSON object');
  const j = json as Record<string, any>;
  if (j.format !== IDENTITY_FORMAT) fail('format', `expected "${IDENTITY_FORMAT}", got ${JSON.stringify(j.format)}`);
  if (j.kind !== 'development' && j.kind !== 'production') fail('kind', 'must be "development" or "production"');
  const dd = j.deviceDetails;
  if (!dd || typeof dd !== 'object') fail('deviceDetails', 'missing');
  const deviceDetails: DeviceDetails = {
    manufacturerName: strField(dd.manufacturerName, 'deviceDetails.manufacturerName'),
    modelNumber: strField(dd.modelNumber, 'deviceDetails.modelNumber'),
    serialNumber: strField(dd.serialNumber, 'deviceDetails.serialNumber'),
    hardwareVersion: strField(dd.hardwareVersion, 'deviceDetails.hardwareVersion'),
    firmwareVersion: strField(dd.firmwareVersion, 'deviceDetails.firmwareVersion'),
    ...(dd.bleDeviceName !== undefined ? { bleDeviceName: strField(dd.bleDeviceName, 'deviceDetails.bleDeviceName') } : {}),
  };
  if (!Array.isArray(j.certChain) || j.certChain.length === 0) fail('certChain', 'missing or empty');
  const certChain = (j.certChain as unknown[]).map((c, i) => {
    if (typeof c !== 'string' || !/^[A-Za-z0-9+/]+=*$/.test(c)) fail(`certChain[${i}]`, 'must be base64 DER');
    return new Uint8Array(Buffer.from(c, 'base64'));
  });
  const m = j.mesh;
  if (!m || typeof m !== 'object') fail('mesh', 'missing');
  if (!Number.isInteger(m.oobInfo) || m.oobInfo < 0 || m.oobInfo > 0xffff) fail('mesh.oobInfo', 'must be a 16-bit integer');
  const id: DeviceIdentity = {
    format: IDENTITY_FORMAT,
    kind: j.kind,
    productIndex: strField(j.productIndex, 'productIndex'),
    deviceTypeId: strField(j.deviceTypeId, 'deviceTypeId'),
    deviceDetails,
    deviceKey: hexField(j.deviceKey, 'deviceKey'),
    devicePublicKey: hexField(j.devicePublicKey, 'devicePublicKey', 91),
    certChain,
    deviceTypeKey: hexField(j.deviceTypeKey, 'deviceTypeKey', 91),
    mesh: { deviceUuid: hexField(m.deviceUuid, 'mesh.deviceUuid', 16), staticOob: hexField(m.staticOob, 'mesh.staticOob', 16), oobInfo: m.oobInfo },
    // a `drbgSeed` of older identity files is ignored: the seed is fresh at every flash, never kept here
    bss: j.bss,
    ...(j.world ? { world: { deviceTypePrivateKey: hexField(j.world.deviceTypePrivateKey, 'world.deviceTypePrivateKey') } } : {}),
  };
  validateIdentity(id);
  return id;
}

/** Consistency checks shared by makeIdentity and identityFromJson. */
export function validateIdentity(id: DeviceIdentity): void {
  if (!/^[\x21-\x7e]{4}$/.test(id.productIndex)) fail('productIndex', 'must be 4 printable ASCII characters');
  if (id.deviceKey.length === 0) fail('deviceKey', 'missing');
  let key: P256Key;
  try {
    key = importPrivateKey(id.deviceKey);
  } catch (e) {
    fail('deviceKey', 'is not a P-256 private key (PKCS#8 DER)');
  }
  if (!Buffer.from(key.spki).equals(Buffer.from(id.devicePublicKey))) fail('devicePublicKey', 'does not match deviceKey');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(Buffer.from(id.certChain[0]));
  } catch {
    fail('certChain[0]', 'is not a valid X.509 certificate');
  }
  if (!leaf.checkPrivateKey(key.privateKey)) fail('certChain[0]', 'leaf certificate does not belong to deviceKey');
  for (let i = 1; i < id.certChain.length; i++) {
    let c: X509Certificate;
    try {
      c = new X509Certificate(Buffer.from(id.certChain[i]));
    } catch {
      fail(`certChain[${i}]`, 'is not a valid X.509 certificate');
    }
    const child = new X509Certificate(Buffer.from(id.certChain[i - 1]));
    if (!child.verify(c.publicKey)) fail(`certChain[${i - 1}]`, 'is not signed by the next certificate in the chain');
  }
  if (id.deviceTypeKey.length !== 91 || id.deviceTypeKey[0] !== 0x30) fail('deviceTypeKey', 'must be a 91-byte P-256 SubjectPublicKeyInfo DER');
  if (id.bss?.oobType !== 'static') fail('bss.oobType', 'must be "static"');
  if (id.bss.oobData !== hex(id.mesh.staticOob)) fail('bss.oobData', 'does not match mesh.staticOob');
  if (id.bss.deviceUuid !== uuidString(id.mesh.deviceUuid)) fail('bss.deviceUuid', 'does not match mesh.deviceUuid');
  if (id.world) {
    let dt: P256Key;
    try {
      dt = importPrivateKey(id.world.deviceTypePrivateKey);
    } catch {
      fail('world.deviceTypePrivateKey', 'is not a P-256 private key');
    }
    if (!Buffer.from(dt.spki).equals(Buffer.from(id.deviceTypeKey))) fail('world.deviceTypePrivateKey', 'does not match deviceTypeKey');
  }
}

export { keyFromScalar };

// The Storage image of one device: exactly the files the flash tool writes, in write order.
// The simulator flashes its boards with this same function, so a simulated board holds what a real
// one would. File formats are documented in docs/FLASH.md (the firmware helpers read them).
//
// Boot (Espruino src/jsflash.c jsfLoadBootCodeFromFlash): on power-on and load() the interpreter
// runs `.boot0`…`.boot3` and then `.bootcde` (`.bootrst` instead if it exists); after reset() it runs
// `.boot0`…`.boot3` and `.bootrst` only. The app therefore boots from `.bootcde`, which is a small,
// fixed loader: it picks the verified app with the highest generation from the `ffs.ok.*` markers
// and evaluates it straight from Storage (functions stay in flash). A new app is written under a new
// name (`ffs.app.<sha8>`), verified, and only then is its marker written: an interrupted flash leaves
// the previous marker, so the board boots the previous app.
import { createHash, randomBytes } from 'node:crypto';
import { FILES } from '../hal/storage-layout';
import { FIRMWARE_VERSION, TARGET_ESPRUINO } from '../firmware/version';
import type { DeviceIdentity } from './identity';
import { slotText } from '../firmware/store/record';

export interface StorageFile {
  name: string;
  data: Uint8Array;
}

/** Storage names of the boot machinery (kept out of hal/storage-layout.ts: only the flash tool and the loader use them). */
export const BOOT = {
  /** Espruino's boot code file: holds the loader below. */
  entry: '.bootcde',
  /** Espruino's "run after reset()" boot file: it would shadow `.bootcde`, so the flash tool erases it. */
  resetEntry: '.bootrst',
  /** app file prefix: `ffs.app.<first 8 hex of SHA-256(app)>` */
  appPrefix: 'ffs.app.',
  /** verified-app marker prefix: `ffs.ok.<same 8 hex>`, JSON {app, g, sha256, size} */
  markerPrefix: 'ffs.ok.',
} as const;

/**
 * The `.bootcde` loader, in the Espruino dialect (ES5, no regex, no hoisting reliance). It evaluates
 * the chosen app at top level so the bundle behaves exactly as if it were `.bootcde` itself.
 */
export const BOOT_LOADER =
  'var FFS_APP=(function(){var S=require("Storage"),l=S.list(),b,g=-1,i,m;' +
  'for(i=0;i<l.length;i++){if(l[i].indexOf("' + BOOT.markerPrefix + '")==0){m=S.readJSON(l[i],1);' +
  'if(m&&typeof m.g=="number"&&m.g>g&&typeof m.app=="string"&&S.read(m.app)!==undefined){b=m.app;g=m.g;}}}return b;})();\n' +
  'if(FFS_APP)eval(require("Storage").read(FFS_APP));else print("FFS: no verified app in Storage");\n';

export interface DeviceConfigOptions {
  /** DSS endpoint (CSDK DSS.Host / DSS.Port; default dp-sps-na.amazon.com, 443 / 8888 on the encoded network) */
  dss?: { host?: string; port?: number; setupPort?: number };
  /** which flows run (default: WSS on, mesh on) */
  flows?: { wss?: boolean; mesh?: boolean; softAp?: boolean };
  /** board pins (hal/espruino/pins.ts PinConfig) */
  pins?: { button?: string; buttonActiveLow?: boolean; led?: string };
  button?: { shortHoldMs?: number; factoryResetMs?: number };
  /** mesh options that are not secrets (e.g. beacon URI) */
  mesh?: Record<string, unknown>;
  /** further keys merged into ffs.cfg as given (scenario overrides) */
  [key: string]: unknown;
}

export interface BuildImageOptions {
  /** the flashed bundle (dist/firmware.js), byte for byte */
  bundle: string | Uint8Array;
  identity: DeviceIdentity;
  config?: DeviceConfigOptions;
  /** precomputed fixed-base tables (firmware/crypto p256 buildTable), when available */
  tables?: { deviceType?: Uint8Array; generator?: Uint8Array };
  /** generation of this app's marker: one more than the highest on the board (default 1) */
  generation?: number;
  /**
   * Where the fresh entropy of this flash comes from (the DRBG seed, the boot record's carry): the
   * operating system's generator unless given (the simulator passes bytes from its scenario seed).
   */
  random?: (n: number) => Uint8Array;
}

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

/**
 * The certificate chain as NUL-terminated PEM, leaf first, 64 base64 characters a line: what the
 * firmware hands its TLS client as `cert` (hal/espruino/http.ts). mbedTLS parses every certificate of
 * a PEM buffer but only the first of a DER one, and the DSS must see the whole chain to reach its root.
 */
export function certChainPem(chain: Uint8Array[]): string {
  let pem = '';
  for (const der of chain) {
    const b64 = Buffer.from(der).toString('base64');
    pem += '-----BEGIN CERTIFICATE-----\n';
    for (let i = 0; i < b64.length; i += 64) pem += b64.substring(i, i + 64) + '\n';
    pem += '-----END CERTIFICATE-----\n';
  }
  return pem + '\0';
}
const jsonFile = (name: string, v: unknown): StorageFile => ({ name, data: utf8(JSON.stringify(v)) });
export const sha256hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export function appFileName(app: Uint8Array): string {
  return BOOT.appPrefix + sha256hex(app).slice(0, 8);
}
export function markerFileName(app: Uint8Array): string {
  return BOOT.markerPrefix + sha256hex(app).slice(0, 8);
}

/** The ffs.cfg object (not secret). */
export function deviceConfig(identity: DeviceIdentity, config: DeviceConfigOptions = {}): Record<string, unknown> {
  const { dss, flows, pins, button, mesh, ...extra } = config;
  return {
    v: 1,
    productIndex: identity.productIndex,
    deviceTypeId: identity.deviceTypeId,
    /** 91-byte SPKI DER of the device key, hex (DeviceInformation.PublicKey; saves a scalar multiplication on the device) */
    devicePublicKey: Buffer.from(identity.devicePublicKey).toString('hex'),
    deviceDetails: identity.deviceDetails,
    dss: { host: 'dp-sps-na.amazon.com', port: 443, setupPort: 8888, ...(dss || {}) },
    flows: { wss: true, mesh: true, softAp: true, ...(flows || {}) },
    pins: { button: 'D0', buttonActiveLow: true, led: 'D2', ...(pins || {}) },
    button: { shortHoldMs: 3000, factoryResetMs: 10000, ...(button || {}) },
    mesh: { ...(mesh || {}) },
    firmware: { version: FIRMWARE_VERSION, espruino: TARGET_ESPRUINO },
    ...extra,
  };
}

/**
 * Every Storage file for one device, in the order the flash tool writes them: the app (new name),
 * configuration and secrets, the boot loader, and last the app's marker (the switch).
 */
export function buildStorageImage(opts: BuildImageOptions): StorageFile[] {
  const id = opts.identity;
  const app = typeof opts.bundle === 'string' ? utf8(opts.bundle) : new Uint8Array(opts.bundle);
  if (app.length === 0) throw new Error('image: the bundle is empty');
  const generation = opts.generation ?? 1;
  const random = opts.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const bootRecord = utf8(slotText(1, 1, JSON.stringify({ boots: 0, carry: Buffer.from(random(32)).toString('hex') })));
  const files: StorageFile[] = [
    // 1. the app under its own new name: nothing boots it yet
    { name: appFileName(app), data: app },
    // 2. configuration and secrets (separate files, never inside the app)
    jsonFile(FILES.config, deviceConfig(id, opts.config)),
    { name: FILES.deviceKey, data: new Uint8Array(id.deviceKey) },
    { name: FILES.certChain, data: new Uint8Array(Buffer.concat(id.certChain.map((c) => Buffer.from(c)))) },
    { name: FILES.certPem, data: utf8(certChainPem(id.certChain)) },
    { name: FILES.deviceTypeKey, data: new Uint8Array(id.deviceTypeKey) },
  ];
  if (opts.tables?.deviceType) files.push({ name: FILES.deviceTypeTable, data: opts.tables.deviceType });
  if (opts.tables?.generator) files.push({ name: FILES.generatorTable, data: opts.tables.generator });
  files.push(
    jsonFile(FILES.mesh, {
      deviceUuid: Buffer.from(id.mesh.deviceUuid).toString('hex'),
      staticOob: Buffer.from(id.mesh.staticOob).toString('hex'),
      oobInfo: id.mesh.oobInfo,
    }),
    // fresh at every flash, never derived from or kept in the identity: a board flashed again, or a
    // second board with the same identity, does not replay random bytes (hal/espruino/crypto.ts)
    { name: FILES.seed, data: random(32) },
    // the DRBG boot record (firmware/store/record.ts slots, version 1) with a random carry, in both
    // slots so no older record on the board outranks it
    { name: FILES.bootCounter + '.a', data: bootRecord },
    { name: FILES.bootCounter + '.b', data: bootRecord },
    // 3. the boot loader (fixed content: normally written once), then 4. the switch: the app's marker
    { name: BOOT.entry, data: utf8(BOOT_LOADER) },
    jsonFile(markerFileName(app), { app: appFileName(app), g: generation, sha256: sha256hex(app), size: app.length }),
  );
  for (const f of files) {
    if (f.name.length > 28) throw new Error(`image: Storage name ${f.name} is longer than 28 characters`);
    if (f.data.length === 0) throw new Error(`image: ${f.name} would be empty`);
  }
  return files;
}

/** Files that hold secrets (never printed, never logged; dry-run writes them with mode 0600). */
export const SECRET_FILES: readonly string[] = [FILES.deviceKey, FILES.mesh, FILES.seed, FILES.bootCounter + '.a', FILES.bootCounter + '.b'];

/**
 * Fixed-base tables from firmware/crypto's buildTable, if that module exists in this checkout
 * (optional: every operation on the device works without them).
 */
export async function buildTables(identity: DeviceIdentity): Promise<BuildImageOptions['tables'] | undefined> {
  let mod: any;
  try {
    mod = await import('../firmware/crypto/p256' + '.ts');
  } catch {
    return undefined;
  }
  if (!mod || typeof mod.buildTable !== 'function') return undefined;
  const pub64 = identity.deviceTypeKey.subarray(identity.deviceTypeKey.length - 64);
  return { deviceType: mod.buildTable(pub64), generator: mod.buildTable('G') };
}

// `npm run mkdevice`: per-device identities for development and production batches.
// Private material goes only into <serial>.identity.json and devices.csv (mode 0600) and is never printed.
import { parseArgs } from 'node:util';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHash, createPublicKey } from 'node:crypto';
import { identityToJson, makeIdentity, DEFAULTS, type DeviceIdentity, IdentityError } from './identity';
import { derToPem, devRootCertificate, pemToDers } from './certs';
import { barcodePayload, dataMatrixPng, dataMatrixSvg } from './barcode';
import { FlashError } from './link';

const HELP = `usage: npm run mkdevice -- --out DIR [what] [identity options] [barcode options]
what (default --count 1):
  --count N              N devices with generated serial numbers
  --serial S             one device per --serial (repeatable)
  --serials-file F       one serial number per line
identity:
  --production           production batch: needs --device-type-key and the maker's keys and chains
  --seed S               deterministic development identities (seed + serial); default fresh randomness
  --product-index PID    4-character Amazon product index (default ${DEFAULTS.productIndex})
  --device-type-id ID    Amazon device type id (default ${DEFAULTS.deviceTypeId})
  --manufacturer M --model M --hardware-version V --firmware-version V --ble-name N
  --oob-info 0xNNNN      mesh OOB information bits (default 0x${DEFAULTS.oobInfo.toString(16).padStart(4, '0')}: 2D code, on box)
  --device-type-key F    the device-type (DSS) public key from Amazon (PEM or DER)
  --key F --chain F      the maker's device private key and its certificate chain (PEM), one device
  --import-dir D         per device: D/<serial>.key.pem and D/<serial>.chain.pem
barcode:
  --upc DIGITS | --ean DIGITS   package code to include
  --barcode svg|png|none        DataMatrix image format (default svg)`;

const CSV_HEADER = 'serial,kind,product_index,device_type_id,device_uuid,oob_type,static_oob,oob_info,device_public_key_sha256,barcode';

function readKeyOrCertFile(file: string, what: string): string {
  if (!existsSync(file)) throw new FlashError('identity', `missing key: no ${what} file at ${file}`);
  return readFileSync(file, 'latin1');
}

function loadDeviceTypeKey(file: string): Uint8Array {
  const text = readKeyOrCertFile(file, 'device-type key');
  try {
    const key = text.includes('-----BEGIN') ? createPublicKey(text) : createPublicKey({ key: readFileSync(file), format: 'der', type: 'spki' });
    const jwk = key.export({ format: 'jwk' });
    if (jwk.crv !== 'P-256') throw new Error('not P-256');
    return new Uint8Array(key.export({ format: 'der', type: 'spki' }));
  } catch (e) {
    throw new FlashError('identity', `malformed device-type key ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
}

function loadChain(file: string): Uint8Array[] {
  const ders = pemToDers(readKeyOrCertFile(file, 'certificate chain'));
  if (ders.length === 0) throw new FlashError('identity', `malformed chain ${file}: no PEM certificates in it`);
  return ders;
}

function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

function writeSecret(file: string, data: string | Uint8Array): void {
  writeFileSync(file, data, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export async function runMkdevice(argv: string[]): Promise<void> {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        out: { type: 'string', short: 'o' },
        count: { type: 'string', short: 'n' },
        serial: { type: 'string', multiple: true },
        'serials-file': { type: 'string' },
        production: { type: 'boolean' },
        seed: { type: 'string' },
        'product-index': { type: 'string' },
        'device-type-id': { type: 'string' },
        manufacturer: { type: 'string' },
        model: { type: 'string' },
        'hardware-version': { type: 'string' },
        'firmware-version': { type: 'string' },
        'ble-name': { type: 'string' },
        'oob-info': { type: 'string' },
        'device-type-key': { type: 'string' },
        key: { type: 'string' },
        chain: { type: 'string' },
        'import-dir': { type: 'string' },
        upc: { type: 'string' },
        ean: { type: 'string' },
        barcode: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    throw new FlashError('usage', `${(e as Error).message} (npm run mkdevice -- --help)`);
  }
  if (a.help) {
    process.stdout.write(HELP + '\n');
    return;
  }
  if (!a.out) throw new FlashError('usage', 'missing --out DIR (npm run mkdevice -- --help)');
  const format = a.barcode ?? 'svg';
  if (!['svg', 'png', 'none'].includes(format)) throw new FlashError('usage', `bad --barcode ${format}: svg, png or none`);

  // serial numbers
  let serials: Array<string | undefined> = [];
  if (a.serial) serials.push(...a.serial);
  if (a['serials-file']) {
    if (!existsSync(a['serials-file'])) throw new FlashError('usage', `no serials file at ${a['serials-file']}`);
    serials.push(...readFileSync(a['serials-file'], 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s && !s.startsWith('#')));
  }
  if (a.count !== undefined) {
    const n = Number(a.count);
    if (!Number.isInteger(n) || n < 1 || n > 100000) throw new FlashError('usage', `bad --count ${a.count}`);
    if (serials.length) throw new FlashError('usage', 'give either --count or serial numbers, not both');
    serials = new Array(n).fill(undefined);
  }
  if (serials.length === 0) serials = [undefined];
  for (const s of serials) {
    if (s !== undefined && !/^[A-Za-z0-9-]{1,50}$/.test(s)) throw new FlashError('usage', `bad serial number ${JSON.stringify(s)}: 1-50 letters, digits or '-'`);
  }
  if (new Set(serials.filter(Boolean)).size !== serials.filter(Boolean).length) throw new FlashError('usage', 'duplicate serial numbers');

  let oobInfo: number | undefined;
  if (a['oob-info'] !== undefined) {
    oobInfo = Number(a['oob-info']);
    if (!Number.isInteger(oobInfo) || oobInfo < 0 || oobInfo > 0xffff) throw new FlashError('usage', `bad --oob-info ${a['oob-info']}: a 16-bit number`);
  }

  // key material
  const production = !!a.production;
  const deviceTypeKey = a['device-type-key'] ? loadDeviceTypeKey(a['device-type-key']) : undefined;
  if (production && !deviceTypeKey) throw new FlashError('identity', 'missing key: a production batch needs --device-type-key (the DSS public key Amazon gives you)');
  if ((a.key && !a.chain) || (!a.key && a.chain)) throw new FlashError('identity', 'missing key: --key and --chain go together');
  if (a.key && serials.length > 1) throw new FlashError('usage', '--key/--chain make one device; use --import-dir for a batch');
  if (production && !a.key && !a['import-dir']) {
    throw new FlashError('identity', "missing key: a production batch needs the maker's device keys and chains (--import-dir DIR or --key/--chain)");
  }
  if (production && a.seed) throw new FlashError('usage', '--seed makes predictable keys: not for production');

  const out = path.resolve(a.out);
  mkdirSync(out, { recursive: true });
  const csv = path.join(out, 'devices.csv');
  if (!existsSync(csv)) writeSecret(csv, CSV_HEADER + '\n');

  const made: DeviceIdentity[] = [];
  for (let i = 0; i < serials.length; i++) {
    const serial = serials[i];
    let deviceKey: string | undefined;
    let certChain: Uint8Array[] | undefined;
    if (a.key) {
      deviceKey = readKeyOrCertFile(a.key, 'device key');
      certChain = loadChain(a.chain!);
    } else if (a['import-dir']) {
      if (!serial) throw new FlashError('usage', '--import-dir needs the serial numbers (--serial or --serials-file)');
      deviceKey = readKeyOrCertFile(path.join(a['import-dir'], `${serial}.key.pem`), `device key for ${serial}`);
      certChain = loadChain(path.join(a['import-dir'], `${serial}.chain.pem`));
    }
    let id: DeviceIdentity;
    try {
      id = makeIdentity({
        seed: a.seed !== undefined ? `${a.seed}:${serial ?? i}` : undefined,
        kind: production ? 'production' : 'development',
        productIndex: a['product-index'],
        deviceTypeId: a['device-type-id'],
        manufacturerName: a.manufacturer,
        modelNumber: a.model,
        serialNumber: serial,
        hardwareVersion: a['hardware-version'],
        firmwareVersion: a['firmware-version'],
        bleDeviceName: a['ble-name'],
        oobInfo,
        deviceKey,
        certChain,
        deviceTypeKey,
      });
    } catch (e) {
      const m = (e as Error).message;
      throw new FlashError('identity', `${serial ?? 'device ' + (i + 1)}: ${m.replace(/^identity: /, '')}`);
    }
    const sn = id.deviceDetails.serialNumber;
    const idFile = path.join(out, `${sn}.identity.json`);
    if (existsSync(idFile)) throw new FlashError('usage', `${idFile} exists: identities are never overwritten (choose another serial or --out)`);
    writeSecret(idFile, JSON.stringify(identityToJson(id), null, 2) + '\n');

    let payload: string;
    try {
      payload = barcodePayload({ pid: id.productIndex, serial: sn, upc: a.upc, ean: a.ean });
    } catch (e) {
      throw new FlashError('usage', (e as Error).message);
    }
    writeFileSync(path.join(out, `${sn}.barcode.txt`), payload + '\n');
    if (format === 'svg') writeFileSync(path.join(out, `${sn}.datamatrix.svg`), dataMatrixSvg(payload));
    if (format === 'png') writeFileSync(path.join(out, `${sn}.datamatrix.png`), await dataMatrixPng(payload));

    const pubSha = createHash('sha256').update(id.devicePublicKey).digest('hex');
    appendFileSync(
      csv,
      [sn, id.kind, id.productIndex, id.deviceTypeId, id.bss.deviceUuid, id.bss.oobType, id.bss.oobData, '0x' + id.mesh.oobInfo.toString(16).padStart(4, '0'), pubSha, payload].join(',') + '\n',
    );
    made.push(id);
    process.stdout.write(`made ${sn} (${id.kind}) product ${id.productIndex} uuid ${id.bss.deviceUuid} -> ${shown(idFile)}\n`);
  }
  if (!production) {
    writeFileSync(path.join(out, 'dev-root.pem'), derToPem(devRootCertificate()));
  }
  if (made.length) {
    writeFileSync(path.join(out, 'device-type.pub.pem'), derToPem(made[0].deviceTypeKey, 'PUBLIC KEY'));
  }
  process.stdout.write(
    `${made.length} ${production ? 'production' : 'development'} identit${made.length === 1 ? 'y' : 'ies'} in ${out}: ` +
      `<serial>.identity.json (0600), barcodes, devices.csv (0600)${production ? '' : ', dev-root.pem'}\n`,
  );
}

export { IdentityError };

// Packaging barcode: Amazon's FFS 2D barcodes are DataMatrix ECC200 symbols holding `key:value;` pairs
// (developer.amazon.com, "Provisionee 2D Barcode Specification" and "BSS (Bluetooth Mesh) Provisionee
// 2D Barcode Specification"): ABV = barcode version (OB04 on the package of a BLE-mesh device),
// PID = the 4-character product id, UPC or EAN of the package, SERNUM = the device serial number.
// The BSS specification also encrypts parts of the payload with a per-product "barcode public key";
// that scheme is not public in this project's sources, so those fields are not produced here (add
// them with extra fields once Amazon gives you the key and the scheme). The static OOB is never put
// in clear text on a label.
import { createRequire } from 'node:module';

export interface BarcodeFields {
  abv?: string;
  pid: string;
  serial?: string;
  upc?: string;
  ean?: string;
  /** more KEY:VALUE pairs, in order */
  extra?: Array<[string, string]>;
}

/** Build the payload `ABV:OB04;PID:xxxx;...;` (keys and values may not contain ':' or ';'). */
export function barcodePayload(f: BarcodeFields): string {
  const pairs: Array<[string, string]> = [['ABV', f.abv ?? 'OB04'], ['PID', f.pid]];
  if (f.upc !== undefined) pairs.push(['UPC', f.upc]);
  if (f.ean !== undefined) pairs.push(['EAN', f.ean]);
  if (f.serial !== undefined) pairs.push(['SERNUM', f.serial]);
  for (const p of f.extra ?? []) pairs.push(p);
  for (const [k, v] of pairs) {
    if (!/^[A-Z0-9]{2,8}$/.test(k)) throw new Error(`barcode: bad key ${JSON.stringify(k)}`);
    if (!/^[\x20-\x7e]+$/.test(v) || /[:;]/.test(v)) throw new Error(`barcode: bad value for ${k}: ${JSON.stringify(v)}`);
  }
  if (f.upc !== undefined && !/^\d{12}$/.test(f.upc)) throw new Error('barcode: UPC must be 12 digits');
  if (f.ean !== undefined && !/^(\d{8}|\d{13})$/.test(f.ean)) throw new Error('barcode: EAN must be 8 or 13 digits');
  if (f.upc !== undefined && f.ean !== undefined) throw new Error('barcode: a package has a UPC or an EAN, not both');
  if (!/^[A-Za-z0-9]{4}$/.test(f.pid)) throw new Error('barcode: PID must be 4 alphanumeric characters');
  return pairs.map(([k, v]) => `${k}:${v};`).join('');
}

/** Parse a payload back into ordered pairs (for checks and tests). */
export function parseBarcodePayload(s: string): Array<[string, string]> {
  return s
    .split(';')
    .filter((x) => x.length)
    .map((kv) => {
      const i = kv.indexOf(':');
      if (i <= 0) throw new Error(`barcode: malformed pair ${JSON.stringify(kv)}`);
      return [kv.slice(0, i), kv.slice(i + 1)] as [string, string];
    });
}

const bwip = () => createRequire(import.meta.url)('bwip-js');

/** DataMatrix ECC200 as SVG (printable; 3 px per module plus a quiet zone). */
export function dataMatrixSvg(payload: string): string {
  return bwip().toSVG({ bcid: 'datamatrix', text: payload, scale: 3, paddingwidth: 2, paddingheight: 2 });
}

/** DataMatrix ECC200 as PNG. */
export function dataMatrixPng(payload: string): Promise<Buffer> {
  return bwip().toBuffer({ bcid: 'datamatrix', text: payload, scale: 4, paddingwidth: 2, paddingheight: 2 });
}

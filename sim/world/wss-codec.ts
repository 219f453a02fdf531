// Encodings shared by the simulated provisioner and DSS, written from wss-protocol.md §3.1/§3.4
// with Node's crypto as the implementation (independent of firmware/).
import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';

/** RFC 1924 base85 alphabet (wss-protocol.md §3.1). */
export const BASE85_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function base85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw new Error(`base85 text length ${text.length} is not a multiple of 5`);
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let g = 0; g < text.length / 5; g++) {
    let v = 0;
    for (let i = 0; i < 5; i++) {
      const d = BASE85_ALPHABET.indexOf(text[g * 5 + i]);
      if (d < 0) throw new Error(`character ${JSON.stringify(text[g * 5 + i])} is not in the RFC 1924 alphabet`);
      v = v * 85 + d;
    }
    if (v > 0xffffffff) throw new Error('base85 group overflows 32 bits');
    out.writeUInt32BE(v, g * 4);
  }
  return out;
}

export function base85Encode(bytes: Buffer): string {
  if (bytes.length % 4 !== 0) throw new Error('base85 input must be a multiple of 4 bytes');
  let s = '';
  for (let g = 0; g < bytes.length / 4; g++) {
    let v = bytes.readUInt32BE(g * 4);
    const chunk: string[] = [];
    for (let i = 0; i < 5; i++) {
      chunk.unshift(BASE85_ALPHABET[v % 85]);
      v = Math.floor(v / 85);
    }
    s += chunk.join('');
  }
  return s;
}

export interface DecodedSetupSsid {
  control: number;
  /** 9 bytes: last 9 bytes of SHA-256(device public key DER) */
  authMaterialIndex: Buffer;
  productIndex: string;
  nonce: Buffer;
}

/** Decode the 32-character encoded setup SSID, or throw one clear error. */
export function decodeSetupSsid(ssid: string): DecodedSetupSsid {
  if (ssid.length !== 32) throw new Error(`encoded setup SSID must be 32 characters, got ${ssid.length}`);
  const c1 = B64.indexOf(ssid[0]);
  const c2 = B64.indexOf(ssid[1]);
  if (c1 < 0 || c2 < 0) throw new Error('encoded setup SSID: first two characters are not base64');
  const ami0 = ((c1 & 3) << 6) | c2;
  const control = c1 >> 2;
  const rest = base85Decode(ssid.slice(2));
  return {
    control,
    authMaterialIndex: Buffer.concat([Buffer.from([ami0]), rest.subarray(0, 8)]),
    productIndex: rest.subarray(8, 12).toString('latin1'),
    nonce: Buffer.from(rest.subarray(12, 24)),
  };
}

export function authMaterialIndexOf(devicePublicKeyDer: Buffer): Buffer {
  return createHash('sha256').update(devicePublicKeyDer).digest().subarray(23, 32);
}

/** Build the encoded SSID (the device's job; here for tests and for the world's bookkeeping). */
export function encodeSetupSsid(devicePublicKeyDer: Buffer, productIndex: string, nonce: Buffer, control = 0): string {
  const ami = authMaterialIndexOf(devicePublicKeyDer);
  const head = Buffer.from([(control << 4) | (ami[0] >> 4), (ami[0] & 0x0f) << 4]).toString('base64').slice(0, 2);
  return head + base85Encode(Buffer.concat([ami.subarray(1), Buffer.from(productIndex, 'latin1'), nonce]));
}

/**
 * The cloud side of the passphrase: base64(HMAC-SHA256(SHA-256(ECDH_x(deviceTypePriv, devicePub)), nonce)),
 * with '=' padding (wss-protocol.md §3.1).
 */
export function setupPassphrase(opts: { deviceTypePrivateKeyPem: string; devicePublicKeyDer: Buffer; nonce: Buffer }): string {
  const shared = diffieHellman({
    privateKey: createPrivateKey(opts.deviceTypePrivateKeyPem),
    publicKey: createPublicKey({ key: opts.devicePublicKeyDer, format: 'der', type: 'spki' }),
  });
  const key = createHash('sha256').update(shared).digest();
  const pass = createHmac('sha256', key).update(opts.nonce).digest('base64');
  key.fill(0);
  shared.fill(0);
  return pass;
}

/** Compact JSON with keys sorted alphabetically at every level, as the real DSS answers (§3.4). */
export function sortedJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map(sortedJson).join(',') + ']';
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + sortedJson(obj[k])).join(',') + '}';
}

/** `"ssid"` -> `ssid` (SSIDs travel wrapped in literal quotes, §3.6); null when not quoted. */
export function unquoteSsid(s: unknown): string | null {
  if (typeof s !== 'string' || s.length < 2 || s[0] !== '"' || s[s.length - 1] !== '"') return null;
  return s.slice(1, -1);
}

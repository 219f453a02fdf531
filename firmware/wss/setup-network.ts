// The Amazon "custom encoded" setup network (wss-protocol.md 3.1) and the fallback network.
//  SSID (32 chars, hidden) = 2 chars: base64 of (control nibble 0 || authMaterialIndex[0])
//                          + 30 chars: base85 (RFC 1924) of ami[1..8] || productIndex(4) || nonce(12)
//  passphrase (44 chars)   = base64(HMAC-SHA256(key = SHA-256(ECDH x), msg = nonce)) with '=' padding
//  authMaterialIndex       = the last 9 bytes of SHA-256(device public key, SubjectPublicKeyInfo DER)
import type { Bytes, CryptoService, HalError, OnDone } from '../../hal/types';
import { base64Encode } from '../crypto/base64';
import { base85Encode } from '../crypto/base85';
import { asciiToBytes, wipe } from '../crypto/bytes';

export const SETUP_NONCE_BYTES = 12;
export const ENCODED_SSID_LENGTH = 32;
export const PASSPHRASE_LENGTH = 44;
/** The open, hidden fallback setup network (ffs_wifi_provisionee_setup_network.c). */
export const FALLBACK_SETUP_SSID = 'simple_setup';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const CONTROL_NIBBLE = 0;

export interface SetupNetwork {
  ssid: string;
  /** '' for an open network */
  passphrase: string;
  /** true for the encoded network: DSS is reached on port 8888 through it */
  encoded: boolean;
}

export function authMaterialIndex(sha256: (b: Bytes) => Bytes, devicePublicKeyDer: Bytes): Bytes {
  const h = sha256(devicePublicKeyDer);
  return new Uint8Array(h.subarray(h.length - 9, h.length));
}

/** The 32-character SSID. Throws on misuse (wrong lengths): these inputs come from the flashed identity. */
export function encodedSetupSsid(ami: Bytes, productIndex: string, nonce: Bytes): string {
  if (ami.length !== 9) throw new Error('wss: authMaterialIndex must be 9 bytes');
  if (productIndex.length !== 4) throw new Error('wss: product index must be 4 characters');
  if (nonce.length !== SETUP_NONCE_BYTES) throw new Error('wss: setup nonce must be 12 bytes');
  // The first two base64 characters of [control<<4 | ami0>>4, (ami0 & 15)<<4]: 4 control bits + ami[0].
  const head = B64.charAt((CONTROL_NIBBLE << 2) | (ami[0] >> 6)) + B64.charAt(ami[0] & 63);
  const tail = new Uint8Array(24);
  tail.set(ami.subarray(1, 9), 0);
  tail.set(asciiToBytes(productIndex), 8);
  tail.set(nonce, 12);
  return head + base85Encode(tail);
}

/** The 44-character passphrase from the 32-byte HMAC of the nonce. */
export function setupPassphrase(hmac: Bytes): string {
  return base64Encode(hmac);
}

/**
 * Derive the encoded setup network for a fresh `nonce`: ECDH with the device-type key through the
 * HAL (`ffsComputeECDHKey`, already SHA-256'd), HMAC of the nonce. The shared key is wiped after use.
 */
export function deriveEncodedSetupNetwork(opts: {
  crypto: CryptoService;
  devicePublicKeyDer: Bytes;
  productIndex: string;
  nonce: Bytes;
  defer: (fn: () => void) => void;
  onDone: OnDone<SetupNetwork>;
}): void {
  let ssid: string;
  try {
    ssid = encodedSetupSsid(authMaterialIndex(opts.crypto.sha256, opts.devicePublicKeyDer), opts.productIndex, opts.nonce);
  } catch (e) {
    const err: HalError = { code: 'WSS_IDENTITY', message: String((e as Error).message || e) };
    opts.defer(() => opts.onDone(err, null));
    return;
  }
  opts.crypto.computeEcdhKey({
    onDone: (err, key) => {
      if (err || !key) {
        opts.onDone(err || { code: 'WSS_ECDH', message: 'ECDH with the device-type key failed' }, null);
        return;
      }
      const mac = opts.crypto.hmacSha256(key, opts.nonce);
      wipe(key);
      const passphrase = setupPassphrase(mac);
      wipe(mac);
      opts.onDone(null, { ssid: ssid, passphrase: passphrase, encoded: true });
    },
  });
}

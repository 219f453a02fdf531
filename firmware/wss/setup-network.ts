// The Amazon "custom encoded" setup network (wss-protocol.md 3.1) and the fallback network.
//  SSID (32 chars, hidden) = 2 chars: base64 of (control nibble 0 || authMaterialIndex[0])
//                          + 30 chars: base85 (RFC 1924) of ami[1..8] || productIndex(4) || nonce(12)
//  passphrase (44 chars)   = base64(HMAC-SHA256(key = SHA-256(ECDH x), msg = nonce)) with '=' padding
//  authMaterialIndex       = the last 9 bytes of SHA-256(device public key, SubjectPublicKeyInfo DER)
import type { Bytes, CryptoService, OnDone } from '../../hal/types';
import { base64Encode } from '../crypto/base64';
import { base85Encode } from '../crypto/base85';
import { asciiToBytes, wipe } from '../crypto/bytes';

export const SETUP_NONCE_BYTES = 12;
export const ENCODED_SSID_LENGTH = 32;
export const PASSPHRASE_LENGTH = 44;
/** The open, hidden fallback setup network (ffs_wifi_provisionee_setup_network.c). */
export const FALLBACK_SETUP_SSID = 'simple_setup';


export interface SetupNetwork {
  ssid: string;
  /** '' for an open network */
  passphrase: string;
  /** true for the encoded network: DSS is reached on port 8888 through it */
  encoded: boolean;
}

export function authMaterialIndex(sha256: (b: Bytes) => Bytes, devicePublicKeyDer: Bytes): Bytes {
  const h = sha256(devicePublicKeyDer);
  return new Uint8Array(h.subarray(-9));
}

/** The 32-character SSID; '' on misuse (wrong lengths): these inputs come from the flashed identity. */
export function encodedSetupSsid(ami: Bytes, productIndex: string, nonce: Bytes): string {
  if (ami.length !== 9 || productIndex.length !== 4 || nonce.length !== SETUP_NONCE_BYTES) return '';
  // The first two base64 characters of [control<<4 | ami0>>4, (ami0 & 15)<<4]: control nibble 0 + ami[0].
  const head = base64Encode(new Uint8Array([ami[0] >> 4, (ami[0] & 15) << 4])).slice(0, 2);
  const tail = new Uint8Array(24);
  tail.set(ami.subarray(1));
  tail.set(asciiToBytes(productIndex), 8);
  tail.set(nonce, 12);
  return head + base85Encode(tail);
}


/**
 * Derive the encoded setup network for a fresh `nonce`: ECDH with the device-type key through the
 * HAL (`ffsComputeECDHKey`, already SHA-256'd), HMAC of the nonce. The shared key is wiped after use.
 */
export function deriveEncodedSetupNetwork(
  crypto: CryptoService,
  devicePublicKeyDer: Bytes,
  productIndex: string,
  nonce: Bytes,
  defer: (fn: () => void) => void,
  onDone: OnDone<SetupNetwork>,
): void {
  const ssid = encodedSetupSsid(authMaterialIndex(crypto.sha256, devicePublicKeyDer), productIndex, nonce);
  if (!ssid) defer(() => onDone({ code: 'WSS_IDENTITY', message: 'wss: bad ami, product index or nonce' }, null));
  else
    crypto.computeEcdhKey({
      onDone: (err, key) => {
        if (err || !key) {
          onDone(err || { code: 'WSS_ECDH', message: 'ECDH failed' }, null);
          return;
        }
        // the 44-character passphrase: base64 of the 32-byte HMAC of the nonce
        const mac = crypto.hmacSha256(key, nonce);
        const passphrase = base64Encode(mac);
        wipe(key);
        wipe(mac);
        onDone(null, { ssid: ssid, passphrase: passphrase, encoded: true });
      },
    });
}

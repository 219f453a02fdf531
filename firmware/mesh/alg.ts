// The confirmation step of the two provisioning algorithms (Start algorithm octet):
//  0x00 BTM_ECDH_P256_CMAC_AES128_AES_CCM (Mesh Profile 1.0.1): 16-octet salts, randoms, AuthValue;
//  0x01 BTM_ECDH_P256_HMAC_SHA256_AES_CCM (Mesh Protocol 1.1, behind the `hmacSha256` option):
//       ConfirmationSalt = s2(inputs) = HMAC-SHA-256_ZERO32(inputs),
//       ConfirmationKey = k5(ECDHSecret ‖ AuthValue32, ConfirmationSalt, "prck256"),
//       Confirmation = HMAC-SHA-256_ConfirmationKey(Random32) — checked against the 1.1 sample data.
// Everything after (ProvisioningSalt with s1, session key, nonce, device key) is the same for both.
import { confirmationSalt, confirmationKey, confirmationValue } from '../crypto/mesh-keys';
import { hmacSha256 } from '../crypto/sha256';
import { asciiToBytes, concatBytes, wipe } from '../crypto/bytes';

// `alg` is ALG_CMAC (0) or ALG_HMAC (1): checkStart refuses anything else, so each test is its truth.

export function saltFor(alg: number, inputs145: Uint8Array): Uint8Array {
  return alg /* ALG_HMAC */ ? hmacSha256(new Uint8Array(32), inputs145) : confirmationSalt(inputs145);
}

export function keyFor(alg: number, ecdhSecret: Uint8Array, salt: Uint8Array, authValue: Uint8Array): Uint8Array {
  if (!alg /* ALG_CMAC */) return confirmationKey(ecdhSecret, salt);
  const n = concatBytes([ecdhSecret, authValue]);
  const t = hmacSha256(salt, n);
  const out = hmacSha256(t, asciiToBytes('prck256'));
  wipe(n);
  wipe(t);
  return out;
}

export function confirmationFor(alg: number, key: Uint8Array, random: Uint8Array, authValue: Uint8Array): Uint8Array {
  return alg /* ALG_HMAC */ ? hmacSha256(key, random) : confirmationValue(key, random, authValue);
}

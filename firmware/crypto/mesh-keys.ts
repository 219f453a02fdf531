// Mesh security functions (Mesh Profile 1.0.1 §3.8.2) and the provisioning key schedule (§5.4.2.4-5).
// All keys are 16 bytes; the ECDH secret is the 32-byte X coordinate of the shared point.

import { aesCmac } from './cmac';
import { asciiToBytes, concatBytes, wipe } from './bytes';

/** Throws "mesh-keys: bad length" unless ok. */
function lengths(ok: boolean): void {
  if (!ok) throw new Error('mesh-keys: bad length');
}

/** s1(M) = AES-CMAC_ZERO(M) (§3.8.2.4); the zero key made per call (a module-level one is held for good). */
export function s1(m: Uint8Array): Uint8Array {
  return aesCmac(new Uint8Array(16), m);
}

/** k1(N, SALT, P) = AES-CMAC_T(P) with T = AES-CMAC_SALT(N) (§3.8.2.5). */
export function k1(n: Uint8Array, salt: Uint8Array, p: Uint8Array): Uint8Array {
  const t = aesCmac(salt, n);
  const out = aesCmac(t, p);
  wipe(t);
  return out;
}

function tKey(label: string, n: Uint8Array): Uint8Array {
  return aesCmac(s1(asciiToBytes(label)), n);
}

/** k2(N, P): NID (7 bits), EncryptionKey, PrivacyKey (§3.8.2.6). */
export function k2(n: Uint8Array, p: Uint8Array): { nid: number; encryptionKey: Uint8Array; privacyKey: Uint8Array } {
  const t = tKey('smk2', n);
  const t1 = aesCmac(t, concatBytes([p, [1]]));
  const t2 = aesCmac(t, concatBytes([t1, p, [2]]));
  const t3 = aesCmac(t, concatBytes([t2, p, [3]]));
  const nid = t1[15] & 0x7f;
  wipe(t);
  wipe(t1);
  return { nid: nid, encryptionKey: t2, privacyKey: t3 };
}

/** k3(N): the 64-bit network ID, the last 8 bytes of AES-CMAC_T("id64" || 0x01) (§3.8.2.7). */
export function k3(n: Uint8Array): Uint8Array {
  const t = tKey('smk3', n);
  const full = aesCmac(t, asciiToBytes('id64\x01'));
  wipe(t);
  return new Uint8Array(full.subarray(8, 16));
}

/** k4(N): the 6-bit AID, AES-CMAC_T("id6" || 0x01)[15] & 0x3f (§3.8.2.8). */
export function k4(n: Uint8Array): number {
  const t = tKey('smk4', n);
  const full = aesCmac(t, asciiToBytes('id6\x01'));
  wipe(t);
  return full[15] & 0x3f;
}

/** ConfirmationSalt = s1(ConfirmationInputs), the 145 bytes Invite‖Capabilities‖Start‖PubKeyProv‖PubKeyDev (params only). */
export function confirmationSalt(inputs145: Uint8Array): Uint8Array {
  lengths(inputs145.length === 145);
  return s1(inputs145);
}

/** ConfirmationKey = k1(ECDHSecret, ConfirmationSalt, "prck"). */
export function confirmationKey(ecdhSecret: Uint8Array, salt: Uint8Array): Uint8Array {
  return k1(ecdhSecret, salt, asciiToBytes('prck'));
}

/** Confirmation = AES-CMAC_ConfirmationKey(Random ‖ AuthValue), 16-byte random and AuthValue. */
export function confirmationValue(key: Uint8Array, random16: Uint8Array, authValue16: Uint8Array): Uint8Array {
  lengths(random16.length === 16 && authValue16.length === 16);
  const m = concatBytes([random16, authValue16]);
  const out = aesCmac(key, m);
  wipe(m);
  return out;
}

/** ProvisioningSalt = s1(ConfirmationSalt ‖ RandomProvisioner ‖ RandomDevice). */
export function provisioningSalt(salt: Uint8Array, randomProvisioner: Uint8Array, randomDevice: Uint8Array): Uint8Array {
  return s1(concatBytes([salt, randomProvisioner, randomDevice]));
}

/** SessionKey = k1(ECDHSecret, ProvisioningSalt, "prsk"). */
export function sessionKey(ecdhSecret: Uint8Array, provSalt: Uint8Array): Uint8Array {
  return k1(ecdhSecret, provSalt, asciiToBytes('prsk'));
}

/** SessionNonce = the 13 least significant bytes of k1(ECDHSecret, ProvisioningSalt, "prsn"). */
export function sessionNonce(ecdhSecret: Uint8Array, provSalt: Uint8Array): Uint8Array {
  const full = k1(ecdhSecret, provSalt, asciiToBytes('prsn'));
  const out = new Uint8Array(full.subarray(3, 16));
  wipe(full);
  return out;
}

/** DeviceKey = k1(ECDHSecret, ProvisioningSalt, "prdk"). */
export function deviceKey(ecdhSecret: Uint8Array, provSalt: Uint8Array): Uint8Array {
  return k1(ecdhSecret, provSalt, asciiToBytes('prdk'));
}

// Configuration values and the registration token (ffsSet/GetConfigurationValue,
// ffsSet/GetRegistrationToken, ffsGetRegistrationDetails) over Storage.
//  - flashed values come from FILES.config (ffs.cfg, docs/FLASH.md), mapped to the CSDK key names;
//    a top-level member named exactly like a CSDK key (e.g. "WSS.SetupNetworkSsid") is taken as is
//  - values set at run time (DSS.Host after a 308, FFS.SessionToken, locale, Time.UTC...) live in
//    FILES.runtimeConfig and win over flashed ones; resetConfiguration() erases them
//  - byte values: DSS.PublicKey (FILES.deviceTypeKey) and DeviceInformation.PublicKey (ffs.cfg
//    devicePublicKey hex, else the SubjectPublicKeyInfo of the leaf certificate in FILES.certChain)
import type { ConfigService, ConfigValue, HalError, LogService, RegistrationDetails, StorageService } from '../types';
import { FILES } from '../storage-layout';
import { hexToBytes } from '../../firmware/crypto/bytes';
import { SPKI_HEAD } from '../../firmware/crypto/der';

const TOKEN_KEY = '#registrationToken';
const EXPIRES_KEY = '#registrationExpiresAt';

/**
 * The ffs.cfg path of a CSDK key: `DeviceInformation.Xyz` is `deviceDetails.xyz`
 * (ManufacturerName, ModelNumber, SerialNumber, HardwareVersion, FirmwareVersion, BleDeviceName,
 * SoftwareVersionIndex, Pin) and `Abc.Xyz` is `abc.xyz` (DSS.Host/Port/SetupPort, SoftAp.Ssid/Passphrase,
 * this firmware's own WSS.SetupNetworkSsid -> wss.setupNetworkSsid, Connectivity.ProbeHost ->
 * connectivity.probeHost, Discovery.Port -> discovery.port, docs/WSS.md). Two exceptions:
 * DeviceInformation.ProductIndex is top-level `productIndex`, SoftAp.Enabled is `flows.softAp`.
 */
function flashedPath(key: string): string[] {
  if (key === 'SoftAp.Enabled') return ['flows', 'softAp'];
  const dot = key.indexOf('.');
  const group = key.substring(0, dot);
  const name = key.charAt(dot + 1).toLowerCase() + key.substring(dot + 2);
  return group === 'DeviceInformation' ? (name === 'productIndex' ? [name] : ['deviceDetails', name]) : [group.toLowerCase(), name];
}

/** DER prefix of a P-256 SubjectPublicKeyInfo (SEQ, SEQ{ecPublicKey, prime256v1}, BIT STRING 66). */
const SPKI_P256_PREFIX = hexToBytes(SPKI_HEAD);

/** The first P-256 SubjectPublicKeyInfo inside a DER blob (the leaf certificate comes first). */
export function findSpki(der: Uint8Array): Uint8Array | null {
  const p = SPKI_P256_PREFIX;
  for (let i = 0; i + 91 <= der.length; i++) {
    let j = 0;
    while (j < p.length && der[i + j] === p[j]) j++;
    if (j === p.length) return new Uint8Array(der.subarray(i, i + 91));
  }
  return null;
}

export function createConfig(deps: { storage: StorageService; log: LogService }): ConfigService {
  const storage = deps.storage;
  const flashed: any = storage.readJSON<any>(FILES.config) || {};
  let runtime: any = storage.readJSON<any>(FILES.runtimeConfig) || {};
  let devicePublicKey: Uint8Array | null = null;

  function persist(): HalError | null {
    return storage.writeJSON(FILES.runtimeConfig, runtime);
  }

  /** Configuration values are strings, numbers and booleans (byte values are computed, never stored). */
  const scalar = (v: any): boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

  /** A flashed value: a top-level member named like the key, else the member at its ffs.cfg path. */
  function fromFlash(key: string): ConfigValue | undefined {
    let v: any = flashed[key];
    if (v === undefined) {
      const path = flashedPath(key);
      v = flashed;
      for (let i = 0; i < path.length && v; i++) v = v[path[i]];
    }
    return scalar(v) ? v : undefined;
  }

  function publicKey(): Uint8Array | undefined {
    if (devicePublicKey) return devicePublicKey;
    try {
      devicePublicKey = hexToBytes(flashed.devicePublicKey);
    } catch (e) {
      // not hex (or absent): the leaf certificate's key
    }
    if (!devicePublicKey || devicePublicKey.length !== 91) {
      const chain = storage.read(FILES.certChain);
      devicePublicKey = chain ? findSpki(chain) : null;
    }
    return devicePublicKey || undefined;
  }

  return {
    setConfigurationValue(key: string, value: ConfigValue): HalError | null {
      if (key.charAt(0) === '#') return { code: 'CONFIG_KEY', message: 'reserved: ' + key };
      if (!scalar(value)) {
        return { code: 'NOT_IMPLEMENTED', message: 'bytes not stored: ' + key };
      }
      if (runtime[key] === value) return null;
      runtime[key] = value;
      return persist();
    },
    getConfigurationValue(key: string): ConfigValue | undefined {
      if (key === 'DeviceInformation.PublicKey') return publicKey();
      if (key === 'DSS.PublicKey') {
        const k = storage.read(FILES.deviceTypeKey);
        return k || undefined;
      }
      const v = runtime[key];
      if (v !== undefined && key.charAt(0) !== '#') return v;
      return fromFlash(key);
    },
    setRegistrationToken(token: string, expiresAtMs: number): HalError | null {
      runtime[TOKEN_KEY] = token;
      runtime[EXPIRES_KEY] = expiresAtMs;
      return persist();
    },
    getRegistrationToken(): string | null {
      return typeof runtime[TOKEN_KEY] === 'string' ? runtime[TOKEN_KEY] : null;
    },
    getRegistrationDetails(): RegistrationDetails {
      // The Linux, Amazon-FreeRTOS and PIC32 reference ports all report COMPLETE (wss-protocol.md 3.6).
      return { state: 'COMPLETE' };
    },
    resetConfiguration(): void {
      runtime = {};
      storage.erase(FILES.runtimeConfig);
    },
  };
}

// Configuration values and the registration token (ffsSet/GetConfigurationValue,
// ffsSet/GetRegistrationToken, ffsGetRegistrationDetails) over Storage.
//  - flashed values come from FILES.config (ffs.cfg, docs/FLASH.md), mapped to the CSDK key names;
//    a top-level member named exactly like a CSDK key (e.g. "WSS.SetupNetworkSsid") is taken as is
//  - values set at run time (DSS.Host after a 308, FFS.SessionToken, locale, Time.UTC...) live in
//    FILES.runtimeConfig and win over flashed ones; resetConfiguration() erases them
//  - byte values: DSS.PublicKey (FILES.deviceTypeKey) and DeviceInformation.PublicKey (ffs.cfg
//    devicePublicKey hex, else the SubjectPublicKeyInfo of the leaf certificate in FILES.certChain)
import type { ConfigService, ConfigValue, HalError, RegistrationDetails, StorageService } from '../types';
import { FILES } from '../storage-layout';
import { asciiToBytes, hexToBytes } from '../../firmware/crypto/bytes';
import { halError } from './unavailable';

const EXPIRES_KEY = '#registrationExpiresAt';

/** The DER prefix of a P-256 SubjectPublicKeyInfo (26 bytes, then 04) as a binary string (firmware/crypto/der.ts SPKI_HEAD holds the same 27 bytes as base64). */
const SPKI_PREFIX = atob('MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgA=');

/** The first P-256 SubjectPublicKeyInfo (91 bytes) inside a DER blob as a binary string (the leaf certificate comes first). */
export function findSpki(der: string): Uint8Array | null {
  const i = der.indexOf(SPKI_PREFIX);
  return i < 0 || i + 91 > der.length ? null : asciiToBytes(der.substr(i, 91));
}

export function createConfig(storage: StorageService): ConfigService {
  const flashed: any = storage.readJSON<any>(FILES.config) || {};
  let runtime: any = storage.readJSON<any>(FILES.runtimeConfig) || {};
  let devicePublicKey: Uint8Array | null = null;

  function persist(): HalError | null {
    return storage.writeJSON(FILES.runtimeConfig, runtime);
  }

  /** Configuration values are strings, numbers and booleans (byte values are computed, never stored):
   *  typeof is "string", "number" or "boolean" (not "symbol", "bigint", "object"...). */
  const scalar = (v: any): boolean => /^(st|n|bo)/.test(typeof v);

  /**
   * A flashed value: a top-level member named exactly like the CSDK key, else the member at its ffs.cfg
   * path: `DeviceInformation.Xyz` is `deviceDetails.xyz` (ManufacturerName, ModelNumber, SerialNumber,
   * HardwareVersion, FirmwareVersion, BleDeviceName, SoftwareVersionIndex, Pin) and `Abc.Xyz` is
   * `abc.xyz` (DSS.Host/Port/SetupPort, SoftAp.Ssid/Passphrase, this firmware's own
   * WSS.SetupNetworkSsid -> wss.setupNetworkSsid, Connectivity.ProbeHost -> connectivity.probeHost,
   * Discovery.Port -> discovery.port, docs/WSS.md). Two exceptions: DeviceInformation.ProductIndex is
   * top-level `productIndex`, SoftAp.Enabled is `flows.softAp`.
   */
  function fromFlash(key: string): ConfigValue | undefined {
    const dot = key.indexOf('.');
    const group = key.substring(0, dot);
    const name = key.charAt(dot + 1).toLowerCase() + key.substring(dot + 2);
    const info = group === 'DeviceInformation';
    let v: any = flashed[key];
    if (v === undefined) {
      if (key === 'SoftAp.Enabled') v = flashed.flows && flashed.flows.softAp;
      else if (info && name === 'productIndex') v = flashed[name];
      else v = (flashed[info ? 'deviceDetails' : group.toLowerCase()] || {})[name];
    }
    return scalar(v) ? v : undefined;
  }

  function publicKey(): Uint8Array | undefined {
    if (!devicePublicKey) {
      try {
        devicePublicKey = hexToBytes(flashed.devicePublicKey);
      } catch (e) {
        // not hex (or absent): the leaf certificate's key
      }
      if (!devicePublicKey || devicePublicKey.length !== 91) devicePublicKey = findSpki(storage.readString(FILES.certChain) || '');
    }
    return devicePublicKey || undefined;
  }

  return {
    setConfigurationValue(key: string, value: ConfigValue): HalError | null {
      if (key[0] === '#') return halError('CONFIG_KEY', 'reserved');
      if (!scalar(value)) return halError('NOT_IMPLEMENTED', 'bytes are not stored');
      if (runtime[key] === value) return null;
      runtime[key] = value;
      return persist();
    },
    getConfigurationValue(key: string): ConfigValue | undefined {
      if (key === 'DeviceInformation.PublicKey') return publicKey();
      if (key === 'DSS.PublicKey') return storage.read(FILES.deviceTypeKey) || undefined;
      const v = runtime[key];
      return v !== undefined && key[0] !== '#' ? v : fromFlash(key);
    },
    setRegistrationToken(token: string, expiresAtMs: number): HalError | null {
      runtime['#registrationToken'] = token;
      runtime[EXPIRES_KEY] = expiresAtMs;
      return persist();
    },
    getRegistrationToken(): string | null {
      const t = runtime['#registrationToken'];
      return typeof t === 'string' ? t : null;
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

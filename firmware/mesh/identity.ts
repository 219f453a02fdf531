// The mesh identity written by the flash tool (FILES.mesh) and the mesh options of the device
// configuration (FILES.config "mesh" section). Both validated here, once, at boot.
import { FILES } from '../../hal/storage-layout';
import { hexToBytes, HEX_DIGITS } from '../crypto/bytes';

/** FILES.mesh JSON as flash/image.ts writes it (docs/MESH.md): { deviceUuid, staticOob, oobInfo } */
interface MeshIdentityFile {
  /** Device UUID, 32 hex digits */
  deviceUuid?: string;
  /** Static OOB value, 2..32 hex digits (64 with mesh.hmacSha256), zero-padded — a secret */
  staticOob?: string;
  /** OOB Information bits of the beacon (e.g. 0x0804 = 2D code + on box) */
  oobInfo?: number;
}

export interface MeshIdentity {
  uuid: Uint8Array;
  /** 32 bytes, zero-padded (CMAC uses the first 16); a secret */
  staticOob: Uint8Array;
  oobInfo: number;
  uri: Uint8Array | null;
}

/** FILES.config "mesh" section. */
export interface MeshConfig {
  /** 'pb-adv', 'pb-gatt' or 'both' (default 'both', limited to what the HAL supports) */
  bearers?: string;
  beaconIntervalMs?: number;
  elements?: number;
  /** also accept No OOB authentication (default false: Static OOB only) */
  allowNoOob?: boolean;
  /** Mesh 1.1: also offer BTM_ECDH_P256_HMAC_SHA256_AES_CCM (32-byte static OOB allowed) */
  hmacSha256?: boolean;
  /** Optional URI for the beacon's URI hash, hex, starting with its scheme code point (0x17 = https:) */
  uri?: string;
}

/** The bytes of a hex field of `min`..`max` bytes, or what is wrong with it (never its value). */
function hexField(v: unknown, name: string, min: number, max: number): Uint8Array | string {
  return typeof v === 'string' && HEX_DIGITS.test(v) && v.length % 2 === 0 && v.length >= 2 * min && v.length <= 2 * max
    ? hexToBytes(v) : name + ' must be a hex string of ' + min + '..' + max + ' bytes';
}

/** Parse and validate; returns the identity or one clear error line (never echoing the OOB value). */
export function parseIdentity(f: MeshIdentityFile | null | undefined, cfg: MeshConfig): MeshIdentity | string {
  if (!f || typeof f !== 'object') return FILES.mesh + ': missing or not JSON';
  const info: any = f.oobInfo === undefined ? 0 : f.oobInfo;
  const uuid = hexField(f.deviceUuid, 'deviceUuid', 16, 16);
  const oob = hexField(f.staticOob, 'staticOob', 1, cfg.hmacSha256 ? 32 : 16);
  const uri = cfg.uri === undefined ? null : hexField(cfg.uri, 'mesh.uri', 1, 256);
  const err = typeof uuid === 'string' ? uuid : typeof oob === 'string' ? oob :
    info >= 0 && info <= 0xffff && Math.floor(info) === info ? null : 'oobInfo must be an integer 0..65535';
  if (err) return FILES.mesh + ': ' + err;
  if (typeof uri === 'string') return FILES.config + ': ' + uri;
  // Static OOB shorter than the AuthValue is zero-padded (at the end).
  const padded = new Uint8Array(32);
  padded.set(oob as Uint8Array);
  (oob as Uint8Array).fill(0);
  return { uuid: uuid as Uint8Array, staticOob: padded, oobInfo: info, uri: uri };
}

// The mesh identity written by the flash tool (FILES.mesh) and the mesh options of the device
// configuration (FILES.config "mesh" section). Both validated here, once, at boot.
import { meshLog } from './log';
import type { LogService } from '../../hal/types';
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

/** The bytes of a hex string of `min`..`max` bytes, or null. */
function hexBytes(v: unknown, min: number, max: number): Uint8Array | null {
  return typeof v === 'string' && HEX_DIGITS.test(v) && v.length % 2 === 0 && v.length >= 2 * min && v.length <= 2 * max ? hexToBytes(v) : null;
}

/**
 * Parse and validate; returns the identity, or nothing after logging one clear error line (never echoing
 * the OOB value). The lines name FILES.mesh (ffs.mesh) and FILES.config (ffs.cfg) as literal text, so
 * that each is one log code.
 */
export function parseIdentity(f: MeshIdentityFile | null | undefined, cfg: MeshConfig, log: LogService): MeshIdentity | void {
  const L = meshLog(log);
  if (!f || typeof f !== 'object') return L.e('ffs.mesh: missing or not JSON');
  const info: any = f.oobInfo === undefined ? 0 : f.oobInfo;
  const uuid = hexBytes(f.deviceUuid, 16, 16);
  if (!uuid) return L.e('ffs.mesh: deviceUuid must be a hex string of 16..16 bytes');
  const max = cfg.hmacSha256 ? 32 : 16;
  const oob = hexBytes(f.staticOob, 1, max);
  if (!oob) return L.e('ffs.mesh: staticOob must be a hex string of 1..' + max + ' bytes');
  // an integer 0..65535 is the one value the mask leaves as it is (strictly: not a string or boolean either)
  if ((info & 0xffff) !== info) return L.e('ffs.mesh: oobInfo must be an integer 0..65535');
  let uri: Uint8Array | null = null;
  if (cfg.uri !== undefined && !(uri = hexBytes(cfg.uri, 1, 256))) return L.e('ffs.cfg: mesh.uri must be a hex string of 1..256 bytes');
  // Static OOB shorter than the AuthValue is zero-padded (at the end).
  const padded = new Uint8Array(32);
  padded.set(oob);
  oob.fill(0);
  return { uuid: uuid, staticOob: padded, oobInfo: info, uri: uri };
}

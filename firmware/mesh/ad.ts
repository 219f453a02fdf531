// Advertising data structures the provisionee sends and parses (Core Supplement, Mesh ≈§3.9.2, §7.1).
import { s1 } from '../crypto/mesh-keys';
import { concatBytes } from '../crypto/bytes';

export const AD_PB_ADV = 0x29;
export const MESH_PROV_SERVICE = 0x1827;

/** URI Hash = the first 4 octets of s1(URI), the URI starting with its scheme code point. */
export function uriHash(uri: Uint8Array): Uint8Array {
  return s1(uri).subarray(0, 4);
}

/** Unprovisioned Device beacon: [len][0x2B][0x00][UUID:16][OOB Information:2][URI Hash:4, optional]. */
export function unprovisionedBeacon(uuid: Uint8Array, oobInfo: number, hash: Uint8Array | null): Uint8Array {
  return concatBytes([[hash ? 24 : 20, 0x2b, 0x00], uuid, [oobInfo >> 8, oobInfo], hash || []]);
}

/** PB-GATT connectable advertising: Flags, 16-bit UUID 0x1827, Service Data 0x1827 ‖ UUID ‖ OOB info. */
export function pbGattAdvertisement(uuid: Uint8Array, oobInfo: number): Uint8Array {
  // [2][Flags 0x01] 0x06, [3][Complete 16-bit UUIDs 0x03] 27 18, [21][Service Data 0x16] 27 18 ...
  return concatBytes([[2, 0x01, 0x06, 3, 0x03, 0x27, 0x18, 21, 0x16, 0x27, 0x18], uuid, [oobInfo >> 8, oobInfo]]);
}

/** Calls `fn(type, start, end)` for each well-formed AD structure in `data`; stops at a malformed one. */
export function eachAd(data: Uint8Array, fn: (type: number, start: number, end: number) => void): void {
  for (let i = 0; i < data.length && data[i] && i + 1 + data[i] <= data.length; i += 1 + data[i]) fn(data[i + 1], i + 2, i + 1 + data[i]);
}

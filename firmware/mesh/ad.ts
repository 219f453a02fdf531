// Advertising data structures the provisionee sends and parses (Core Supplement, Mesh ≈§3.9.2, §7.1).
import { s1 } from '../crypto/mesh-keys';

export const AD_FLAGS = 0x01;
export const AD_UUID16_COMPLETE = 0x03;
export const AD_SERVICE_DATA16 = 0x16;
export const AD_PB_ADV = 0x29;
export const AD_MESH_BEACON = 0x2b;
export const MESH_PROV_SERVICE = 0x1827;

/** One AD structure: [len][type][data]. */
export function adStructure(type: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + data.length);
  out[0] = 1 + data.length;
  out[1] = type;
  out.set(data, 2);
  return out;
}

/** URI Hash = the first 4 octets of s1(URI), the URI starting with its scheme code point. */
export function uriHash(uri: Uint8Array): Uint8Array {
  return new Uint8Array(s1(uri).subarray(0, 4));
}

/** Unprovisioned Device beacon: [len][0x2B][0x00][UUID:16][OOB Information:2][URI Hash:4, optional]. */
export function unprovisionedBeacon(uuid: Uint8Array, oobInfo: number, hash: Uint8Array | null): Uint8Array {
  const body = new Uint8Array(19 + (hash ? 4 : 0));
  body[0] = 0x00;
  body.set(uuid, 1);
  body[17] = (oobInfo >> 8) & 0xff;
  body[18] = oobInfo & 0xff;
  if (hash) body.set(hash, 19);
  return adStructure(AD_MESH_BEACON, body);
}

/** PB-GATT connectable advertising: Flags, 16-bit UUID 0x1827, Service Data 0x1827 ‖ UUID ‖ OOB info. */
export function pbGattAdvertisement(uuid: Uint8Array, oobInfo: number): Uint8Array {
  const flags = adStructure(AD_FLAGS, new Uint8Array([0x06]));
  const uuids = adStructure(AD_UUID16_COMPLETE, new Uint8Array([0x27, 0x18]));
  const sd = new Uint8Array(20);
  sd[0] = 0x27;
  sd[1] = 0x18;
  sd.set(uuid, 2);
  sd[18] = (oobInfo >> 8) & 0xff;
  sd[19] = oobInfo & 0xff;
  const svc = adStructure(AD_SERVICE_DATA16, sd);
  const out = new Uint8Array(flags.length + uuids.length + svc.length);
  out.set(flags, 0);
  out.set(uuids, flags.length);
  out.set(svc, flags.length + uuids.length);
  return out;
}

/** Calls `fn(type, start, end)` for each well-formed AD structure in `data`; stops at a malformed one. */
export function eachAd(data: Uint8Array, fn: (type: number, start: number, end: number) => void): void {
  let i = 0;
  while (i < data.length) {
    const len = data[i];
    if (len === 0) return;
    if (i + 1 + len > data.length) return;
    fn(data[i + 1], i + 2, i + 1 + len);
    i += 1 + len;
  }
}

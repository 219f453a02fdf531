// Frame translation between the project's UDP air (sim/medium/radio.ts: one datagram per advertising
// packet, the AD structures exactly as on air) and BlueZ bluetooth-meshd 5.66's 'unit' io
// (mesh/mesh-io-unit.c, carried over UDP by tools/bluez/meshd-shim.c):
//   - meshd receives one AD structure per datagram: [length][AD type][payload] (length = 1 + payload);
//   - meshd sends what it would advertise: [AD type][payload] (1..30 bytes, no length byte).
// Only the Mesh AD types go to meshd (Mesh Core 1.0.1 / Mesh Profile 1.0.1, 3.3.1): PB-ADV 0x29,
// Mesh Message 0x2A, Mesh Beacon 0x2B; the Flags, UUIDs and Service Data of a PB-GATT advertisement are
// not for it. Pure functions: tested in test/bluez/frames.test.ts without meshd.

export const AD_PB_ADV = 0x29;
export const AD_MESH_MESSAGE = 0x2a;
export const AD_MESH_BEACON = 0x2b;
const MESH_TYPES = new Set([AD_PB_ADV, AD_MESH_MESSAGE, AD_MESH_BEACON]);

/** Legacy advertising data is at most 31 bytes (Core 5.x Vol 6 Part B 2.3.1.3). */
export const ADV_MAX = 31;

export interface AdStructure {
  type: number;
  /** the whole structure: [length][type][payload] */
  bytes: Buffer;
}

/**
 * The AD structures of one advertising packet (Core Vol 3 Part C 11). A zero length ends the
 * significant part (the rest is padding); a structure running past the end makes the packet malformed.
 */
export function adStructures(packet: Uint8Array): AdStructure[] | null {
  if (packet.length > ADV_MAX) return null;
  const out: AdStructure[] = [];
  let i = 0;
  while (i < packet.length) {
    const len = packet[i];
    if (len === 0) break;
    if (i + 1 + len > packet.length) return null;
    out.push({ type: packet[i + 1], bytes: Buffer.from(packet.subarray(i, i + 1 + len)) });
    i += 1 + len;
  }
  return out;
}

/** Device → meshd: each Mesh AD structure of the packet as one datagram; [] for anything else. */
export function toMeshd(packet: Uint8Array): Buffer[] {
  const ads = adStructures(packet);
  if (!ads) return [];
  return ads.filter((a) => MESH_TYPES.has(a.type)).map((a) => a.bytes);
}

/** meshd → device: [type][payload] becomes one advertising packet [length][type][payload]. */
export function fromMeshd(frame: Uint8Array): Buffer | null {
  if (frame.length < 1 || frame.length > ADV_MAX - 1) return null;
  const out = Buffer.alloc(frame.length + 1);
  out[0] = frame.length;
  out.set(frame, 1);
  return out;
}

/** An Unprovisioned Device beacon (Mesh Profile 3.9.2): [len] 2B 00 UUID(16) OOB(2) [URI hash(4)]. */
export function unprovisionedBeacon(ad: Uint8Array): { uuid: string; oobInfo: number } | null {
  if (ad.length < 21 || ad[1] !== AD_MESH_BEACON || ad[2] !== 0x00) return null;
  if ((ad[0] !== 20 && ad[0] !== 24) || ad.length < ad[0] + 1) return null;
  return { uuid: Buffer.from(ad.subarray(3, 19)).toString('hex'), oobInfo: (ad[19] << 8) | ad[20] };
}

/** Provisioning PDU names by type (Mesh Profile 5.4.1). */
export const PDU_NAMES = ['Invite', 'Capabilities', 'Start', 'Public Key', 'Input Complete', 'Confirmation', 'Random', 'Data', 'Complete', 'Failed'];

export type PbAdvEvent =
  | { kind: 'link-open'; linkId: number; uuid: string }
  | { kind: 'link-ack'; linkId: number }
  | { kind: 'link-close'; linkId: number; reason: number }
  | { kind: 'ack'; linkId: number; tn: number }
  | { kind: 'start'; linkId: number; tn: number; segN: number; total: number; pdu: string | null }
  | { kind: 'continuation'; linkId: number; tn: number; index: number };

/**
 * One PB-ADV AD structure ([len] 29 LinkID(4) TN GPCF...; Mesh Profile 5.2.1, 5.3) described for the
 * run's timeline: which link, which transaction, and for a Transaction Start the provisioning PDU it
 * begins. null when it is not PB-ADV or too short.
 */
export function pbAdv(ad: Uint8Array): PbAdvEvent | null {
  if (ad.length < 8 || ad[1] !== AD_PB_ADV || ad[0] + 1 > ad.length) return null;
  const linkId = ((ad[2] << 24) | (ad[3] << 16) | (ad[4] << 8) | ad[5]) >>> 0;
  const tn = ad[6];
  const g = ad[7];
  switch (g & 0x03) {
    case 0x00: {
      if (ad.length < 12) return null;
      const total = (ad[8] << 8) | ad[9];
      const type = ad.length > 11 && ad[0] >= 11 ? ad[11] & 0x3f : -1;
      return { kind: 'start', linkId, tn, segN: g >> 2, total, pdu: type >= 0 && type < PDU_NAMES.length ? PDU_NAMES[type] : null };
    }
    case 0x01:
      return { kind: 'ack', linkId, tn };
    case 0x02:
      return { kind: 'continuation', linkId, tn, index: g >> 2 };
    default: {
      const op = g >> 2;
      if (op === 0x00 && ad.length >= 24) return { kind: 'link-open', linkId, uuid: Buffer.from(ad.subarray(8, 24)).toString('hex') };
      if (op === 0x01) return { kind: 'link-ack', linkId };
      if (op === 0x02 && ad.length >= 9) return { kind: 'link-close', linkId, reason: ad[8] };
      return null;
    }
  }
}

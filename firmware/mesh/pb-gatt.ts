// PB-GATT bearer (Mesh Profile ≈§5.2.2, §6.3): the Mesh Provisioning Service 0x1827 with Data In
// 0x2ADB (write without response) and Data Out 0x2ADC (notify). The GATT connection is the link.
// Proxy PDU = [SAR:2 | Message Type:6][data]; SAR 0 complete, 1 first, 2 continuation, 3 last;
// message type 0x03 = Provisioning PDU. Segments carry at most ATT_MTU - 3 - 1 octets.
// A SAR violation or a 20 s reassembly stall drops the connection (proxy protocol rules).
import { meshLog } from './log';
import type { BleService, ClockService, LogService } from '../../hal/types';
import type { Bearer, BearerEvents, BearerLink } from './bearer';
import { CLOSE_FAIL, CLOSE_TIMEOUT } from './bearer';
import { MESH_PROV_SERVICE } from './ad';

export const DATA_IN = 0x2adb;
export const DATA_OUT = 0x2adc;
export const MSG_PROVISIONING = 0x03;
export const SAR_TIMEOUT_MS = 20000;
/** Largest reassembled PDU accepted (the largest legal Provisioning PDU is 65 octets). */
const MAX_PDU = 89;
const DEFAULT_MTU = 23;

/** Split one Provisioning PDU into Proxy PDUs for an ATT MTU. */
export function proxySegments(pdu: Uint8Array, mtu: number): Uint8Array[] {
  const room = (mtu < DEFAULT_MTU ? DEFAULT_MTU : mtu) - 4;
  const out: Uint8Array[] = [];
  if (pdu.length <= room) {
    const one = new Uint8Array(1 + pdu.length);
    one[0] = MSG_PROVISIONING;
    one.set(pdu, 1);
    out.push(one);
    return out;
  }
  for (let from = 0; from < pdu.length; from += room) {
    const to = from + room < pdu.length ? from + room : pdu.length;
    const sar = from === 0 ? 1 : to === pdu.length ? 3 : 2;
    const seg = new Uint8Array(1 + to - from);
    seg[0] = (sar << 6) | MSG_PROVISIONING;
    seg.set(pdu.subarray(from, to), 1);
    out.push(seg);
  }
  return out;
}

export interface PbGatt extends Bearer {
  linkOpen(): boolean;
}

export function createPbGatt(o: { ble: BleService; clock: ClockService; log: LogService; events: BearerEvents }): PbGatt {
  const L = meshLog(o.log);
  let running = false;
  let active = false;
  let mtu = DEFAULT_MTU;
  const buf = new Uint8Array(MAX_PDU);
  let len = -1; // -1: no segmented message in progress
  let sarTimer: number | null = null;
  let outQueue: Uint8Array[] = [];
  let sending = false;

  function clearSar(): void {
    if (sarTimer !== null) o.clock.clearTimeout(sarTimer);
    sarTimer = null;
    len = -1;
  }

  function drop(reason: number, why: string): void {
    L.w('pb-gatt: ' + why + ', disconnecting');
    link.close(reason);
    o.events.onLinkClose(link, reason, false);
  }

  function pump(): void {
    if (!active || outQueue.length === 0) {
      sending = false;
      return;
    }
    sending = true;
    const seg = outQueue[0];
    outQueue.splice(0, 1);
    const err = o.ble.notify(seg);
    if (err) L.w('pb-gatt: notify failed: ' + err.code);
    o.clock.defer(pump);
  }

  const link: BearerLink = {
    bearer: 'pb-gatt',
    send(pdu: Uint8Array): void {
      if (!active) return;
      const segs = proxySegments(pdu, mtu);
      for (let i = 0; i < segs.length; i++) outQueue.push(segs[i]);
      if (!sending) pump();
    },
    close(reason: number): void {
      if (!active) return;
      active = false;
      clearSar();
      outQueue = [];
      L.i('pb-gatt: closing the connection (reason ' + reason + ')');
      // Let queued notifications (Failed, Complete) reach the stack before the disconnect.
      o.clock.setTimeout(function () {
        o.ble.disconnect();
      }, 100);
    },
  };

  function deliver(n: number): void {
    const pdu = new Uint8Array(buf.subarray(0, n));
    o.events.onPdu(link, pdu);
  }

  function onWrite(data: Uint8Array): void {
    if (!active || data.length < 1) return;
    const sar = data[0] >> 6;
    const type = data[0] & 0x3f;
    if (type !== MSG_PROVISIONING) {
      L.d('pb-gatt: proxy message type ' + type + ' ignored');
      return;
    }
    const body = data.subarray(1);
    if (sar === 0) {
      if (len >= 0) return drop(CLOSE_FAIL, 'complete PDU inside a segmented one');
      if (body.length > MAX_PDU) return drop(CLOSE_FAIL, 'PDU too long');
      buf.set(body, 0);
      deliver(body.length);
      return;
    }
    if (sar === 1) {
      if (len >= 0) return drop(CLOSE_FAIL, 'first segment inside a segmented PDU');
      len = 0;
      sarTimer = o.clock.setTimeout(function () {
        sarTimer = null;
        drop(CLOSE_TIMEOUT, 'segmented PDU not finished in 20 s');
      }, SAR_TIMEOUT_MS);
    } else if (len < 0) {
      return drop(CLOSE_FAIL, 'continuation without a first segment');
    }
    if (len + body.length > MAX_PDU) return drop(CLOSE_FAIL, 'PDU too long');
    buf.set(body, len);
    len += body.length;
    if (sar === 3) {
      const n = len;
      clearSar();
      deliver(n);
    }
  }

  return {
    name: 'pb-gatt',
    linkOpen: () => active,
    start(): boolean {
      running = true;
      const err = o.ble.setGattService({
        service: MESH_PROV_SERVICE,
        dataIn: DATA_IN,
        dataOut: DATA_OUT,
        maxLength: 66,
        onWrite: onWrite,
        onConnect(m: number): void {
          if (!running || active) return;
          if (!o.events.onLinkOpen(link)) {
            o.ble.disconnect();
            return;
          }
          active = true;
          mtu = m || DEFAULT_MTU;
          len = -1;
          outQueue = [];
          L.i('pb-gatt: link open (connected, MTU ' + mtu + ')');
        },
        onDisconnect(): void {
          if (!active) return;
          active = false;
          clearSar();
          outQueue = [];
          L.i('pb-gatt: disconnected');
          o.events.onLinkClose(link, CLOSE_FAIL, true);
        },
      });
      if (err) {
        running = false;
        L.w('pb-gatt: not available on this firmware (' + err.code + ')');
        return false;
      }
      return true;
    },
    stop(): void {
      if (active) link.close(CLOSE_FAIL);
      // The Provisioning Service must not stay exposed once provisioned (or when stopped).
      if (running) o.ble.clearGattService();
      running = false;
    },
  };
}

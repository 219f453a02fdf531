// PB-GATT bearer (Mesh Profile ≈§5.2.2, §6.3): the Mesh Provisioning Service 0x1827 with Data In
// 0x2ADB (write without response) and Data Out 0x2ADC (notify). The GATT connection is the link.
// Proxy PDU = [SAR:2 | Message Type:6][data]; SAR 0 complete, 1 first, 2 continuation, 3 last;
// message type 0x03 = Provisioning PDU. Segments carry at most ATT_MTU - 3 - 1 octets.
// A SAR violation or a 20 s reassembly stall drops the connection (proxy protocol rules).
import { meshLog } from './log';
import type { BleService, ClockService, LogService } from '../../hal/types';
import type { BearerEvents, BearerLink } from './bearer';
import { CLOSE_FAIL, CLOSE_TIMEOUT } from './bearer';
import { MESH_PROV_SERVICE } from './ad';
import { concatBytes } from '../crypto/bytes';
import { clearTimer } from './timer';

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
  for (let from = 0; from < pdu.length; from += room) {
    const last = from + room >= pdu.length;
    // SAR: 0 complete, 1 first, 2 continuation, 3 last
    // (Espruino's subarray does not clamp its end to the length: never ask past it)
    out.push(concatBytes([[((from ? (last ? 3 : 2) : last ? 0 : 1) << 6) | MSG_PROVISIONING], pdu.subarray(from, last ? pdu.length : from + room)]));
  }
  return out;
}

/** The bearer is its one link (send, close: a no-op when not connected). */
export interface PbGatt extends BearerLink {
  /** Publish the service; false when the HAL cannot carry PB-GATT after all. */
  start(): boolean;
  stop(): void;
}

export function createPbGatt(o: { ble: BleService; clock: ClockService; log: LogService; events: BearerEvents }): PbGatt {
  const L = meshLog(o.log);
  let running = false;
  let active = false;
  let mtu = DEFAULT_MTU;
  let parts: Uint8Array[] = [];
  let len = -1; // -1: no segmented message in progress
  let sarTimer: number | null = null;
  let outQueue: Uint8Array[] = [];
  let sending = false;

  /** Forget the reassembly (and its 20 s timer). */
  function endSar(): void {
    sarTimer = clearTimer(o.clock, sarTimer);
    len = -1;
  }

  /** The link is not (or no longer) open: forget the reassembly and the notifications not sent yet. */
  function reset(): void {
    active = false;
    endSar();
    outQueue = [];
  }

  function drop(reason: number): void {
    link.close(reason);
    o.events.onLinkClose(link, reason, false);
  }

  function pump(): void {
    sending = active && outQueue.length > 0;
    if (!sending) return;
    const err = o.ble.notify(outQueue.shift() as Uint8Array);
    if (err) L.w('pb-gatt: notify: ' + err.message);
    o.clock.defer(pump);
  }

  const link: PbGatt = {
    send(pdu: Uint8Array): void {
      if (!active) return;
      outQueue = outQueue.concat(proxySegments(pdu, mtu));
      if (!sending) pump();
    },
    close(reason: number): void {
      if (!active) return;
      reset();
      L.i('pb-gatt: closing (reason ' + reason + ')');
      // Let queued notifications (Failed, Complete) reach the stack before the disconnect.
      o.clock.setTimeout(function () {
        o.ble.disconnect();
      }, 100);
    },
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
          if (!o.events.onLinkOpen(link)) return o.ble.disconnect();
          reset();
          active = true;
          mtu = m || DEFAULT_MTU;
          L.i('pb-gatt: link open, MTU ' + mtu);
        },
        onDisconnect(): void {
          if (!active) return;
          reset();
          L.i('pb-gatt: disconnected');
          o.events.onLinkClose(link, CLOSE_FAIL, true);
        },
      });
      if (err) {
        running = false;
        L.w('pb-gatt: unsupported (' + err.code + ')');
      }
      return running;
    },
    stop(): void {
      link.close(CLOSE_FAIL); // (if connected)
      // The Provisioning Service must not stay exposed once provisioned (or when stopped).
      if (running) o.ble.clearGattService();
      running = false;
    },
  };

  function onWrite(data: Uint8Array): void {
    // Other proxy message types (network PDUs, beacons, configuration) are not ours.
    if (!active || !data.length || (data[0] & 0x3f) !== MSG_PROVISIONING) return;
    const sar = data[0] >> 6;
    const body = data.subarray(1);
    // Complete and First may only come outside a segmented PDU, Continuation and Last only inside.
    if ((sar < 2) === len >= 0 || (sar < 2 ? 0 : len) + body.length > MAX_PDU) return L.w('pb-gatt: bad SAR, disconnecting'), drop(CLOSE_FAIL);
    if (sar === 1) {
      sarTimer = o.clock.setTimeout(function () {
        sarTimer = null;
        L.w('pb-gatt: SAR timeout, disconnecting');
        drop(CLOSE_TIMEOUT);
      }, SAR_TIMEOUT_MS);
    }
    if (sar < 2) {
      len = 0;
      parts = [];
    }
    parts.push(new Uint8Array(body));
    len += body.length;
    if (sar === 0 || sar === 3) {
      const pdu = concatBytes(parts);
      endSar();
      o.events.onPdu(link, pdu);
    }
  }

  return link;
}

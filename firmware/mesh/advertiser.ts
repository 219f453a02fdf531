// One advertising set shared by everything the provisionee sends: short bursts of PB-ADV packets
// (each advertised for a few advertising events), and between them the idle advertisements (the
// unprovisioned beacon, the PB-GATT connectable advertisement), rotated when there are several.
import { meshLog } from './log';
import type { BleService, ClockService, LogService } from '../../hal/types';
import { clearTimer } from './timer';

export interface AdvSpec {
  data: Uint8Array;
  connectable: boolean;
  intervalMs: number;
}

export interface Advertiser {
  setIdle(list: AdvSpec[]): void;
  /** Queue one non-connectable packet for a short burst; `urgent` ones (acks) go first. */
  burst(packet: Uint8Array, urgent: boolean): void;
  /** Drop queued bursts (link gone). */
  flush(): void;
  stop(): void;
}

/** PB-ADV packets go out at the fastest interval for about three advertising events. */
export const BURST_INTERVAL_MS = 20;
export const BURST_MS = 60;
/** With several idle advertisements, each is shown this long in turn. */
export const ROTATE_MS = 1000;
/** Bursts are bounded: a stuck peer cannot grow the queue. */
const MAX_QUEUE = 24;

export function createAdvertiser(o: { ble: BleService; clock: ClockService; log: LogService }): Advertiser {
  const L = meshLog(o.log);
  let idle: AdvSpec[] = [];
  let idleIndex = 0;
  let queue: Uint8Array[] = [];
  let timer: number | null = null;
  let bursting = false;
  let stopped = false;

  /** Advertise the next queued burst, else the current idle advertisement (rotating), else nothing. */
  function show(): void {
    timer = clearTimer(o.clock, timer);
    if (stopped) return;
    const packet = queue.shift();
    bursting = !!packet;
    if (!packet && !idle.length) return o.ble.stopAdvertising();
    const err = o.ble.setAdvertising(packet ? { data: packet, connectable: false, intervalMs: BURST_INTERVAL_MS } : idle[idleIndex % idle.length]);
    if (err) L.w('advertising failed: ' + err.code);
    if (packet || idle.length > 1) {
      timer = o.clock.setTimeout(function () {
        timer = null; // Espruino throws "Unknown Timeout" when clearing a timer that already fired
        if (!packet) idleIndex++;
        show();
      }, packet ? BURST_MS : ROTATE_MS);
    }
  }

  return {
    setIdle(list: AdvSpec[]): void {
      idle = list;
      idleIndex = 0;
      if (!bursting) show();
    },
    burst(packet: Uint8Array, urgent: boolean): void {
      if (!__FEATURE_PB_ADV__ || stopped) return; // only PB-ADV bursts
      if (queue.length >= MAX_QUEUE) queue.shift();
      if (urgent) queue.unshift(packet);
      else queue.push(packet);
      if (!bursting) show();
    },
    flush(): void {
      queue = [];
    },
    stop(): void {
      stopped = true;
      queue = [];
      show();
      o.ble.stopAdvertising();
    },
  };
}

// The emulated `NRF` global of the ESP32 Espruino build (libs/bluetooth/jswrap_bluetooth.c,
// targets/esp32/BLE/esp32_gap_func.c, esp32_gatts_func.c), bound to the radio medium (sim/medium/radio.ts).
// Names, argument shapes and quirks as on the real firmware:
//  - setAdvertising(data, options): `data` raw AD bytes (array, Uint8Array, ArrayBuffer) or an array of
//    raw adverts that are rotated one per advertising event; options {interval (ms, default 375,
//    at least 20), connectable (default true), scannable, name, showName, discoverable, whenConnected};
//    the object form {uuid: data} is not emulated. Advertising pauses while a central is connected and
//    resumes after the disconnect; an empty advert puts nothing on the air.
//  - setScan(cb, options) delivers BluetoothDevice objects {id "aa:bb:cc:dd:ee:ff" (no address type
//    suffix on ESP32), rssi, data: ArrayBuffer, name?}; setScan() stops. With air.scanGarbage > 0 the
//    callback also gets the garbage of espruino/Espruino#2138 (id 00:00:00:00:00:00, absurd RSSI).
//  - setServices(services, {uart}) with UUID keys "0xABCD" / "ABCD" (strings, bleVarToUUID) or integers;
//    `uart:false` closes the BLE UART console, anything else leaves it open. Characteristics: value,
//    maxLen, readable, writable, notify, indicate, description, onWrite(evt{data: ArrayBuffer}).
//  - updateServices({svc:{chr:{value, notify}}}): with firmware "legacy" (ESP32 builds before PR #2494)
//    it prints FIXME and throws "Unable to find service with UUID 0x…" (#1730, #2292).
//  - NRF.on('connect', addr) / NRF.on('disconnect', reason); NO MTU events on ESP32; disconnect(),
//    getAddress(), setTxPower(), sleep()/wake(), setScanResponse().
import type { Board } from './board.ts';
import { defaultAir, setNrfFactory, type Air, type GattLink, type GattServer, type Radio } from '../medium/radio.ts';

interface Characteristic {
  uuid: number;
  value: Uint8Array;
  maxLen: number;
  readable: boolean;
  writable: boolean;
  notify: boolean;
  onWrite: unknown;
}

const CHAR_KEYS = ['value', 'maxLen', 'readable', 'writable', 'notify', 'indicate', 'description', 'onWrite', 'security'];
const ADV_KEYS = ['interval', 'connectable', 'scannable', 'name', 'showName', 'discoverable', 'whenConnected', 'manufacturer', 'manufacturerData', 'phy'];

function macOf(board: Board): string {
  const s = (board.serial + '000000000000').slice(0, 12);
  return s.match(/../g)!.join(':').toLowerCase();
}

export function createNrf(board: Board, air: Air): unknown {
  const address = macOf(board);
  const radio: Radio = { id: board.id, address, onPacket: null, owner: board.id };
  let adverts: Uint8Array[] = [];
  let advIndex = 0;
  let advConnectable = true;
  let advInterval = 375;
  let advTimer: number | null = null;
  let asleep = false;
  let services = new Map<number, Map<number, Characteristic>>();
  let link: GattLink | null = null;
  let nrf: object;

  const uuidOf = (key: string, what: string): number => {
    let v: number;
    if (/^0x[0-9a-f]{1,4}$/i.test(key)) v = parseInt(key.slice(2), 16);
    else if (/^[0-9a-f]{4}$/i.test(key) && /[a-f]/i.test(key)) v = parseInt(key, 16);
    else if (/^\d+$/.test(key)) v = Number(key); // an integer key (Espruino keeps numeric literal keys as integers)
    else return board.notEmulated(`NRF ${what} UUID ${JSON.stringify(key)} (only 16-bit UUIDs)`);
    if (v > 0xffff) throw board.error('UUID Integer out of range');
    return v;
  };

  const advertise = (): void => {
    advTimer = null;
    if (!board.on || asleep) return;
    if (!link && adverts.length) {
      const data = adverts[advIndex % adverts.length];
      advIndex++;
      if (data.length) air.transmit(radio, data, advConnectable);
    }
    // advInterval plus the 0..10 ms advDelay of the link layer
    advTimer = board.setTimer(advertise, advInterval + board.rng.int(0, 10));
  };

  const restartAdvertising = (): void => {
    if (advTimer !== null) air.clock.clearTimer(advTimer);
    advTimer = board.setTimer(advertise, board.rng.int(0, 10));
  };

  const server: GattServer = {
    address,
    owner: board.id,
    services: () => new Set(services.keys()),
    onConnect(l: GattLink): boolean {
      if (!board.on || link || !advConnectable || !adverts.length || asleep) return false;
      link = l;
      board.setTimer(() => board.emitTo(nrf, 'connect', 'aa:bb:cc:00:00:01'), 0);
      board.emit({ actor: 'ble', kind: 'connect', summary: `central connected (ATT_MTU ${l.mtu}, no MTU event on ESP32)` });
      return true;
    },
    onWrite(l: GattLink, char: number, data: Uint8Array): void {
      if (l !== link || !board.on) return;
      for (const chars of services.values()) {
        const c = chars.get(char);
        if (!c) continue;
        if (!c.writable || data.length > c.maxLen) return; // ATT error on the real stack: the write is refused
        c.value = new Uint8Array(data);
        if (typeof c.onWrite === 'function') {
          const evt = board.object({ data: board.bytes(data).buffer } as Record<string, unknown>);
          board.call(c.onWrite, undefined, [evt]);
        }
        return;
      }
    },
    onDisconnect(l: GattLink, reason: number): void {
      if (l !== link) return;
      link = null;
      board.emit({ actor: 'ble', kind: 'disconnect', summary: `disconnected (reason 0x${reason.toString(16)})` });
      board.emitTo(nrf, 'disconnect', reason);
      restartAdvertising();
    },
  };

  const leave = air.join(radio);
  const unregister = air.registerServer(server);
  board.onPowerOff(() => {
    leave();
    unregister();
    radio.onPacket = null;
    if (link) link.disconnect('server', 0x08);
    link = null;
  });

  const toUpdate = (o: unknown, what: string): Array<[number, number, Record<string, unknown>]> => {
    const out: Array<[number, number, Record<string, unknown>]> = [];
    if (!o || typeof o !== 'object') throw board.error(`${what}: expected an object`);
    for (const sk of Object.keys(o)) {
      const chars = (o as Record<string, unknown>)[sk];
      if (!chars || typeof chars !== 'object') throw board.error(`${what}: service ${sk} must be an object`);
      for (const ck of Object.keys(chars)) out.push([uuidOf(sk, what), uuidOf(ck, what), (chars as Record<string, Record<string, unknown>>)[ck]]);
    }
    return out;
  };

  nrf = board.strict('NRF', board.object({
    setAdvertising(data: unknown, options?: unknown): void {
      const o = (options ?? {}) as Record<string, unknown>;
      for (const k of Object.keys(o)) if (!ADV_KEYS.includes(k)) board.notEmulated(`NRF.setAdvertising option ${k}`);
      let list: Uint8Array[];
      if (Array.isArray(data) && data.length && typeof data[0] === 'object') list = data.map((d) => board.toBytes(d));
      else if (data && typeof data === 'object' && !Array.isArray(data) && !ArrayBuffer.isView(data) && !(data instanceof board.realm.ArrayBuffer)) {
        if (Object.keys(data).length) board.notEmulated('NRF.setAdvertising with an object of service data (pass raw AD bytes)');
        list = [];
      } else list = [board.toBytes(data ?? [])];
      for (const d of list) if (d.length > 31) throw board.error('Too much data for advertising (31 bytes max)');
      adverts = list;
      advIndex = 0;
      advConnectable = o.connectable === undefined ? true : !!o.connectable;
      advInterval = Math.max(20, Number(o.interval ?? 375) || 375);
      restartAdvertising();
    },
    setScanResponse(_data: unknown): void {},
    setScan(cb?: unknown, options?: unknown): void {
      void options;
      if (typeof cb !== 'function') {
        radio.onPacket = null;
        return;
      }
      radio.onPacket = (p) => {
        if (!board.on) return;
        const dev: Record<string, unknown> = { id: p.address, rssi: p.rssi, data: board.bytes(p.data).buffer };
        board.call(cb, undefined, [board.object(dev)]);
        const g = air.config.scanGarbage;
        if (g > 0 && board.rng.chance(g)) {
          const junk = board.rng.bytes(board.rng.int(0, 40));
          board.call(cb, undefined, [board.object({ id: '00:00:00:00:00:00', rssi: 394288 + board.rng.int(0, 4096), data: board.bytes(junk).buffer } as Record<string, unknown>)]);
        }
      };
    },
    setServices(svcs: unknown, options?: unknown): void {
      const o = (options ?? {}) as Record<string, unknown>;
      if (o.uart === false) board.setConsole('bleUart', false);
      else board.setConsole('bleUart', true);
      const next = new Map<number, Map<number, Characteristic>>();
      if (svcs && typeof svcs === 'object') {
        for (const [s, c, spec] of toUpdate(svcs, 'NRF.setServices')) {
          for (const k of Object.keys(spec)) if (!CHAR_KEYS.includes(k)) board.notEmulated(`NRF.setServices characteristic option ${k}`);
          if (!next.has(s)) next.set(s, new Map());
          const value = board.toBytes(spec.value ?? []);
          next.get(s)!.set(c, {
            uuid: c,
            value,
            maxLen: Number(spec.maxLen ?? Math.max(20, value.length)),
            readable: !!spec.readable,
            writable: !!spec.writable,
            notify: !!spec.notify,
            onWrite: spec.onWrite,
          });
        }
      }
      services = next;
      board.emit({ actor: 'ble', kind: 'services', summary: `services ${[...next.keys()].map((k) => '0x' + k.toString(16)).join(', ') || '(none)'}, uart ${o.uart === false ? 'off' : 'on'}` });
    },
    updateServices(update: unknown): void {
      const items = toUpdate(update, 'NRF.updateServices');
      if (air.config.firmware === 'legacy') {
        board.print('FIXME');
        const first = items[0];
        throw board.error(`Unable to find service with UUID 0x${(first ? first[1] : 0).toString(16).padStart(4, '0')}`);
      }
      for (const [s, c, spec] of items) {
        const ch = services.get(s)?.get(c);
        if (!ch) throw board.error(`Unable to find service with UUID 0x${c.toString(16).padStart(4, '0')}`);
        if (spec.value !== undefined) {
          const v = board.toBytes(spec.value);
          if (v.length > ch.maxLen) throw board.error(`Value too long (${v.length} > maxLen ${ch.maxLen})`);
          ch.value = v;
        }
        if (spec.notify && ch.notify && link) link.notify(c, ch.value);
      }
    },
    disconnect(): void {
      if (link) link.disconnect('server', 0x16);
    },
    getAddress(): string {
      return address + ' public';
    },
    setTxPower(_p: unknown): void {},
    sleep(): void {
      asleep = true;
      if (link) link.disconnect('server', 0x16);
    },
    wake(): void {
      asleep = false;
      restartAdvertising();
    },
  } as Record<string, unknown>));
  return nrf;
}

setNrfFactory(createNrf);

/** Boards outside a scenario with an air section still get an NRF, on a private air per clock. */
export const boardGlobals = {
  NRF: (board: Board) => createNrf(board, defaultAir(board.clock, board.timeline, board.rng)),
};

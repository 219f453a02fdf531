// BleService over Espruino's NRF object on the ESP32 build (libs/bluetooth/jswrap_bluetooth.c,
// targets/esp32/BLE/). Facts this relies on:
//  - setAdvertising(rawBytes, {connectable, interval}) sends the raw AD structures as given; a
//    Uint8Array is taken as it is (jswrap_ble_setAdvertising keeps an ArrayBuffer view as the data, and
//    the ESP32 side reads it with JSV_GET_AS_CHAR_ARRAY), no copy into a plain Array of JsVars;
//  - setScan(cb(dev), {active:false}) hands BluetoothDevice objects {id, rssi, data: ArrayBuffer};
//    on ESP32 it sometimes delivers garbage (#2138: id 00:00:00:00:00:00, impossible RSSI) — dropped;
//  - setServices(services, {uart:false}) with UUID keys as "0xABCD" strings (bleVarToUUID; numeric
//    keys would not survive minification as intended), and it must always keep uart:false so the
//    console stays closed; onWrite(evt) gets evt.data as an ArrayBuffer;
//  - updateServices({svc:{chr:{value, notify:true}}}) notifies (value: a Uint8Array, read with JSV_GET_AS_CHAR_ARRAY too); on older ESP32 builds it prints
//    "FIXME" and throws "Unable to find service" (#1730, #2292, fixed by PR #2494): probed once;
//  - NRF.on('connect', addr) / NRF.on('disconnect', reason); no MTU events on ESP32 (MTU 23 assumed).
import type { BleService, GattServiceSpec, HalError, LogService } from '../types';
import { halError, unavailable } from './unavailable';

/** `o["0xUUUU"] = v` (a 16-bit UUID as setServices and updateServices take it), then `o`. */
function put(o: any, uuid: number, v: object): any {
  o['0x' + ('000' + uuid.toString(16)).slice(-4)] = v;
  return o;
}

/** `{"0xSSSS": {"0xCCCC": chr}}`: one characteristic of a service. */
function oneChar(service: number, uuid: number, chr: object): any {
  return put({}, service, put({}, uuid, chr));
}

export function createBle(log: LogService): BleService {
  const has = typeof NRF !== 'undefined';
  // A build without a bearer (`--no-pb-adv`, `--no-pb-gatt`) drops its NRF code here too.
  const supports = { pbGatt: __FEATURE_PB_GATT__ && has && !!NRF.updateServices, pbAdv: __FEATURE_PB_ADV__ && has && !!NRF.setScan };
  let spec: GattServiceSpec | null = null;
  let connected = false;
  if (__FEATURE_PB_GATT__ && has) {
    // Callbacks are never synchronous; NRF events already arrive from the event loop.
    NRF.on('connect', function () {
      connected = true;
      if (spec) spec.onConnect(23);
    });
    NRF.on('disconnect', function () {
      const was = connected;
      connected = false;
      if (spec && was) spec.onDisconnect();
    });
  }

  /** Runs `NRF[method](...args)`: null, or what it threw as a `BLE` error (UNAVAILABLE without NRF). */
  function call(method: string, args: any[]): HalError | null {
    if (!has) return unavailable('BLE');
    try {
      (NRF as any)[method].apply(NRF, args);
      return null;
    } catch (e) {
      return halError('BLE', e);
    }
  }

  /** An NRF call whose failure is only worth a warning (the text of what it threw). */
  function quiet(method: string, args: any[]): void {
    const e = has && call(method, args);
    if (e) log.log('warn', 'ble', e.message);
  }

  return {
    supports: supports,
    setAdvertising(o): HalError | null {
      return call('setAdvertising', [o.data, { connectable: o.connectable, scannable: false, interval: o.intervalMs }]);
    },
    stopAdvertising(): void {
      quiet('setAdvertising', [[], { connectable: false }]);
    },
    startScan(o): HalError | null {
      if (!__FEATURE_PB_ADV__) return unavailable('PB-ADV');
      return call('setScan', [function (dev: any) {
        const rssi = dev && dev.rssi;
        // (a missing or non-numeric RSSI fails both comparisons)
        if (dev && dev.data && dev.id !== '00:00:00:00:00:00' && rssi <= 20 && rssi >= -127) {
          o.onPacket(new Uint8Array(dev.data), rssi);
        }
      }, { active: false }]);
    },
    stopScan(): void {
      if (!__FEATURE_PB_ADV__) return;
      quiet('setScan', []);
    },
    setGattService(s): HalError | null {
      if (!__FEATURE_PB_GATT__) return unavailable('PB-GATT');
      const chars = put({}, s.dataIn, {
        value: [0],
        maxLen: s.maxLength,
        writable: true,
        readable: false,
        onWrite: function (evt: any) {
          if (spec === s && evt && evt.data) s.onWrite(new Uint8Array(evt.data));
        },
      });
      put(chars, s.dataOut, { value: [0], maxLen: s.maxLength, readable: true, notify: true });
      const e = call('setServices', [put({}, s.service, chars), { uart: false }]);
      if (e) return e;
      // Probe notifications once: older ESP32 builds throw here.
      if (call('updateServices', [oneChar(s.service, s.dataOut, { value: [0] })])) {
        supports.pbGatt = false;
        return halError('UNSUPPORTED', 'no GATT notify');
      }
      spec = s;
      return null;
    },
    clearGattService(): void {
      if (!__FEATURE_PB_GATT__) return;
      spec = null;
      quiet('setServices', [{}, { uart: false }]);
    },
    notify(data): HalError | null {
      if (!__FEATURE_PB_GATT__) return unavailable('PB-GATT');
      const sp = spec;
      if (!sp || !connected) return halError('NOT_CONNECTED', 'no GATT connection');
      return call('updateServices', [oneChar(sp.service, sp.dataOut, { value: data, notify: true })]);
    },
    disconnect(): void {
      quiet('disconnect', []);
    },
  };
}

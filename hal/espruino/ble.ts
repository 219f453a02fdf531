// BleService over Espruino's NRF object on the ESP32 build (libs/bluetooth/jswrap_bluetooth.c,
// targets/esp32/BLE/). Facts this relies on:
//  - setAdvertising(rawBytesArray, {connectable, interval}) sends the raw AD structures as given;
//  - setScan(cb(dev), {active:false}) hands BluetoothDevice objects {id, rssi, data: ArrayBuffer};
//    on ESP32 it sometimes delivers garbage (#2138: id 00:00:00:00:00:00, impossible RSSI) — dropped;
//  - setServices(services, {uart:false}) with UUID keys as "0xABCD" strings (bleVarToUUID; numeric
//    keys would not survive minification as intended), and it must always keep uart:false so the
//    console stays closed; onWrite(evt) gets evt.data as an ArrayBuffer;
//  - updateServices({svc:{chr:{value, notify:true}}}) notifies; on older ESP32 builds it prints
//    "FIXME" and throws "Unable to find service" (#1730, #2292, fixed by PR #2494): probed once;
//  - NRF.on('connect', addr) / NRF.on('disconnect', reason); no MTU events on ESP32 (MTU 23 assumed).
import type { BleService, GattServiceSpec, HalError, LogService } from '../types';

function err(code: string, message: string): HalError {
  return { code: code, message: message };
}

function hex4(n: number): string {
  return '0x' + ('000' + n.toString(16)).slice(-4);
}

function toArray(b: Uint8Array): number[] {
  const a: number[] = [];
  for (let i = 0; i < b.length; i++) a.push(b[i]);
  return a;
}

export function createBle(deps: { log: LogService }): BleService {
  const has = typeof NRF !== 'undefined';
  const supports = { pbGatt: has && typeof NRF.updateServices === 'function', pbAdv: has && typeof NRF.setScan === 'function' };
  let spec: GattServiceSpec | null = null;
  let handlersOn = false;
  let connected = false;

  function onConnect(): void {
    connected = true;
    // Callbacks are never synchronous; NRF events already arrive from the event loop.
    if (spec) spec.onConnect(23);
  }

  function onDisconnect(): void {
    const was = connected;
    connected = false;
    if (spec && was) spec.onDisconnect();
  }

  return {
    supports: supports,
    setAdvertising(o): HalError | null {
      if (!has) return err('UNAVAILABLE', 'BLE is not available on this firmware');
      try {
        NRF.setAdvertising(toArray(o.data), { connectable: o.connectable, scannable: false, interval: o.intervalMs });
        return null;
      } catch (e) {
        return err('BLE_ADVERTISING', String(e));
      }
    },
    stopAdvertising(): void {
      if (!has) return;
      try {
        NRF.setAdvertising([], { connectable: false });
      } catch (e) {
        deps.log.log('warn', 'ble', 'could not stop advertising');
      }
    },
    startScan(o): HalError | null {
      if (!supports.pbAdv) return err('UNAVAILABLE', 'BLE scanning is not available on this firmware');
      try {
        NRF.setScan(
          function (dev: any) {
            if (!dev || !dev.data || dev.id === '00:00:00:00:00:00') return;
            const rssi = dev.rssi;
            if (typeof rssi !== 'number' || rssi > 20 || rssi < -127) return;
            o.onPacket(new Uint8Array(dev.data), rssi);
          },
          { active: false },
        );
        return null;
      } catch (e) {
        return err('BLE_SCAN', String(e));
      }
    },
    stopScan(): void {
      if (!has) return;
      try {
        NRF.setScan();
      } catch (e) {
        deps.log.log('warn', 'ble', 'could not stop scanning');
      }
    },
    setGattService(s): HalError | null {
      if (!has) return err('UNAVAILABLE', 'BLE is not available on this firmware');
      const svc: any = {};
      const chars: any = {};
      chars[hex4(s.dataIn)] = {
        value: [0],
        maxLen: s.maxLength,
        writable: true,
        readable: false,
        onWrite: function (evt: any) {
          if (spec === s && evt && evt.data) s.onWrite(new Uint8Array(evt.data));
        },
      };
      chars[hex4(s.dataOut)] = { value: [0], maxLen: s.maxLength, readable: true, notify: true };
      svc[hex4(s.service)] = chars;
      try {
        NRF.setServices(svc, { uart: false });
      } catch (e) {
        return err('BLE_SERVICES', String(e));
      }
      // Probe notifications once: older ESP32 builds throw here.
      try {
        const probe: any = {};
        const c: any = {};
        c[hex4(s.dataOut)] = { value: [0] };
        probe[hex4(s.service)] = c;
        NRF.updateServices(probe);
      } catch (e) {
        supports.pbGatt = false;
        return err('UNSUPPORTED', 'NRF.updateServices does not work on this firmware: no GATT notifications');
      }
      spec = s;
      if (!handlersOn) {
        handlersOn = true;
        NRF.on('connect', onConnect);
        NRF.on('disconnect', onDisconnect);
      }
      return null;
    },
    clearGattService(): void {
      spec = null;
      if (!has) return;
      try {
        NRF.setServices({}, { uart: false });
      } catch (e) {
        deps.log.log('warn', 'ble', 'could not remove the GATT service');
      }
    },
    notify(data): HalError | null {
      if (!spec || !connected) return err('NOT_CONNECTED', 'no GATT connection');
      const svc: any = {};
      const c: any = {};
      c[hex4(spec.dataOut)] = { value: toArray(data), notify: true };
      svc[hex4(spec.service)] = c;
      try {
        NRF.updateServices(svc);
        return null;
      } catch (e) {
        return err('BLE_NOTIFY', String(e));
      }
    },
    disconnect(): void {
      if (!has) return;
      try {
        NRF.disconnect();
      } catch (e) {
        deps.log.log('warn', 'ble', 'disconnect failed');
      }
    },
  };
}

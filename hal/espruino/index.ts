// The Espruino implementation of the HAL contract: the only code that touches the chip.
import type { BleService, ConfigService, CryptoService, Hal, HttpService, NetService, StorageService, SystemService, WifiService } from '../types';
import { FILES } from '../storage-layout';
import { createLog } from './log';
import { createClock } from './clock';
import { createStorage } from './storage';
import { createSystem } from './system';
import { createButton, createLed, type PinConfig } from './pins';
import { createCrypto } from './crypto';
import { createConfig } from './config';
import { createHttp } from './http';
import { createWifi } from './wifi';
import { createNet } from './net';
import { createBle } from './ble';
import { checkSeed } from './unavailable';

/**
 * `o[name]` becomes the plain property `v` (a service made on first use replaces its getter, so later
 * reads cost nothing): the getters of createBoardHal end with it.
 */
export function keep<T>(o: object, name: string, v: T): T {
  Object.defineProperty(o, name, { value: v, writable: true, enumerable: true, configurable: true });
  return v;
}

/** The pins: the maker's, else the device configuration's (ffs.cfg), else D0/D2. */
function boardPins(storage: StorageService, pins?: PinConfig): PinConfig {
  const cfg = storage.readJSON<{ pins?: PinConfig }>(FILES.config);
  return pins || (cfg && cfg.pins) || { button: 'D0', buttonActiveLow: true, led: 'D2' };
}

/**
 * The board's HAL: log, clock, storage, button and LED at once, every other service on first use (a
 * set-up board never makes its TLS client, BLE, DRBG or configuration service). `pins` (the maker's)
 * win over the device configuration's (ffs.cfg), which win over D0/D2.
 *
 * Each first-use service is one getter of the HAL object (the cheapest form on the interpreter: one
 * closure each, replaced by the service when it is read). Made on first use: crypto, http, wifi, net,
 * ble. Made at each read and not kept: system (board facts, reboot); the configuration is made at its
 * first read in a turn of the event loop and dropped after that turn (every change is persisted at
 * once, so a board at rest does not keep it: local discovery reads it once when the home network is up).
 *
 * Boot errors: the DRBG seed is checked here, at boot, so a board flashed without it stops with one
 * clear error before anything runs (as when the DRBG was made at boot). The DRBG itself, and with it
 * the boot counter it persists before its first output (hal/espruino/crypto.ts), is made on the first
 * use of `hal.crypto`: once in every boot that needs randomness, never on a set-up board at rest.
 */
export function createBoardHal(pins?: PinConfig): Hal {
  // (the pins in a helper: the parsed ffs.cfg is not kept alive by the closures made here)
  const log = createLog();
  const storage = createStorage((m) => log.log('warn', 'storage', m));
  // the DRBG seed must be there: checked at boot, the DRBG itself is made on first use
  checkSeed(storage.readString(FILES.seed));
  const p = boardPins(storage, pins);
  const clock = createClock();
  /** this turn's configuration service (null: none made in this turn) */
  let config: ConfigService | null = null;
  const hal: Hal = {
    log: log,
    clock: clock,
    storage: storage,
    button: createButton(p),
    led: createLed(p),
    get system(): SystemService {
      return createSystem();
    },
    get config(): ConfigService {
      if (!config) {
        config = createConfig({ storage: storage, log: log });
        clock.defer(() => {
          config = null;
        });
      }
      return config;
    },
    get crypto(): CryptoService {
      return keep(hal, 'crypto', createCrypto({ storage: storage, clock: clock, log: log }));
    },
    get http(): HttpService {
      return keep(hal, 'http', createHttp({ storage: storage, crypto: hal.crypto, log: log }));
    },
    get wifi(): WifiService {
      return keep(hal, 'wifi', createWifi({ clock: clock, log: log }));
    },
    get net(): NetService {
      return keep(hal, 'net', createNet({ log: log }));
    },
    get ble(): BleService {
      return keep(hal, 'ble', createBle({ log: log }));
    },
  };
  return hal;
}

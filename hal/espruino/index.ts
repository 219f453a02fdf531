// The Espruino implementation of the HAL contract: the only code that touches the chip.
import type { Hal } from '../types';
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

/**
 * The board's basic services (log, clock, storage, system, button, LED); the others are added by the
 * caller, at boot (createEspruinoHal) or on first use (ffs/index.ts). `pins` wins over the device
 * configuration's (ffs.cfg), which wins over D0/D2.
 */
export function createBoardBasics(pins?: PinConfig): Hal {
  const log = createLog();
  const storage = createStorage((m) => log.log('warn', 'storage', m));
  const cfg = storage.readJSON<{ pins?: PinConfig }>(FILES.config);
  const p = pins || (cfg && cfg.pins) || { button: 'D0', buttonActiveLow: true, led: 'D2' };
  return { log: log, clock: createClock(), storage: storage, system: createSystem(), button: createButton(p), led: createLed(p) } as Hal;
}

/** The whole HAL, every service made at boot. */
export function createEspruinoHal(): Hal {
  const hal = createBoardBasics();
  const log = hal.log, clock = hal.clock, storage = hal.storage;
  hal.crypto = createCrypto({ storage: storage, clock: clock, log: log });
  hal.config = createConfig({ storage: storage, log: log });
  hal.http = createHttp({ storage: storage, crypto: hal.crypto, log: log });
  hal.wifi = createWifi({ clock: clock, log: log });
  hal.net = createNet({ log: log });
  hal.ble = createBle({ log: log });
  return hal;
}

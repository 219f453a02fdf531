// The Espruino implementation of the HAL contract: the only code that touches the chip.
import type { Hal, StorageService } from '../types';
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
 * `o[name]` made by `make` the first time it is read (then a plain property): a service nobody uses
 * costs no memory (a set-up board never builds its TLS client, its BLE bearers or its DRBG).
 */
export function onFirstUse<T extends object, K extends keyof T>(o: T, name: K, make: () => T[K]): void {
  Object.defineProperty(o, name, {
    configurable: true,
    enumerable: true,
    get: () => {
      const v = make();
      Object.defineProperty(o, name, { value: v, writable: true, enumerable: true, configurable: true });
      return v;
    },
  });
}

/**
 * The board's HAL: log, clock, storage, system, button and LED at once, every other service on first
 * use (a set-up board never makes its TLS client, BLE, DRBG or configuration service). `pins` (the
 * maker's) win over the device configuration's (ffs.cfg), which win over D0/D2.
 *
 * Boot errors: the DRBG seed is checked here, at boot, so a board flashed without it stops with one
 * clear error before anything runs (as when the DRBG was made at boot). The DRBG itself, and with it
 * the boot counter it persists before its first output (hal/espruino/crypto.ts), is made on the first
 * use of `hal.crypto`: once in every boot that needs randomness, never on a set-up board at rest.
 */
/**
 * `o[name]` made by `make` at its first read in a turn of the event loop and dropped after that turn:
 * for a service whose state lives in Storage (the configuration: every change is persisted at once),
 * so a board at rest does not keep it (local discovery reads it once when the home network is up).
 */
export function onEachTurn<T extends object, K extends keyof T>(o: T, name: K, make: () => T[K], clock: Hal['clock']): void {
  let v: T[K] | null = null;
  Object.defineProperty(o, name, {
    enumerable: true,
    get: () => {
      if (!v) {
        v = make();
        clock.defer(() => {
          v = null;
        });
      }
      return v;
    },
  });
}

/** The pins: the maker's, else the device configuration's (ffs.cfg), else D0/D2. */
function boardPins(storage: StorageService, pins?: PinConfig): PinConfig {
  const cfg = storage.readJSON<{ pins?: PinConfig }>(FILES.config);
  return pins || (cfg && cfg.pins) || { button: 'D0', buttonActiveLow: true, led: 'D2' };
}

export function createBoardHal(pins?: PinConfig): Hal {
  // (the pins in a helper: the parsed ffs.cfg is not kept alive by the closures made here)
  const log = createLog();
  const storage = createStorage((m) => log.log('warn', 'storage', m));
  // the DRBG seed must be there: checked at boot, the DRBG itself is made on first use
  checkSeed(storage.readString(FILES.seed));
  const p = boardPins(storage, pins);
  const clock = createClock();
  const hal = { log: log, clock: clock, storage: storage, system: createSystem(), button: createButton(p), led: createLed(p) } as Hal;
  onFirstUse(hal, 'crypto', () => createCrypto({ storage: storage, clock: clock, log: log }));
  onEachTurn(hal, 'config', () => createConfig({ storage: storage, log: log }), clock);
  onFirstUse(hal, 'http', () => createHttp({ storage: storage, crypto: hal.crypto, log: log }));
  onFirstUse(hal, 'wifi', () => createWifi({ clock: clock, log: log }));
  onFirstUse(hal, 'net', () => createNet({ log: log }));
  onFirstUse(hal, 'ble', () => createBle({ log: log }));
  return hal;
}

// The one entry a maker builds against (docs/MAKER.md): `startFfs(options)` closes the open consoles,
// builds the HAL over the board's modules, hands the maker's button/LED pins to it and starts FFS with
// the maker's callbacks (firmware/api.ts). Like firmware/main.ts, it joins firmware/ to hal/espruino/
// (so it lives outside firmware/, whose modules only ever get `hal`).
//
// The HAL is built service by service on first use (a set-up board never makes its TLS client, BLE
// bearers, configuration service or DRBG), unlike hal/espruino/index.ts, which makes them all at boot.
import type { Hal } from '../hal/types';
import { createLog } from '../hal/espruino/log';
import { createSystem } from '../hal/espruino/system';
import { createBoardBasics } from '../hal/espruino/index';
import { createCrypto } from '../hal/espruino/crypto';
import { createConfig } from '../hal/espruino/config';
import { createHttp } from '../hal/espruino/http';
import { createWifi } from '../hal/espruino/wifi';
import { createNet } from '../hal/espruino/net';
import { createBle } from '../hal/espruino/ble';
import { onFirstUse, startFfs as startOnHal, type Ffs, type FfsOptions } from '../firmware/api';

export type { Ffs, FfsOptions, FfsState, SetupFailure } from '../firmware/api';

/** The maker's setup button and status LED (ESP32 pin names "D0".."D39"). */
export interface MakerPins {
  button: string;
  /** true when the button pulls the pin low (default) */
  buttonActiveLow?: boolean;
  led: string;
}

/** The board's HAL, each service made on first use; `pins` (the maker's) win over the device configuration's. */
export function createBoardHal(pins?: MakerPins): Hal {
  const hal = createBoardBasics(pins && { button: pins.button, buttonActiveLow: pins.buttonActiveLow !== false, led: pins.led });
  const log = hal.log, clock = hal.clock, storage = hal.storage;
  onFirstUse(hal, 'crypto', () => createCrypto({ storage: storage, clock: clock, log: log }));
  onFirstUse(hal, 'config', () => createConfig({ storage: storage, log: log }));
  onFirstUse(hal, 'http', () => createHttp({ storage: storage, crypto: hal.crypto, log: log }));
  onFirstUse(hal, 'wifi', () => createWifi({ clock: clock, log: log }));
  onFirstUse(hal, 'net', () => createNet({ log: log }));
  onFirstUse(hal, 'ble', () => createBle({ log: log }));
  return hal;
}

/** Start FFS on the board. A boot error is printed as one `error boot:` line; FFS then stays idle. */
export function startFfs(options: FfsOptions & { pins?: MakerPins }): Ffs {
  // The stock build leaves a REPL open on BLE UART and telnet: closed before anything can fail.
  createSystem().hardenConsole();
  try {
    return startOnHal(createBoardHal(options.pins), options);
  } catch (e) {
    createLog().log('error', 'boot', '' + e);
    const idle = (): void => undefined;
    return { state: () => ({ wifi: 'off', softAp: false, mesh: 'off' }), clearSetup: idle, factoryReset: idle, log: idle, setLed: idle };
  }
}

// The one entry a maker builds against (docs/MAKER.md): `startFfs(options)` closes the open consoles,
// builds the HAL over the board's modules, hands the maker's button/LED pins to it and starts FFS with
// the maker's callbacks (firmware/api.ts). Like firmware/main.ts, it joins firmware/ to hal/espruino/
// (so it lives outside firmware/, whose modules only ever get `hal`).
//
// The HAL is built service by service on first use (hal/espruino/index.ts, as for firmware/main.ts).
import { createLog } from '../hal/espruino/log';
import { createSystem } from '../hal/espruino/system';
import { createBoardHal } from '../hal/espruino/index';
import { startFfs as startOnHal, type Ffs, type FfsOptions } from '../firmware/api';

export type { Ffs, FfsOptions, FfsState, SetupFailure } from '../firmware/api';

/** The maker's setup button and status LED (ESP32 pin names "D0".."D39"). */
export interface MakerPins {
  button: string;
  /** true when the button pulls the pin low (default) */
  buttonActiveLow?: boolean;
  led: string;
}

/** Start FFS on the board. A boot error is printed as one `error boot:` line; FFS then stays idle. */
export function startFfs(options: FfsOptions & { pins?: MakerPins }): Ffs {
  // The stock build leaves a REPL open on BLE UART and telnet: closed before anything can fail.
  createSystem().hardenConsole();
  try {
    return startOnHal(createBoardHal(options.pins && { button: options.pins.button, buttonActiveLow: options.pins.buttonActiveLow !== false, led: options.pins.led }), options);
  } catch (e) {
    createLog().log('error', 'boot', '' + e);
    const idle = (): void => undefined;
    return { state: () => ({ wifi: 'off', softAp: false, mesh: 'off' }), clearSetup: idle, factoryReset: idle, log: idle, setLed: idle };
  }
}

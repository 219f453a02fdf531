// The one entry a maker builds against (docs/MAKER.md): `startFfs(options)` closes the open consoles,
// builds the HAL over the board's modules, hands the maker's button/LED pins to it and starts FFS with
// the maker's callbacks (firmware/api.ts). Like main.ts, it joins firmware/ to hal/espruino/.
import { createEspruinoHal } from '../hal/espruino/index';
import { createSystem } from '../hal/espruino/system';
import { createLog } from '../hal/espruino/log';
import { createButton, createLed } from '../hal/espruino/pins';
import { startFfs as startOnHal, type Ffs, type FfsOptions } from './api';

export type { Ffs, FfsOptions, FfsState, SetupFailure } from './api';

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
    const hal = createEspruinoHal();
    const p = options.pins;
    if (p) {
      const pins = { button: p.button, buttonActiveLow: p.buttonActiveLow !== false, led: p.led };
      hal.button = createButton(pins);
      hal.led = createLed(pins);
    }
    return startOnHal(hal, options);
  } catch (e) {
    createLog().log('error', 'boot', '' + e);
    const idle = (): void => undefined;
    return { state: () => ({ wifi: 'off', softAp: false, mesh: 'off' }), clearSetup: idle, factoryReset: idle, log: idle, setLed: idle };
  }
}

import type { SystemService } from '../types';

/** Board facts and boot hardening. */
export function createSystem(): SystemService {
  return {
    firmwareVersion: process.version,
    board: process.env.BOARD,
    hardenConsole(): void {
      // The stock ESP32 build leaves an interactive console open on BLE UART and telnet port 23.
      try {
        require('TelnetServer').setOptions({ mode: 'off' });
      } catch (e) {
        // TelnetServer is absent on builds without networking: nothing to close.
      }
      if (typeof NRF !== 'undefined') NRF.setServices({}, { uart: false });
    },
    /** process.memory(): free and total (and Espruino's other counters) after a garbage collection */
    memory: () => process.memory(),
    reboot(): void {
      E.reboot();
    },
  };
}

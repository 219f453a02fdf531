import type { SystemService } from '../types';

/** Board facts and boot hardening (not the optional memory(): no firmware code uses it). */
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
    reboot(): void {
      E.reboot();
    },
  };
}

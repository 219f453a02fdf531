import type { ButtonService, LedService } from '../types';

/** Pins of the board, from the device configuration (ESP32 has no LED1/BTN1 names). */
export interface PinConfig {
  button: string;
  /** true when the button pulls the pin low */
  buttonActiveLow: boolean;
  led: string;
}

/** The setup button and the status LED on `pins` (one function: each kept declaration costs JsVars). */
export function createPins(pins: PinConfig): { button: ButtonService; led: LedService } {
  return {
    button: {
      watch(opts) {
        const pin = pins.button;
        pinMode(pin, pins.buttonActiveLow ? 'input_pullup' : 'input_pulldown');
        setWatch(
          // pressed: the pin is at its active level (low when the button pulls it low)
          (e) => opts.onChange(e.state === !pins.buttonActiveLow, e.time * 1000),
          pin,
          { repeat: true, edge: 'both', debounce: 25 },
        );
      },
    },
    led: {
      set(on: boolean): void {
        digitalWrite(pins.led, on);
      },
    },
  };
}

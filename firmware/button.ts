// Press-and-hold classification for the setup button.
import type { Hal } from '../hal/types';

export interface ButtonOptions {
  /** A hold at least this long (and shorter than factoryResetMs), then release: clear setup. */
  shortHoldMs: number;
  /** Held this long: factory reset, fired while still held. */
  factoryResetMs: number;
  onShortHold: () => void;
  /** Released before shortHoldMs: the product's own press (the maker's onButtonPress). */
  onPress?: () => void;
  onFactoryReset: () => void;
}

export function watchButton(hal: Hal, opts: ButtonOptions): void {
  let pressedAt = -1;
  let resetTimer = -1;
  hal.button.watch({
    onChange(pressed: boolean, atMs: number): void {
      if (pressed) {
        pressedAt = atMs;
        hal.led.set(true);
        resetTimer = hal.clock.setTimeout(() => {
          resetTimer = -1;
          pressedAt = -1;
          opts.onFactoryReset();
        }, opts.factoryResetMs);
        return;
      }
      hal.led.set(false);
      if (pressedAt < 0) return; // the factory reset already fired
      if (resetTimer >= 0) hal.clock.clearTimeout(resetTimer);
      resetTimer = -1;
      const held = atMs - pressedAt;
      pressedAt = -1;
      if (held >= opts.shortHoldMs) opts.onShortHold();
      else if (opts.onPress) opts.onPress();
    },
  });
}

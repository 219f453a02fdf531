// Press-and-hold classification for the setup button.
import type { Hal } from '../hal/types';

/** What the button did: `press` released before shortHoldMs (the product's own press, the maker's
 *  onButtonPress); `hold` held at least shortHoldMs (and less than factoryResetMs), then released:
 *  clear setup; `reset` held factoryResetMs: factory reset, fired while still held. */
export type ButtonAction = 'press' | 'hold' | 'reset';

export function watchButton(hal: Hal, shortHoldMs: number, factoryResetMs: number, on: (what: ButtonAction) => void): void {
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
          on('reset');
        }, factoryResetMs);
        return;
      }
      hal.led.set(false);
      if (pressedAt < 0) return; // the factory reset already fired
      if (resetTimer >= 0) hal.clock.clearTimeout(resetTimer);
      resetTimer = -1;
      const held = atMs - pressedAt;
      pressedAt = -1;
      on(held >= shortHoldMs ? 'hold' : 'press');
    },
  });
}

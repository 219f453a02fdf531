// Press-and-hold classification for the setup button.
import type { Hal } from '../hal/types';

/** What the button did: `press` released before shortHoldMs (the product's own press, the maker's
 *  onButtonPress); `hold` held at least shortHoldMs (and less than factoryResetMs), then released:
 *  clear setup; `reset` held factoryResetMs: factory reset, fired while still held. */
export type ButtonAction = 'press' | 'hold' | 'reset';

/** Watch the button; `on(ctx, what)` hears what it did (a shared function and its context: the watch
 *  keeps no closure of the caller's). */
export function watchButton<C>(hal: Hal, shortHoldMs: number, factoryResetMs: number, ctx: C, on: (ctx: C, what: ButtonAction) => void): void {
  let pressedAt = -1;
  /** the factory reset's timer: pending whenever pressedAt >= 0 */
  let resetTimer = -1;
  hal.button.watch({
    onChange(pressed: boolean, atMs: number): void {
      // the LED is on while the button is held
      hal.led.set(pressed);
      if (pressed) {
        pressedAt = atMs;
        resetTimer = hal.clock.setTimeout(() => {
          pressedAt = -1;
          on(ctx, 'reset');
        }, factoryResetMs);
        return;
      }
      if (pressedAt < 0) return; // the factory reset already fired
      hal.clock.clearTimeout(resetTimer);
      const held = atMs - pressedAt;
      pressedAt = -1;
      on(ctx, held >= shortHoldMs ? 'hold' : 'press');
    },
  });
}

// One-shot timers of the mesh modules: clearing one that is pending (Espruino throws "Unknown Timeout"
// when clearing a timer that already fired, so each callback sets its handle to null first).
import type { ClockService } from '../../hal/types';

/** Clear the timer `t` if pending; always returns null (for `t = clearTimer(clock, t)`). */
export function clearTimer(clock: ClockService, t: number | null): null {
  if (t !== null) clock.clearTimeout(t);
  return null;
}

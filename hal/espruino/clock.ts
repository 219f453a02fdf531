import type { ClockService } from '../types';
import { later } from './unavailable';

/** Timers and the clock over Espruino's globals (getTime() is seconds since boot). */
export function createClock(): ClockService {
  const t0 = getTime();
  return {
    now: () => (getTime() - t0) * 1000,
    // Espruino's own timer functions, as they are (they do not use `this`)
    setTimeout: setTimeout,
    clearTimeout: clearTimeout,
    setInterval: setInterval,
    clearInterval: clearInterval,
    defer: later,
  };
}

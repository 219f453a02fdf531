import type { ClockService } from '../types';

/** Timers and the clock over Espruino's globals (getTime() is seconds since boot). */
export function createClock(): ClockService {
  const t0 = getTime();
  return {
    now: () => (getTime() - t0) * 1000,
    setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number,
    clearTimeout: (id) => clearTimeout(id as any),
    setInterval: (fn, ms) => setInterval(fn, ms) as unknown as number,
    clearInterval: (id) => clearInterval(id as any),
    defer: (fn) => {
      setTimeout(fn, 0);
    },
  };
}
